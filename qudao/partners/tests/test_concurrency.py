"""Real concurrency on PostgreSQL: several connections at once (skipped on SQLite, whose writers
are serialised by the IMMEDIATE transaction mode anyway)."""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from qudao.core.errors import Conflict
from qudao.core.models import BrandSettings
from qudao.core.numbering import next_number
from qudao.partners import services
from qudao.partners.models import CreditTermsChange, Partner

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
]


def run_concurrently(count, target):
    """Start `count` threads that wait on a barrier, then call target(i); collect results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = ("ok", target(index))
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_document_numbers_stay_unique_under_concurrency():
    results = run_concurrently(12, lambda i: next_number("TST"))
    numbers = [value for status, value in results if status == "ok"]
    assert len(numbers) == 12 and len(set(numbers)) == 12
    assert sorted(int(n[-4:]) for n in numbers) == list(range(1, 13))


def test_only_one_credit_increase_can_wait_for_approval_at_a_time(world):
    settings_row = BrandSettings.current()
    settings_row.credit_change_approval_threshold = Decimal("1000")
    settings_row.save()
    partner_id = world.dist_js.pk
    finance = world.finance

    def request_increase(index):
        return services.request_credit_change(
            partner=Partner.objects.get(pk=partner_id),
            credit_limit=str(50000 + index),
            payment_terms_days=30,
            reason=f"并发 {index}",
            actor=finance,
        )

    results = run_concurrently(6, request_increase)
    oks = [value for status, value in results if status == "ok"]
    conflicts = [value for status, value in results if status == "error" and isinstance(value, Conflict)]
    assert (len(oks), len(conflicts)) == (1, 5)
    assert CreditTermsChange.objects.filter(partner_id=partner_id, status="pending").count() == 1
    assert CreditTermsChange.objects.filter(partner_id=partner_id).count() == 1
