"""Idempotency-Key: a retried request acts once, and a key is never bound to two requests.

A service that honours the header (placing an order, booking or announcing a payment) keeps, with
the record the key created, the fingerprint of the request that created it: the SHA-256 of the
request's canonical JSON, built from the request as the service parsed and cleaned it, so that the
order of fields, spacing, defaults spelt out or left out ("unit": null or absent) and the way an
amount is written ("100", "100.00") make no difference. Another request with the same key:

- the same fingerprint: a retry; the service returns the first record (the API answers 200);
- another fingerprint: refused with `key_reused` (422, code `idempotency_key_reused`, on the field
  `idempotency_key`), and nothing is written, as payment APIs do.

A record created before fingerprints were kept has none, and every request with its key is taken
for a retry. The key's scope (per partner) and lifetime (as long as its record) are the service's;
docs/api.md says them for each endpoint.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext

from .errors import FieldErrors

REUSED = "idempotency_key_reused"


def _canonical(value):
    """`value` with every amount and date as one string form, for JSON."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def fingerprint(request: dict) -> str:
    """The fingerprint of a cleaned request: the SHA-256 of its canonical JSON (keys sorted, no
    spaces, amounts normalised: Decimal("100.00") and Decimal("100") are the same)."""
    text = json.dumps(_canonical(request), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def key_reused(document: str) -> FieldErrors:
    """The refusal of a key already bound to `document` (its number) by a different request."""
    message = gettext(
        "This Idempotency-Key was already used for %(document)s with a different request."
        " Send a new key for a new request."
    ) % {"document": document}
    error = FieldErrors({"idempotency_key": [message]}, detail=message)
    error.code = REUSED
    return error


def check_retry(stored: str, request_fingerprint: str, document: str) -> None:
    """Whether a request with a key already used is a retry of the first one.

    :raises FieldErrors: idempotency_key (`idempotency_key_reused`): the key was used by a
        different request, for `document`.
    """
    if stored and stored != request_fingerprint:
        raise key_reused(document)
