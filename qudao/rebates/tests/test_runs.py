"""Rebate runs over real rows: every basis with exact figures, conditions, growth, previews that
post nothing, posting deltas only, interim then final true-up, and a run killed half-way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import OutboxEvent
from qudao.partners.models import FundEntry
from qudao.rebates import runs
from qudao.rebates.models import RebateLine, RebateRun
from qudao.rebates.tests.conftest import at, rebate_balance

Q1 = date(2025, 2, 1)


def settle(policy, actor, *, kind="final", period=Q1, as_of=None):
    run = runs.compute_run(policy=policy, period=period, kind=kind, as_of=as_of, actor=actor)
    runs.approve_run(run=run, actor=actor)
    return runs.post_run(run=run, actor=actor)


def line_of(run, partner) -> RebateLine:
    return RebateLine.objects.get(run=run, partner=partner)


def test_it_previews_net_sales_shipped_then_posts_them_to_the_rebate_fund(books, world):
    # given 300,000.00 shipped in Q1 2025 (the last at 23:30 on 31 March, local time), 3,000.00 of
    # it credited on 20 March, and sales outside the quarter on either side
    policy = books.policy()
    first = books.sale(world.dist_js, "hood_a", 100, "1500.00", date(2025, 2, 10))
    books.sale(world.dist_js, "hood_b", 100, "1500.00", date(2025, 3, 31))
    from qudao.orders.models import Shipment

    Shipment.objects.filter(order__lines=books.sale(world.dist_js, "hood_a", 1, "9999", date(2025, 4, 1)).pk).update(
        shipped_at=at(date(2025, 4, 1), 0)
    )
    books.sale(world.dist_js, "hood_a", 1, "8888", date(2024, 12, 31))
    books.credit(first, 2, date(2025, 3, 20))
    # when the run is computed
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then a preview: 297,000.00 at 2 % (retrospective) = 5,940.00, nothing posted
    line = line_of(run, world.dist_js)
    assert (run.status, run.period_start, run.period_end, run.partner_count) == (
        "preview",
        date(2025, 1, 1),
        date(2025, 3, 31),
        1,
    )
    assert (line.basis, line.tier_index, line.tier_value, line.amount, line.delta) == (
        D("297000"),
        2,
        D("2"),
        D("5940.00"),
        D("5940.00"),
    )
    assert line.explanation["basis"] == {
        "kind": "net_sales_shipped",
        "from": "2025-01-01",
        "to": "2025-03-31",
        "gross": "300000.00",
        "returns": "3000.00",
        "counted": "297000.00",
        "units": "198",
    }
    assert rebate_balance(world.dist_js) == D("0")
    assert FundEntry.objects.count() == 0
    # when it is approved and posted
    runs.approve_run(run=run, actor=world.finance)
    run = runs.post_run(run=run, actor=world.finance)
    # then the partner's rebate fund holds 5,940.00, with one deposit naming the run
    line.refresh_from_db()
    assert (run.status, run.posted_count, run.posted_total) == ("posted", 1, D("5940.00"))
    assert (line.posted_amount, line.fund_reference) == (D("5940.00"), f"{run.number}/{world.dist_js.code}")
    assert rebate_balance(world.dist_js) == D("5940.00")
    entry = FundEntry.objects.get()
    assert (entry.kind, entry.balance_delta, entry.reference) == ("deposit", D("5940.00"), line.fund_reference)
    assert list(
        OutboxEvent.objects.filter(event_type__startswith="rebate.").values_list("event_type", flat=True).order_by("pk")
    ) == ["rebate.run_approved", "rebate.posted", "rebate.run_posted"]
    # and posting again does nothing
    assert runs.post_run(run=run, actor=world.finance).posted_total == D("5940.00")
    assert FundEntry.objects.count() == 1


def test_it_counts_payments_without_the_bounced_one_marginally(books, world):
    # given 250,000.00 confirmed in Q1, 50,000.00 that bounced (reversed), and money after the quarter
    policy = books.policy(basis="payments", tier_style="marginal")
    books.payment(world.dist_js, "200000", date(2025, 1, 5))
    books.payment(world.dist_js, "50000", date(2025, 3, 31))
    books.payment(world.dist_js, "50000", date(2025, 2, 2), status="reversed")
    books.payment(world.dist_js, "10000", date(2025, 4, 1))
    # when
    run = settle(policy, world.finance)
    # then 100,000 at 1 % + 150,000 at 2 % = 4,000.00
    line = line_of(run, world.dist_js)
    assert (line.basis, line.tier_index, line.amount) == (D("250000"), 2, D("4000.00"))
    assert line.explanation["slices"] == [
        {"tier": 1, "size": "100000.00", "amount": "1000.0000"},
        {"tier": 2, "size": "150000.00", "amount": "3000.0000"},
    ]
    assert rebate_balance(world.dist_js) == D("4000.00")


def test_it_counts_only_payments_received_on_time(books, world):
    # given a payment of 190,000.00 received on 10 February paying an invoice due 28 February (on
    # time) and one due 31 January (late); an allocation undone since does not count either
    policy = books.policy(basis="payments_on_time")
    payment = books.payment(world.dist_js, "190000", date(2025, 2, 10))
    on_time = books.invoice(world.dist_js, "100000", date(2025, 1, 29), date(2025, 2, 28))
    late = books.invoice(world.dist_js, "50000", date(2025, 1, 1), date(2025, 1, 31))
    undone = books.invoice(world.dist_js, "40000", date(2025, 2, 1), date(2025, 3, 31))
    books.allocate(payment, on_time, "100000", date(2025, 2, 20))
    books.allocate(payment, late, "50000", date(2025, 2, 20))
    first = books.allocate(payment, undone, "40000", date(2025, 2, 20))
    from qudao.finance.models import Allocation

    Allocation.objects.create(
        invoice=undone, source="payment", payment=payment, amount=D("-40000"), reverses=first, created_at=at(Q1)
    )
    # when
    run = settle(policy, world.finance)
    # then 100,000.00 at 2 % = 2,000.00
    line = line_of(run, world.dist_js)
    assert (line.basis, line.amount) == (D("100000"), D("2000.00"))


def test_it_counts_a_payment_on_time_by_the_day_the_money_arrived_not_the_day_it_was_allocated(books, world):
    # given 120,000.00 that arrived on 20 February for an invoice due 28 February but was only
    # allocated on 5 March (finance was late, not the partner), and 30,000.00 that arrived on
    # 3 March for the same due date, allocated that day
    policy = books.policy(basis="payments_on_time")
    early = books.payment(world.dist_js, "120000", date(2025, 2, 20))
    late = books.payment(world.dist_js, "30000", date(2025, 3, 3))
    invoice = books.invoice(world.dist_js, "150000", date(2025, 1, 29), date(2025, 2, 28))
    books.allocate(early, invoice, "120000", date(2025, 3, 5))
    books.allocate(late, invoice, "30000", date(2025, 3, 3))
    # when
    run = settle(policy, world.finance)
    # then the money that arrived by the due date counts: 120,000.00 at 2 % = 2,400.00
    line = line_of(run, world.dist_js)
    assert (line.basis, line.tier_index, line.amount) == (D("120000"), 2, D("2400.00"))
    assert rebate_balance(world.dist_js) == D("2400.00")


def test_a_return_after_its_period_reduces_the_period_of_its_shipment_and_the_re_run_posts_the_delta(books, world):
    # given two policies on dist_js (1 / 2 / 3 % from 0 / 100,000 / 300,000, retrospective): one
    # counting returns in the period of the shipment they reverse (the default), one in the period
    # of the credit note; 300,000.00 shipped in Q1 and settled finally by both (9,000.00 each)
    by_sale = books.policy()
    by_note = books.policy(returns_count_in="credit_note_period")
    assert (by_sale.returns_count_in, by_note.returns_count_in) == ("shipment_period", "credit_note_period")
    q1_sale = books.sale(world.dist_js, "hood_a", 100, "3000.00", date(2025, 2, 10))
    first = {policy.code: settle(policy, world.finance) for policy in (by_sale, by_note)}
    assert [line_of(run, world.dist_js).amount for run in first.values()] == [D("9000.00"), D("9000.00")]
    assert rebate_balance(world.dist_js) == D("18000.00")
    # when 20 of those units (60,000.00) come back and are credited on 15 April, 50,000.00 ships on
    # 5 May, and both policies settle Q1 again and Q2
    books.credit(q1_sale, 20, date(2025, 4, 15))
    books.sale(world.dist_js, "hood_b", 50, "1000.00", date(2025, 5, 5))
    again = {policy.code: settle(policy, world.finance) for policy in (by_sale, by_note)}
    q2 = {policy.code: settle(policy, world.finance, period=date(2025, 5, 1)) for policy in (by_sale, by_note)}
    # then by the shipment's period: Q1 counts 240,000.00 at 2 % = 4,800.00, so its re-run posts
    # -4,200.00 (an adjustment); Q2 counts its own 50,000.00 at 1 % = 500.00
    line = line_of(again[by_sale.code], world.dist_js)
    assert (line.basis, line.amount, line.already_posted, line.delta, line.posted_amount) == (
        D("240000"),
        D("4800.00"),
        D("9000.00"),
        D("-4200.00"),
        D("-4200.00"),
    )
    assert line.explanation["basis"]["returns"] == "60000.00"
    line = line_of(q2[by_sale.code], world.dist_js)
    assert (line.basis, line.amount) == (D("50000"), D("500.00"))
    # and by the credit note's period: Q1 is untouched (posts nothing), Q2 counts 50,000.00 - 60,000.00
    line = line_of(again[by_note.code], world.dist_js)
    assert (line.basis, line.amount, line.posted_amount) == (D("300000"), D("9000.00"), D("0"))
    line = line_of(q2[by_note.code], world.dist_js)
    assert (line.basis, line.amount) == (D("-10000"), D("0.00"))
    # and the fund: 18,000.00 - 4,200.00 + 500.00
    assert rebate_balance(world.dist_js) == D("14300.00")
    adjustment = FundEntry.objects.get(kind="adjustment")
    assert (adjustment.balance_delta, adjustment.reference) == (
        D("-4200.00"),
        f"{again[by_sale.code].number}/{world.dist_js.code}",
    )


def test_it_counts_units_of_a_product_line_per_unit_without_gifts_excluded_skus_or_promotions(books, world):
    # given kitchen units (HOOD-A, HOOD-B under 油烟机 < 厨电), washers, a gift line, a line an
    # excluded promotion applied to, an excluded SKU, and 5 HOOD-A units credited
    from qudao.pricing.tests.conftest import make_promo

    make_promo("P-X", "percent_off", value=D("10"))
    policy = books.policy(
        basis="quantity",
        product_lines=["kitchen"],
        skus=["WASH-A"],
        excluded_skus=["HOOD-B"],
        excluded_promotions=["P-X"],
        tiers=[
            {"lower_bound": "0", "reward": "per_unit", "value": "5"},
            {"lower_bound": "100", "reward": "per_unit", "value": "8"},
        ],
    )
    hood = books.sale(world.dist_js, "hood_a", 80, "1000", date(2025, 1, 10))
    books.sale(world.dist_js, "wash_a", 25, "3000", date(2025, 1, 10))
    books.sale(world.dist_js, "hood_b", 30, "2000", date(2025, 1, 10))
    books.sale(world.dist_js, "hood_a", 10, "0", date(2025, 1, 10), gift="P-GIFT")
    books.sale(world.dist_js, "hood_a", 20, "900", date(2025, 1, 10), promotions=["P-X"])
    books.credit(hood, 5, date(2025, 2, 1))
    # when
    run = settle(policy, world.finance)
    # then 80 + 25 - 5 = 100 units reach the second tier: 100 x 8.00 = 800.00
    line = line_of(run, world.dist_js)
    assert (line.basis, line.units, line.tier_index, line.amount) == (D("100"), D("100"), 2, D("800.00"))
    assert (line.explanation["basis"]["gross"], line.explanation["basis"]["returns"]) == ("105", "5")


def test_it_rewards_growth_and_a_zero_baseline_counts_whole(books, world):
    # given dist_js sold nothing in Q1 2024 and 120,000.00 in Q1 2025; sub_js 100,000.00 then
    # 150,000.00
    policy = books.policy(growth=True, target_partners=[world.dist_js.code, world.sub_js.code])
    books.sale(world.dist_js, "hood_a", 120, "1000", date(2025, 3, 1))
    books.sale(world.sub_js, "hood_a", 100, "1000", date(2024, 3, 1))
    books.sale(world.sub_js, "hood_a", 150, "1000", date(2025, 3, 1))
    # when
    run = settle(policy, world.finance)
    # then dist_js's growth is its whole basis (rate undefined): 120,000 at 2 % = 2,400.00
    dist = line_of(run, world.dist_js)
    assert (dist.basis, dist.amount) == (D("120000"), D("2400.00"))
    assert dist.explanation["growth"] == {
        "this_period": "120000.00",
        "last_year": "0.00",
        "from": "2024-01-01",
        "to": "2024-03-31",
        "growth": "120000.00",
        "rate": None,
    }
    # and sub_js grew 50,000.00 (50 %): 1 % = 500.00
    sub = line_of(run, world.sub_js)
    assert (sub.basis, sub.amount, sub.explanation["growth"]["rate"]) == (D("50000"), D("500.00"), "50.00")


def test_it_pays_nothing_when_a_condition_fails_and_says_why(books, world):
    # given a focus line (washers) of at least 30 %, 80 % of invoices paid, nothing overdue > 30 days
    policy = books.policy(
        target_partners=[world.dist_js.code, world.sub_js.code],
        focus_product_line="washers",
        focus_min_share="30",
        min_payment_ratio="80",
        max_overdue_days=30,
        cap="1500",
    )
    # dist_js: 100,000 of hoods and 50,000 of washers (33.33 %), invoiced 100,000, paid 90,000
    books.sale(world.dist_js, "hood_a", 100, "1000", date(2025, 1, 10))
    books.sale(world.dist_js, "wash_a", 50, "1000", date(2025, 1, 10))
    books.invoice(world.dist_js, "100000", date(2025, 1, 10), date(2025, 4, 10))
    books.payment(world.dist_js, "90000", date(2025, 2, 10))
    # sub_js: only hoods (0 %), and 10,000 due on 15 February still open on 31 March
    books.sale(world.sub_js, "hood_a", 100, "1000", date(2025, 1, 10))
    books.invoice(world.sub_js, "10000", date(2025, 1, 15), date(2025, 2, 15))
    # when
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # then dist_js meets every condition and earns 150,000 at 2 % = 3,000, capped at 1,500.00
    dist = line_of(run, world.dist_js)
    assert (dist.conditions_met, dist.computed_amount, dist.capped_amount, dist.amount) == (
        True,
        D("3000"),
        D("1500"),
        D("1500.00"),
    )
    assert dist.explanation["cap_applied"] is True
    assert [(c["code"], c["met"], c.get("actual")) for c in dist.explanation["conditions"]] == [
        ("focus_share", True, "33.33"),
        ("payment_ratio", True, "90.00"),
        ("overdue", True, None),
    ]
    # and sub_js fails the focus share and the overdue check: nothing
    sub = line_of(run, world.sub_js)
    assert (sub.conditions_met, sub.computed_amount, sub.amount) == (False, D("2000"), D("0"))
    # (nothing paid of 10,000.00 invoiced: 0 %)
    assert [(c["code"], c["met"]) for c in sub.explanation["conditions"]] == [
        ("focus_share", False),
        ("payment_ratio", False),
        ("overdue", False),
    ]
    assert sub.explanation["conditions"][2]["overdue"] == "10000.00"


def test_it_settles_interim_then_trues_up_at_the_end_posting_only_deltas(books, world):
    # given an interim-settled quarterly policy and 80,000.00 shipped in January
    policy = books.policy(allow_interim=True)
    books.sale(world.dist_js, "hood_a", 80, "1000", date(2025, 1, 15))
    # when the interim run counts January: 80,000 at 1 % = 800.00
    interim = settle(policy, world.finance, kind="interim", as_of=date(2025, 1, 31))
    assert (interim.as_of, line_of(interim, world.dist_js).posted_amount) == (date(2025, 1, 31), D("800.00"))
    # and 50,000.00 more ship in February: the final run earns 130,000 at 2 % = 2,600, posts 1,800
    books.sale(world.dist_js, "hood_b", 50, "1000", date(2025, 2, 15))
    final = settle(policy, world.finance)
    line = line_of(final, world.dist_js)
    assert (line.amount, line.already_posted, line.delta, line.posted_amount) == (
        D("2600.00"),
        D("800.00"),
        D("1800.00"),
        D("1800.00"),
    )
    assert rebate_balance(world.dist_js) == D("2600.00")
    # when a late return (40,000.00 credited, dated 30 March) is counted by a re-run
    books.credit(_order_line(world.dist_js, 80), 40, date(2025, 3, 30))
    again = settle(policy, world.finance)
    # then 90,000 at 1 % = 900: a negative adjustment of 1,700.00
    line = line_of(again, world.dist_js)
    assert (line.amount, line.already_posted, line.delta, line.posted_amount) == (
        D("900.00"),
        D("2600.00"),
        D("-1700.00"),
        D("-1700.00"),
    )
    assert rebate_balance(world.dist_js) == D("900.00")
    adjustment = FundEntry.objects.get(kind="adjustment")
    assert (adjustment.balance_delta, adjustment.reference) == (D("-1700.00"), f"{again.number}/{world.dist_js.code}")
    # and the partner's ledger follows the fund: posted 800 + 1,800, adjusted -1,700
    from qudao.finance import ledger
    from qudao.finance.models import LedgerEntry

    rebate_book = LedgerEntry.objects.filter(partner=world.dist_js, book="rebate").order_by("pk")
    assert [(entry.kind, entry.amount) for entry in rebate_book] == [
        ("rebate_posted", D("800.0000")),
        ("rebate_posted", D("1800.0000")),
        ("adjustment", D("-1700.0000")),
    ]
    assert ledger.balance_of(world.dist_js, "rebate") == D("900.00")
    # and running once more posts nothing; an interim run after the final is refused
    last = settle(policy, world.finance)
    assert (line_of(last, world.dist_js).delta, line_of(last, world.dist_js).posted_amount) == (D("0"), D("0"))
    assert FundEntry.objects.filter(account__kind="rebate").count() == 3
    with pytest.raises(Conflict):
        runs.compute_run(policy=policy, period=Q1, kind="interim", as_of=date(2025, 2, 28), actor=world.finance)


def _order_line(partner, quantity):
    from qudao.orders.models import OrderLine

    return OrderLine.objects.filter(order__partner=partner, quantity=quantity).first()


def test_it_takes_back_only_what_is_available_and_the_rest_later(books, world):
    # given 2,600.00 posted, then 1,000.00 of it held by an open order, then a return that brings
    # the rebate down to 900.00
    from qudao.partners import funds

    policy = books.policy()
    sold = books.sale(world.dist_js, "hood_a", 130, "1000", date(2025, 1, 15))
    settle(policy, world.finance)
    funds.hold(partner=world.dist_js, amount=D("1000.00"), reference="SO-HOLD", kind="rebate")
    books.credit(sold, 40, date(2025, 3, 30))
    # when re-run: 1,700.00 to take back, 1,600.00 available
    run = settle(policy, world.finance)
    # then 1,600.00 is taken and 100.00 stays owed
    line = line_of(run, world.dist_js)
    assert (line.delta, line.posted_amount) == (D("-1700.00"), D("-1600.00"))
    assert rebate_balance(world.dist_js) == D("1000.00")
    # when the order is cancelled (its hold released) and the period run again: the rest is taken
    funds.release(partner=world.dist_js, reference="SO-HOLD", kind="rebate")
    run = settle(policy, world.finance)
    line = line_of(run, world.dist_js)
    assert (line.already_posted, line.delta, line.posted_amount) == (D("1000.00"), D("-100.00"), D("-100.00"))
    assert rebate_balance(world.dist_js) == D("900.00")


def test_a_run_killed_half_way_and_posted_again_ends_like_a_clean_run(books, world):
    # given sales of three partners and two identical policies
    partners = [world.dist_js, world.sub_js, world.dealer_zj]
    for index, partner in enumerate(partners, start=1):
        books.sale(partner, "hood_a", 100 * index, "1000", date(2025, 2, 1))
    codes = [partner.code for partner in partners]
    killed_policy, clean_policy = books.policy(target_partners=codes), books.policy(target_partners=codes)
    killed = runs.compute_run(policy=killed_policy, period=Q1, kind="final", actor=world.finance)
    runs.approve_run(run=killed, actor=world.finance)

    class Killed(Exception):
        pass

    def die_after_two(done, total):
        if done == 2:
            raise Killed()

    # when posting dies after two partners
    with pytest.raises(Killed):
        runs.post_run(run=killed, actor=world.finance, progress=die_after_two)
    killed.refresh_from_db()
    assert (killed.status, killed.posted_count) == ("approved", 2)
    assert RebateLine.objects.filter(run=killed, posted_at__isnull=False).count() == 2
    # a new preview of the period is refused until it is finished
    with pytest.raises(Conflict):
        runs.compute_run(policy=killed_policy, period=Q1, kind="final", actor=world.finance)
    # and it is posted again, next to a clean run of the twin policy
    killed = runs.post_run(run=killed, actor=world.finance)
    clean = settle(clean_policy, world.finance)

    # then both posted the same amounts, once per partner
    def outcome(run):
        return sorted(
            (line.partner.code, line.posted_amount)
            for line in RebateLine.objects.filter(run=run).select_related("partner")
        )

    assert (
        outcome(killed)
        == outcome(clean)
        == sorted(
            [
                (world.dist_js.code, D("2000.00")),
                (world.sub_js.code, D("4000.00")),
                (world.dealer_zj.code, D("9000.00")),
            ]
        )
    )
    assert (killed.status, killed.posted_count, killed.posted_total) == (
        clean.status,
        clean.posted_count,
        clean.posted_total,
    )
    for run in (killed, clean):
        assert FundEntry.objects.filter(reference__startswith=f"{run.number}/").count() == 3
    assert rebate_balance(world.sub_js) == D("8000.00")


def test_it_refuses_runs_it_cannot_compute_and_writes_nothing(books, world):
    # given a policy without interim settlements
    policy = books.policy()
    # when / then
    with pytest.raises(FieldErrors) as caught:
        runs.compute_run(policy=policy, period="2025-02-30", kind="weekly", actor=world.finance)
    assert set(caught.value.errors) == {"kind", "period"}
    with pytest.raises(FieldErrors) as caught:
        runs.compute_run(policy=policy, period=Q1, kind="interim", actor=world.finance)
    assert [str(m) for m in caught.value.errors["kind"]] == ["This policy has no interim settlements."]
    with pytest.raises(FieldErrors) as caught:
        runs.compute_run(policy=policy, period=date.today(), kind="final", actor=world.finance)
    assert list(caught.value.errors) == ["kind"]
    assert RebateRun.objects.count() == 0
    # and a posted or superseded run cannot be approved again
    first = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    second = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "preview")
    with pytest.raises(Conflict):
        runs.approve_run(run=first, actor=world.finance)
    with pytest.raises(Conflict):
        runs.post_run(run=second, actor=world.finance)
