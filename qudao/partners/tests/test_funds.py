"""Fund accounts (prepayment): deposits, and the hold / release / capture cycle, never overdrawn."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qudao.core.errors import FieldErrors
from qudao.partners import funds
from qudao.partners.models import FundAccount, FundEntry


def test_deposit_hold_capture_and_release_keep_the_ledger_and_the_counters_equal(world):
    # given: 10,000.00 deposited
    funds.deposit(partner=world.dist_js, amount="10000.00", note="银行转账", actor=world.finance)
    # when: two orders hold 6,000.00 and 3,000.00; the first ships half, the second is cancelled
    funds.hold(partner=world.dist_js, amount=Decimal("6000.00"), reference="SO-1")
    funds.hold(partner=world.dist_js, amount=Decimal("3000.00"), reference="SO-2")
    account = funds.account_for(world.dist_js)
    assert (account.balance, account.held, account.available) == (
        Decimal("10000.0000"),
        Decimal("9000.0000"),
        Decimal("1000.0000"),
    )
    funds.capture(partner=world.dist_js, reference="SO-1", amount=Decimal("2500.00"))
    funds.release(partner=world.dist_js, reference="SO-2")
    assert funds.release(partner=world.dist_js, reference="SO-2") is None  # twice releases once
    funds.capture(partner=world.dist_js, reference="SO-1")  # the rest ships
    # then
    account.refresh_from_db()
    assert (account.balance, account.held) == (Decimal("4000.0000"), Decimal("0.0000"))
    entries = list(FundEntry.objects.filter(account=account).values_list("kind", "balance_delta", "held_delta"))
    assert entries == [
        ("deposit", Decimal("10000.0000"), Decimal("0.0000")),
        ("hold", Decimal("0.0000"), Decimal("6000.0000")),
        ("hold", Decimal("0.0000"), Decimal("3000.0000")),
        ("capture", Decimal("-2500.0000"), Decimal("-2500.0000")),
        ("release", Decimal("0.0000"), Decimal("-3000.0000")),
        ("capture", Decimal("-3500.0000"), Decimal("-3500.0000")),
    ]
    assert sum(balance for _kind, balance, _held in entries) == account.balance


def test_a_hold_beyond_what_is_available_is_refused_and_changes_nothing(world):
    funds.deposit(partner=world.dist_js, amount="1000")
    with pytest.raises(FieldErrors) as refused:
        funds.hold(partner=world.dist_js, amount=Decimal("1000.01"), reference="SO-9")
    assert refused.value.errors == {"payment": ["Not enough prepayment: 1,000.00 available, 1,000.01 needed."]}
    assert funds.account_for(world.dist_js).held == 0
    for bad in ("0", "-5", "abc", "1.001"):
        with pytest.raises(FieldErrors):
            funds.deposit(partner=world.dist_js, amount=bad)
    assert FundEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_concurrent_holds_never_overdraw_the_account(world):
    from qudao.partners.tests.test_concurrency import run_concurrently

    funds.deposit(partner=world.dist_js, amount="5000")
    partner_id = world.dist_js.pk

    def hold(index):
        from qudao.partners.models import Partner

        return funds.hold(partner=Partner.objects.get(pk=partner_id), amount=Decimal("1000"), reference=f"SO-{index}")

    results = run_concurrently(20, hold)
    assert sorted(kind for kind, _value in results) == ["error"] * 15 + ["ok"] * 5
    account = FundAccount.objects.get(partner_id=partner_id)
    assert (account.balance, account.held) == (Decimal("5000.0000"), Decimal("5000.0000"))
