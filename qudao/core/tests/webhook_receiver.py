"""A real HTTP receiver for the webhook tests: http.server on 127.0.0.1 in a thread, recording
every request; it can answer 500, go down (refuse connections) and come back on the same port."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0  # seconds before answering (widens race windows in concurrency tests)
        self.lock = threading.Lock()
        self.port = 0
        self.server = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/qudao"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    status = receiver.status
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers.items()), "body": body, "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                message = b"ok" if status < 300 else b"receiver is broken"
                self.send_header("Content-Length", str(len(message)))
                self.end_headers()
                self.wfile.write(message)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Go down: connections are refused until start()."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list[dict]:
        """The requests answered 2xx, with their JSON bodies."""
        with self.lock:
            return [r | {"json": json.loads(r["body"])} for r in self.requests if r["status"] < 300]
