"""Smoke-run every benchmark: each `benchmarks/<topic>.py` script with `--quick`, one after another.

    .venv/bin/python benchmarks/quick.py          # what CI runs (`make bench-quick`)

A benchmark is any script in this folder that runs as a program (it has an
`if __name__ == "__main__":` block); helper modules such as history.py are skipped. Each must exit
with status 0 and print, as its last line, one JSON object with its figures; anything else fails
the run. So a benchmark that no longer matches the code (a renamed service, a column it does not
fill) fails CI instead of rotting until someone next measures. The figures of a quick run are not
compared with anything: a smoke run on a busy CI machine measures nothing worth keeping.

The last line printed is one JSON object: each benchmark's seconds and exit status.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[Path]:
    """The runnable benchmark scripts of this folder, by name."""
    return sorted(
        path
        for path in HERE.glob("*.py")
        if path.name != Path(__file__).name and 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    )


def run(path: Path) -> dict:
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, str(path), "--quick"], cwd=HERE.parent, capture_output=True, text=True, check=False
    )
    seconds = round(time.monotonic() - started, 1)
    lines = [line for line in process.stdout.splitlines() if line.strip()]
    figures, problem = None, None
    try:
        figures = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        pass
    if process.returncode != 0:
        problem = f"exit status {process.returncode}"
    elif not isinstance(figures, dict):
        problem = "the last line printed is not one JSON object"
    if problem:
        print(f"FAILED {path.name}: {problem}", file=sys.stderr)
        print(process.stdout[-4000:], file=sys.stderr)
        print(process.stderr[-4000:], file=sys.stderr)
    else:
        print(f"ok     {path.name} ({seconds} s): {lines[-1][:200]}")
    return {"seconds": seconds, "status": process.returncode, "ok": problem is None}


def main() -> int:
    results = {}
    for path in benchmarks():
        print(f"== {path.name} --quick", flush=True)
        results[path.stem] = run(path)
    failed = [name for name, result in results.items() if not result["ok"]]
    print(json.dumps({"benchmarks": results, "failed": failed}))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
