"""Outgoing webhooks: every outbox event (`core.events.publish`) delivered to the subscribed
endpoints, signed, retried, in order per aggregate. docs/webhooks.md is the receiver's guide.

Fan-out happens in `publish` itself, in the caller's transaction: one WebhookDelivery per active
endpoint subscribed to the event type. So a delivery exists exactly when its event committed (a
rolled-back change leaves neither), and no cursor over the outbox is needed: on PostgreSQL, ids
are allocated before commit, so a dispatcher reading "events after the last id I saw" could skip
an event whose transaction committed late; with the rows written by the publisher, nothing is
skipped. The cost is one SELECT of the endpoints (and one INSERT per subscriber) per event.

The dispatcher (`dispatch`) works in short transactions:
1. claim: lock the due deliveries (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED; SQLite runs one
   writer at a time), count the attempt and push `next_attempt_at` forward by a lease, commit;
2. send each claimed delivery (urllib, a short timeout), no transaction open;
3. record the outcome with a compare-and-set on the attempt number (delivered; or failed with the
   next attempt after an exponential backoff; or dead after QUDAO_WEBHOOK_MAX_ATTEMPTS).
Two dispatchers never send one delivery at once (the lease), and a dispatcher that dies mid-send
leaves a delivery that is tried again when its lease ends: delivery is at least once, and the
X-Qudao-Delivery header lets the receiver drop a repeat.

Targets: an endpoint may not point at Qudao's own machine or network (loopback, private,
link-local, shared, multicast, reserved or unspecified addresses, however they are written) unless
its host is allowed by QUDAO_WEBHOOK_ALLOWED_HOSTS (settings.WEBHOOK_ALLOWED_HOSTS: host names and
IP networks of on-premise systems). `check_target` is asked when an endpoint is saved (a field
error on "url"; a name that does not resolve yet is accepted) and again at every connection: the
request goes to the very address that was checked, so a DNS answer that changes between the check
and the connection cannot aim it elsewhere, redirects are never followed, and no HTTP proxy from
the environment is used.

Ordering: a delivery is due only when no earlier delivery (lower event id) of the same aggregate
to the same endpoint is still open (pending or failed). Events of one aggregate get increasing ids
in commit order as long as the services that publish them lock the aggregate's row first (they
do: the lock order of CONTRIBUTING.md), so the receiver sees one order's events in order.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import Conflict, FieldErrors
from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint, new_webhook_secret

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
FIRST_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 3600
LEASE_SECONDS = 60
BATCH_SIZE = 20
PING_EVENT = "webhook.ping"
USER_AGENT = "Qudao-Webhooks/1"


def max_attempts() -> int:
    return max(1, int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 20)))


def retry_delay(attempt: int, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt number `attempt` (1, 2, ...): 10 s, 20 s, 40 s, ... capped
    at one hour, less up to 10 % of jitter (so retries of many deliveries spread out, and the
    wait still grows from one attempt to the next)."""
    base = min(FIRST_RETRY_SECONDS * 2 ** max(0, attempt - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=base * (rng or random).uniform(0.9, 1.0))


# --- targets -------------------------------------------------------------------------------------


class TargetRefused(OSError):
    """The endpoint's host is (or resolves to) an internal address that is not allowed."""

    def __init__(self, host: str, address: str, kind: str):
        self.host, self.address, self.kind = host, address, kind
        super().__init__(f"Refused: {host} is {address}, a {kind} address (not allowed in QUDAO_WEBHOOK_ALLOWED_HOSTS)")


def _allowed() -> tuple[set[str], list]:
    """QUDAO_WEBHOOK_ALLOWED_HOSTS: host names (exact, any case) and IP addresses or networks."""
    names, networks = set(), []
    for entry in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", ()) or ():
        entry = entry.strip().lower().rstrip(".")
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            if entry:
                names.add(entry)
    return names, networks


def _internal_kind(address) -> str | None:
    """Why `address` is not a public one ("loopback", "private", ...), or None when it is."""
    for kind, test in (
        ("unspecified", "is_unspecified"),
        ("loopback", "is_loopback"),
        ("link-local", "is_link_local"),
        ("multicast", "is_multicast"),
        ("private", "is_private"),
        ("reserved", "is_reserved"),
    ):
        if getattr(address, test):
            return kind
    return None if address.is_global else "non-public"


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:a.b.c.d), NAT64
    (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::) or Teredo; None for a plain IPv6 address."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def check_target(host: str, port: int) -> list[tuple]:
    """Resolve an endpoint's host and return the addresses it may be connected to, as
    [(family, sockaddr)]; every address must be public unless the host or the address is allowed.

    :raises TargetRefused: the host names an internal address (every resolved address is checked:
        one internal answer refuses the host).
    :raises OSError: the host does not resolve.
    """
    names, networks = _allowed()
    host = (host or "").strip().lower().rstrip(".")
    if host in names:
        return [(info[0], info[4]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always this machine
            raise TargetRefused(host, host, "loopback") from None
        raise
    targets = []
    for family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not any(address in network for network in networks):
            for candidate in (_embedded_ipv4(address), address):
                kind = candidate is not None and _internal_kind(candidate)
                if kind:
                    raise TargetRefused(host, str(candidate), kind)
        targets.append((family, sockaddr))
    return targets


def _checked_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """socket.create_connection for webhook requests: connect only to an address check_target
    allowed, resolved once, so the request goes where the check looked."""
    host, port = address
    error: OSError | None = None
    for family, sockaddr in check_target(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as failure:
            sock.close()
            error = failure
    raise error or OSError(f"{host} has no address")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


# --- endpoints (the services behind the API and the pages) ---------------------------------------


def _clean_event_types(value, errors: FieldErrors) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.add("event_types", _("Give a list of event types."))
        return []
    cleaned = []
    for item in value:
        item = item.strip()
        if not item or len(item) > 60 or " " in item or ("*" in item and not item.endswith(".*")):
            errors.add(
                "event_types", _("“%(value)s” is not an event type (e.g. order.shipped or order.*).") % {"value": item}
            )
        elif item not in cleaned:
            cleaned.append(item)
    return cleaned


def clean_endpoint(data: dict, *, instance: WebhookEndpoint | None = None) -> dict:
    """Validate an endpoint (every field when creating, the fields given when changing).

    :raises FieldErrors: with every wrong field.
    """
    errors = FieldErrors()
    cleaned: dict = {}
    creating = instance is None
    if creating or "name" in data:
        name = data.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            errors.add("name", _("This field is required."))
        elif len(name) > 100:
            errors.add("name", _("At most %(max)d characters.") % {"max": 100})
        cleaned["name"] = name
    if creating or "url" in data:
        url = data.get("url")
        url = url.strip() if isinstance(url, str) else ""
        parts = urlsplit(url) if url else None
        if not url:
            errors.add("url", _("This field is required."))
        elif len(url) > 500:
            errors.add("url", _("At most %(max)d characters.") % {"max": 500})
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            errors.add("url", _("Enter an http:// or https:// address."))
        else:
            try:
                check_target(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
            except TargetRefused as refused:
                errors.add(
                    "url",
                    _(
                        "%(host)s is an internal address (%(address)s): webhooks are sent there only when the "
                        "host is allowed in QUDAO_WEBHOOK_ALLOWED_HOSTS."
                    )
                    % {"host": refused.host, "address": refused.address},
                )
            except (OSError, ValueError):
                pass  # not resolvable from here yet: checked again at every delivery
        cleaned["url"] = url
    if creating or "event_types" in data:
        cleaned["event_types"] = _clean_event_types(data.get("event_types"), errors)
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors.add("active", _("Must be true or false."))
        cleaned["active"] = data["active"]
    if errors.errors:
        raise errors
    return cleaned


@transaction.atomic
def create_endpoint(*, data: dict) -> WebhookEndpoint:
    """A new endpoint with a fresh secret; it receives the events published from now on."""
    cleaned = clean_endpoint(data)
    return WebhookEndpoint.objects.create(secret=new_webhook_secret(), **cleaned)


@transaction.atomic
def update_endpoint(*, endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    """Change the name, URL, event types or active flag. A deactivated endpoint gets no new
    deliveries and its open ones wait (they go out, in order, when it is active again)."""
    cleaned = clean_endpoint(data, instance=endpoint)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    for key, value in cleaned.items():
        setattr(endpoint, key, value)
    endpoint.save()
    return endpoint


@transaction.atomic
def rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret; every request from now on (retries too) is signed with it."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log (deactivate it to keep them)."""
    WebhookAttempt.objects.filter(delivery__endpoint=endpoint).delete()
    WebhookDelivery.objects.filter(endpoint=endpoint).delete()
    endpoint.delete()


# --- fan-out ---------------------------------------------------------------------------------


def fan_out(event: OutboxEvent) -> int:
    """Create the deliveries of `event`: one per active endpoint subscribed to its type. Runs
    in the publisher's transaction. Returns how many."""
    endpoints = [ep for ep in WebhookEndpoint.objects.filter(active=True) if ep.subscribes_to(event.event_type)]
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                next_attempt_at=event.created_at,
                created_at=event.created_at,
            )
            for endpoint in endpoints
        ]
    )
    return len(endpoints)


# --- the request -------------------------------------------------------------------------------


def payload_of(event: OutboxEvent) -> dict:
    return {
        "id": event.pk,
        "type": event.event_type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "occurred_at": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": event.payload or {},
    }


def body_of(event: OutboxEvent) -> bytes:
    return json.dumps(payload_of(event), cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Qudao-Signature value: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int | None = 300) -> bool:
    """What a receiver does (docs/webhooks.md): recompute, compare in constant time, and refuse
    a timestamp more than `tolerance` seconds away (replayed requests)."""
    if tolerance is not None:
        try:
            if abs(time.time() - int(timestamp)) > tolerance:
                return False
        except ValueError:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer we do not follow (the POST body would be lost): it counts as a
    failed attempt with its status code."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# Checked connections, no redirects, and no proxy from the environment (a proxy would connect to
# the target itself, out of reach of the check).
_opener = urllib.request.build_opener(
    _NoRedirect, _CheckedHTTPHandler, _CheckedHTTPSHandler, urllib.request.ProxyHandler({})
)


@dataclass
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _short(text: str) -> str:
    return text if len(text) <= 500 else text[:497] + "..."


def send(delivery: WebhookDelivery) -> Outcome:
    """POST the delivery's event to its endpoint once. Never raises."""
    body = body_of(delivery.event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Qudao-Event": delivery.event.event_type,
        "X-Qudao-Delivery": str(delivery.pk),
        "X-Qudao-Timestamp": timestamp,
        "X-Qudao-Signature": sign(delivery.endpoint.secret, timestamp, body),
    }
    started = time.monotonic()
    status_code, error = None, ""
    try:
        request = urllib.request.Request(delivery.endpoint.url, data=body, method="POST", headers=headers)
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status_code = response.status
            response.read(1024)
    except urllib.error.HTTPError as answer:
        status_code = answer.code
        try:
            detail = answer.read(300).decode("utf-8", "replace").strip()
        except Exception:  # noqa: BLE001 - the body is only a hint for the log
            detail = ""
        error = f"HTTP {answer.code}" + (f": {detail}" if detail else "")
    except urllib.error.URLError as failure:
        if isinstance(failure.reason, TargetRefused):
            error = str(failure.reason)  # nothing was sent: the address is not allowed
        else:
            error = f"{type(failure.reason).__name__}: {failure.reason}"
    except Exception as failure:  # noqa: BLE001 - timeouts, resets, bad URLs: all a failed attempt
        error = f"{type(failure).__name__}: {failure}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(status_code, _short(error), duration_ms)


# --- the dispatcher ---------------------------------------------------------------------------


def _open_deliveries():
    """Open deliveries of active endpoints with no earlier open delivery of the same aggregate
    to the same endpoint (the ordering rule)."""
    earlier_open = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        aggregate_type=OuterRef("aggregate_type"),
        aggregate_id=OuterRef("aggregate_id"),
        event_id__lt=OuterRef("event_id"),
        status__in=WebhookDelivery.OPEN,
    )
    return WebhookDelivery.objects.filter(status__in=WebhookDelivery.OPEN, endpoint__active=True).filter(
        ~Exists(earlier_open)
    )


def due_deliveries(now: datetime):
    return _open_deliveries().filter(next_attempt_at__lte=now)


def claim(now: datetime, limit: int = BATCH_SIZE, only: int | None = None) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries for this worker: count the attempt and lease them (their
    next attempt moves past the time this batch may take), in one short transaction."""
    with transaction.atomic():
        due = due_deliveries(now)
        if only is not None:
            due = due.filter(pk=only)
        due = due.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        lease_until = now + timedelta(seconds=LEASE_SECONDS + TIMEOUT_SECONDS * len(ids))
        # compare-and-set: only rows still open and due (SQLite has no row locks; on PostgreSQL
        # the rows are locked already and this always matches)
        WebhookDelivery.objects.filter(pk__in=ids, status__in=WebhookDelivery.OPEN, next_attempt_at__lte=now).update(
            attempts=F("attempts") + 1, next_attempt_at=lease_until, last_attempt_at=now
        )
        claimed = WebhookDelivery.objects.filter(pk__in=ids, next_attempt_at=lease_until, last_attempt_at=now)
        return list(claimed.select_related("endpoint", "event").order_by("next_attempt_at", "pk"))


def record(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> str:
    """Write the outcome of the claimed attempt; returns the delivery's new status. Does nothing
    when the delivery changed meanwhile (another worker took it over after the lease ended)."""
    attempt = delivery.attempts
    if outcome.ok:
        status = WebhookDelivery.Status.DELIVERED
        changes = {"delivered_at": now, "last_error": ""}
    elif attempt >= max_attempts():
        status = WebhookDelivery.Status.DEAD
        changes = {"last_error": outcome.error or f"HTTP {outcome.status_code}"}
    else:
        status = WebhookDelivery.Status.FAILED
        changes = {
            "next_attempt_at": now + retry_delay(attempt),
            "last_error": outcome.error or f"HTTP {outcome.status_code}",
        }
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, attempts=attempt, status__in=WebhookDelivery.OPEN
        ).update(status=status, last_status_code=outcome.status_code, **changes)
        if not updated:  # taken over by another worker, or its endpoint was deleted meanwhile
            current = WebhookDelivery.objects.filter(pk=delivery.pk).values_list("status", flat=True).first()
            return current or "deleted"
        WebhookAttempt.objects.create(
            delivery_id=delivery.pk,
            number=WebhookAttempt.objects.filter(delivery_id=delivery.pk).count() + 1,
            at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            succeeded=outcome.ok,
        )
    return status


@dataclass
class DispatchReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    sent: list[int] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return self.delivered + self.failed + self.dead


def dispatch(now: datetime | None = None, *, max_rounds: int = 100, batch_size: int = BATCH_SIZE) -> DispatchReport:
    """Send every delivery that is due at `now` (default: the current time), round after round:
    a delivered event lets the next one of its aggregate go in the next round. A failed one waits
    for its backoff, so this returns once nothing more is due."""
    report = DispatchReport()
    clock = now
    for _round in range(max_rounds):
        batch = claim(clock or timezone.now(), batch_size)
        if not batch:
            break
        for delivery in batch:
            outcome = send(delivery)
            status = record(delivery, outcome, clock or timezone.now())
            report.sent.append(delivery.pk)
            if status == WebhookDelivery.Status.DELIVERED:
                report.delivered += 1
            elif status == WebhookDelivery.Status.DEAD:
                report.dead += 1
            else:
                report.failed += 1
    return report


def next_due_at() -> datetime | None:
    return _open_deliveries().aggregate(at=Min("next_attempt_at"))["at"]


def run_dispatcher(seconds: float = 50, poll_seconds: float = 5) -> DispatchReport:
    """The periodic job: dispatch, then wait for the next due delivery (at most `poll_seconds`
    at a time) while one falls within `seconds`; return early when nothing is due that soon."""
    deadline = time.monotonic() + seconds
    total = DispatchReport()
    while True:
        report = dispatch()
        total.delivered += report.delivered
        total.failed += report.failed
        total.dead += report.dead
        due = next_due_at()
        remaining = deadline - time.monotonic()
        if due is None or remaining <= 0:
            return total
        wait = (due - timezone.now()).total_seconds()
        if wait > remaining:
            return total
        time.sleep(min(max(wait, 1.0), poll_seconds, remaining))


def kick() -> None:
    """After the publishing transaction commits: run the dispatcher soon (a job), so a new event
    goes out within seconds instead of at the next periodic run."""
    from .tasks import deliver_webhooks_now

    try:
        deliver_webhooks_now()
    except Exception:  # the periodic run delivers it anyway
        logger.exception("Could not start the webhook dispatcher")


# --- replay and ping ---------------------------------------------------------------------------


@transaction.atomic
def replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivered or dead delivery again: it is open again with a fresh attempt budget and
    goes out at the next dispatch, after any earlier open delivery of its aggregate (and the
    later ones wait for it). The X-Qudao-Delivery id stays the same.

    :raises Conflict: the delivery is still pending or failed (it will be sent anyway).
    """
    updated = WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=(WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.DEAD)
    ).update(status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
    if not updated:
        raise Conflict(_("This delivery is still waiting to be sent; it cannot be replayed."), code="not_replayable")
    transaction.on_commit(kick)
    return WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery.pk)


def ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a webhook.ping event to this endpoint alone, now, and return its delivery (with the
    outcome). A failed ping is retried like any delivery.

    :raises Conflict: the endpoint is inactive (nothing is sent to it).
    """
    if not endpoint.active:
        raise Conflict(_("This endpoint is inactive; activate it to send it events."), code="endpoint_inactive")
    with transaction.atomic():
        now = timezone.now()
        event = OutboxEvent.objects.create(
            event_type=PING_EVENT,
            # each ping its own aggregate: a ping never waits behind an earlier failed one
            aggregate_type="webhook_ping",
            aggregate_id=secrets.token_hex(8),
            payload={"endpoint": endpoint.pk, "name": endpoint.name},
            created_at=now,
            published_at=now,
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            next_attempt_at=now,
            created_at=now,
        )
    for claimed in claim(timezone.now(), 1, only=delivery.pk):
        record(claimed, send(claimed), timezone.now())
    return WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery.pk)
