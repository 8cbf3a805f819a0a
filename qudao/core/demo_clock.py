"""A clock for writing demo history: `with demo_clock() as clock: clock.set(moment); ...` makes
`django.utils.timezone.now()` (and so `localdate()`, `auto_now` fields and the model fields whose
default is `timezone.now`) answer `moment`, so a service called "in the past" writes every date it
writes (the order's timeline, the invoice's issue date, the ledger's entries, the audit trail, the
notifications) as it would have on that day. Only the demo seeding uses it, in one thread, before
the application serves anything; the real clock is restored when the block ends, whatever happens.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from django.apps import apps
from django.utils import timezone


class _Clock:
    def __init__(self, real_now):
        self._real_now = real_now
        self.moment: datetime | None = None

    def set(self, moment: datetime) -> None:
        """From now on, `timezone.now()` is `moment` (never later than the real now)."""
        self.moment = min(moment, self._real_now())

    def now(self) -> datetime:
        return self.moment if self.moment is not None else self._real_now()


@contextlib.contextmanager
def demo_clock():
    real_now = timezone.now
    clock = _Clock(real_now)
    # Fields that took `timezone.now` itself as their default keep the function object: point them
    # at the clock too (Field caches its default getter in `_get_default`).
    fields = [
        model_field
        for model in apps.get_models()
        for model_field in model._meta.concrete_fields
        if model_field.default is real_now
    ]
    timezone.now = clock.now
    for model_field in fields:
        model_field.default = clock.now
        model_field.__dict__.pop("_get_default", None)
    try:
        yield clock
    finally:
        timezone.now = real_now
        for model_field in fields:
            model_field.default = real_now
            model_field.__dict__.pop("_get_default", None)
