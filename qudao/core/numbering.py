"""Human-readable, gap-tolerant document numbers: PREFIX + yymmdd + 4-digit counter per day
(e.g. AP2611270001). Unique under concurrency: the counter row is bumped with an UPDATE ... F()+1
inside the caller's transaction, which row-locks it on PostgreSQL and holds SQLite's write lock."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import NumberSequence


def next_number(prefix: str, *, width: int = 4) -> str:
    period = timezone.localdate().strftime("%y%m%d")
    with transaction.atomic():
        updated = NumberSequence.objects.filter(prefix=prefix, period=period).update(last_value=F("last_value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(prefix=prefix, period=period, last_value=1)
            except IntegrityError:
                # Another transaction created today's row first; bump it instead.
                NumberSequence.objects.filter(prefix=prefix, period=period).update(last_value=F("last_value") + 1)
        value = NumberSequence.objects.get(prefix=prefix, period=period).last_value
    return f"{prefix}{period}{value:0{width}d}"
