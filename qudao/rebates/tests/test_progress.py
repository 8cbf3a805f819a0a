"""Live rebate progress: kept incrementally by the real orders and finance services (shipments,
returns credited, invoices, payments and their reversal) and equal to a full recomputation; what
the partner sees (tier, earned, the next tier's sentence) under both tier styles and per unit; what
a priced cart would add; drift found by `check` and mended by `recompute`."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from qudao.finance import payments
from qudao.finance.models import Payment
from qudao.inventory.models import Warehouse
from qudao.orders import returns, shipping
from qudao.orders import services as orders
from qudao.orders.models import CreditNote
from qudao.orders.tests import conftest as orders_fixtures
from qudao.partners.models import Partner
from qudao.pricing import engine as pricing
from qudao.rebates import basis, progress
from qudao.rebates.models import RebatePolicy, RebateProgress
from qudao.rebates.tasks import recompute_rebate_progress

pytestmark = pytest.mark.django_db
shop = orders_fixtures.shop  # the catalogue with 20 of each SKU in stock, dist_js with 100,000.00 of credit


def place(world, shop, *pairs):
    order, _created = orders.place_order(
        partner=world.dist_js,
        lines=[{"sku": shop.skus[key].pk, "quantity": quantity} for key, quantity in pairs],
        actor=world.dist_admin,
    )
    orders.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    order.refresh_from_db()
    return order


def ship(world, order, *pairs):
    shipment = shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(order.lines.get(line_no=no).pk, quantity) for no, quantity in pairs],
        actor=world.operations,
    )
    order.refresh_from_db()
    return shipment


def credit_return(world, order, line_no, quantity):
    rma = returns.request_return(
        order=order,
        lines=[(order.lines.get(line_no=line_no).pk, quantity)],
        reason="damaged",
        description="x",
        actor=world.dist_admin,
    )
    returns.approve_return(return_request=rma, actor=world.operations)
    returns.receive_return(
        return_request=rma,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(rma.lines.get().pk, quantity, "sellable")],
        actor=world.operations,
    )
    return CreditNote.objects.get(return_request=rma)


def row(policy, partner):
    start, _end = progress.period_for(policy, timezone.localdate())
    found = RebateProgress.objects.filter(policy=policy, period_start=start, partner=partner).first()
    return None if found is None else (found.basis, found.units)


def test_it_keeps_progress_incrementally_through_shipments_returns_and_payments_equal_to_a_recomputation(
    world, shop, books, django_capture_on_commit_callbacks
):
    # given five active policies on dist_js: net sales shipped, invoiced, units of hoods, amount
    # without WASH-A, payments and payments on time (monthly)
    shipped = books.policy()
    invoiced = books.policy(basis="net_sales_invoiced")
    hoods = books.policy(
        basis="quantity",
        product_lines=["hoods"],
        tier_style="marginal",
        tiers=[
            {"lower_bound": "0", "reward": "per_unit", "value": "10"},
            {"lower_bound": "5", "reward": "per_unit", "value": "20"},
        ],
    )
    no_wash = books.policy(basis="amount", product_lines=["appliances"], excluded_skus=["WASH-A"])
    paid = books.policy(basis="payments", period_kind="month")
    on_time = books.policy(basis="payments_on_time", period_kind="month")
    everything = (shipped, invoiced, hoods, no_wash, paid, on_time)
    # activation computed every policy's current period: zero rows
    assert [row(policy, world.dist_js) for policy in everything] == [(D("0"), D("0"))] * 6
    # when: 3 HOOD-A + 1 WASH-A (6,897.00) ship, then 1 of 2 HOOD-B (2,000.00)
    first = place(world, shop, ("hood_a", 3), ("wash_a", 1))
    ship(world, first, (1, 3), (2, 1))
    second = place(world, shop, ("hood_b", 2))
    ship(world, second, (1, 1))
    # then
    assert row(shipped, world.dist_js) == (D("8897.0000"), D("5.0000"))
    assert row(invoiced, world.dist_js) == (D("8897.0000"), D("5.0000"))
    assert row(hoods, world.dist_js) == (D("4.0000"), D("4.0000"))
    assert row(no_wash, world.dist_js) == (D("5897.0000"), D("4.0000"))
    # when: one HOOD-A comes back and is credited (1,299.00)
    note = credit_return(world, first, 1, 1)
    assert note.amount == D("1299.0000")
    # then every net sales basis loses it, the payments ones do not move
    assert row(shipped, world.dist_js) == (D("7598.0000"), D("4.0000"))
    assert row(invoiced, world.dist_js) == (D("7598.0000"), D("4.0000"))
    assert row(hoods, world.dist_js) == (D("3.0000"), D("3.0000"))
    assert row(no_wash, world.dist_js) == (D("4598.0000"), D("3.0000"))
    assert row(paid, world.dist_js) == (D("0"), D("0"))
    # when: 5,000.00 is received (allocated to the oldest invoices), then 1,000.00, then the first
    # bounces and is reversed
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        big, _c = payments.record_payment(
            partner=world.dist_js, data={"amount": "5000", "received_on": today.isoformat(), "bank_reference": "B1"},
            actor=world.finance,
        )  # fmt: skip
    assert row(paid, world.dist_js) == (D("5000.0000"), D("0"))
    assert row(on_time, world.dist_js) == (D("5000.0000"), D("0"))
    with django_capture_on_commit_callbacks(execute=True):
        payments.record_payment(
            partner=world.dist_js, data={"amount": "1000", "received_on": today.isoformat(), "bank_reference": "B2"},
            actor=world.finance,
        )  # fmt: skip
    payments.reverse_payment(payment=big, actor=world.finance, reason="bounced")
    # then only 1,000.00 counts, paid and on time
    assert Payment.objects.get(pk=big.pk).status == "reversed"
    assert row(paid, world.dist_js) == (D("1000.0000"), D("0"))
    assert row(on_time, world.dist_js) == (D("1000.0000"), D("0"))
    # and every row equals a full recomputation, for every partner
    assert [progress.check(policy) for policy in everything] == [[]] * 6
    before = {policy.code: row(policy, world.dist_js) for policy in everything}
    for policy in everything:
        progress.recompute(policy)
    assert {policy.code: row(policy, world.dist_js) for policy in everything} == before
    # and the partner sees it: 7,598.00 at 1 % = 75.98 earned on the shipped basis
    seen = {item.policy.code: item for item in progress.progress_for(Partner.objects.get(pk=world.dist_js.pk))}
    assert (seen[shipped.code].basis, seen[shipped.code].tier, seen[shipped.code].earned) == (D("7598"), 1, D("75.98"))
    assert seen[hoods.code].earned == D("30.00")  # 3 units at 10.00 (marginal, below 5 units)


def test_it_finds_drift_and_mends_it_with_a_recomputation(world, books, capsys, caplog):
    # given a policy whose progress was computed when it took effect, then sales written without
    # any event (as an ERP import into the database would)
    policy = books.policy()
    books.sale(world.dist_js, "hood_a", 100, "2877.00", timezone.localdate())
    # when checked
    drift = progress.check(policy)
    # then dist_js differs: 0 stored, 287,700.00 recomputed
    assert drift == [{"partner_id": world.dist_js.pk, "stored": (D("0"), D("0")), "full": (D("287700"), D("100"))}]
    # and the management command lists it and exits 1
    with pytest.raises(CommandError, match="1 progress row"):
        call_command("check_rebate_progress")
    assert f"{policy.code}: partner {world.dist_js.pk} stored 0.00 recomputed 287700.00" in capsys.readouterr().out
    # when the nightly task runs
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="qudao.rebates.progress"):
        recompute_rebate_progress()
    # then it logged the drift and rebuilt the rows: nothing differs any more
    assert (
        f"rebate progress drift: policy {policy.code}, 1 partner(s): {world.dist_js.pk} 0.00 != 287700.00"
        in caplog.text
    )
    assert progress.check(policy) == []
    assert row(policy, world.dist_js) == (D("287700.0000"), D("100.0000"))
    call_command("check_rebate_progress")
    assert "no drift" in capsys.readouterr().out


def test_it_tells_the_partner_what_the_next_tier_needs_and_pays_in_both_tier_styles(world, books):
    # given 287,700.00 shipped this quarter; tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 %
    retro = books.policy(name="追溯")
    marginal = books.policy(name="超额", tier_style="marginal")
    books.sale(world.dist_js, "hood_a", 100, "2877.00", timezone.localdate())
    progress.recompute(retro)
    progress.recompute(marginal)
    partner = Partner.objects.select_related("tier", "region").get(pk=world.dist_js.pk)
    # when the partner's progress is read
    seen = {item.policy.code: item for item in progress.progress_for(partner)}
    # then retrospective: 2 % of 287,700 = 5,754.00; at 300,000: 9,000.00, so +3,246.00
    item = seen[retro.code]
    assert (item.basis, item.tier, item.tier_label, item.earned) == (D("287700"), 2, "2%", D("5754.00"))
    assert (item.next_tier, item.next_bound, item.missing, item.next_total, item.next_increase) == (
        3, D("300000"), D("12300"), D("9000.00"), D("3246.00")
    )  # fmt: skip
    assert item.sentence == "¥12,300 more this quarter lifts you to 3%: +¥3,246"
    assert item.percent == 95
    # and marginal: 1,000.00 + 2 % of 187,700 = 4,754.00; at 300,000: 5,000.00, so +246.00
    item = seen[marginal.code]
    assert (item.tier, item.earned, item.next_total, item.next_increase) == (2, D("4754.00"), D("5000.00"), D("246.00"))
    assert item.sentence == "¥12,300 more this quarter lifts you to 3%: +¥246"


def test_it_tells_a_per_unit_policy_in_units_and_the_top_tier_plainly(world, books):
    # given 40 hoods this quarter under 2.00 a unit, 3.00 a unit from 50 (retrospective), and a
    # policy whose top tier is reached
    units = books.policy(
        basis="quantity",
        product_lines=["hoods"],
        cap="5000",
        tiers=[
            {"lower_bound": "0", "reward": "per_unit", "value": "2"},
            {"lower_bound": "50", "reward": "per_unit", "value": "3"},
        ],
    )
    small = books.policy(tiers=[{"lower_bound": "0", "value": "1"}, {"lower_bound": "1000", "value": "1.5"}])
    books.sale(world.dist_js, "hood_a", 40, "100.00", timezone.localdate())
    progress.recompute(units)
    progress.recompute(small)
    # when
    seen = {item.policy.code: item for item in progress.progress_for(Partner.objects.get(pk=world.dist_js.pk))}
    # then 40 units at 2.00 = 80.00; 10 more units reach 3.00 a unit: 150.00, so +70.00
    item = seen[units.code]
    assert (item.basis, item.earned, item.missing, item.next_increase) == (D("40"), D("80.00"), D("10"), D("70.00"))
    assert item.sentence == "10 units more this quarter lifts you to ¥3 a unit: +¥70"
    # and 4,000.00 at 1.5 % is the top tier: 60.00
    assert (seen[small.code].tier, seen[small.code].earned, seen[small.code].next_bound) == (2, D("60.00"), None)
    assert seen[small.code].sentence == "You have reached the top tier (1.5%)."


def test_it_shows_what_a_priced_cart_would_add_to_each_policy(world, shop, books, django_assert_max_num_queries):
    # given 287,700.00 shipped this quarter (tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 %), 40 hoods
    # under a per-unit policy of hoods, and a payments policy
    net = books.policy()
    hoods = books.policy(
        basis="quantity",
        product_lines=["hoods"],
        tiers=[
            {"lower_bound": "0", "reward": "per_unit", "value": "2"},
            {"lower_bound": "50", "reward": "per_unit", "value": "3"},
        ],
    )
    paid = books.policy(basis="payments", period_kind="month")
    books.sale(world.dist_js, "hood_a", 100, "2877.00", timezone.localdate())
    for policy in (net, hoods, paid):
        progress.recompute(policy)
    partner = Partner.objects.select_related("tier", "region").get(pk=world.dist_js.pk)
    # when a cart of 3 HOOD-A (3,897.00) and 1 WASH-A (3,000.00) is priced and its effect read
    lines = [pricing.CartLine(sku=shop.skus[key].pk, quantity=n) for key, n in (("hood_a", 3), ("wash_a", 1))]
    cart = pricing.quote(partner, lines, timezone.localdate())
    assert cart.total == D("6897.00")
    with django_assert_max_num_queries(5):  # policies, tiers, progress rows, the cart's SKUs, product lines
        seen = {item.policy.code: item for item in progress.progress_for(partner, cart=cart)}
    # then the net sales policy: 294,597.00, still 2 %: +137.94; 5,403.00 more lifts it to 3 %
    assert seen[net.code].cart["added"] == D("6897.00")
    assert (seen[net.code].cart["earned_after"], seen[net.code].cart["rebate_added"]) == (D("5891.94"), D("137.94"))
    assert seen[net.code].cart["sentence"] == "This order adds ¥6,897 to your quarter: ¥5,403 more lifts you to 3%"
    # and the hoods policy counts the 3 HOOD-A only (100 hoods already: 3 more at 3.00 = +9.00)
    assert (seen[hoods.code].cart["added"], seen[hoods.code].cart["rebate_added"]) == (D("3"), D("9.00"))
    assert seen[hoods.code].cart["sentence"] == "This order adds 3 units to your quarter: +¥9 rebate"
    # and the payments policy adds nothing
    assert (seen[paid.code].cart["added"], seen[paid.code].cart["rebate_added"]) == (D("0"), D("0.00"))
    assert seen[paid.code].cart["sentence"] == "Payments count when they are received, not when you order."
    # when the cart grows to cross the tier: 10 HOOD-B (20,000.00) more
    cart = pricing.quote(partner, [pricing.CartLine(sku=shop.skus["hood_b"].pk, quantity=10)], timezone.localdate())
    item = {i.policy.code: i for i in progress.progress_for(partner, cart=cart)}[net.code]
    # then 307,700.00 at 3 % = 9,231.00: +3,477.00
    assert item.cart["sentence"] == "This order adds ¥20,000 to your quarter and lifts you to 3%: +¥3,477"


def test_it_applies_only_the_policies_that_target_the_partner_and_counts_growth_over_last_year(world, books):
    # given a growth policy on dist_js (same quarter last year: 50,000.00; this quarter so far
    # 180,000.00) and a policy for another partner
    today = timezone.localdate()
    growth = books.policy(growth=True)
    books.policy(target_partners=[world.dealer_zj.code])
    by_region = books.policy(target_partners=[], target_regions=[world.regions["jiangsu"].code])
    books.policy(target_partners=[], target_regions=[world.regions["zhejiang"].code])
    by_type = books.policy(
        target_partners=[], target_partner_types=["distributor"], target_regions=[world.regions["jiangsu"].code]
    )
    books.policy(target_partners=[], target_partner_types=["dealer"])
    books.sale(world.dist_js, "hood_a", 50, "1000.00", today.replace(year=today.year - 1, day=1))
    books.sale(world.dist_js, "hood_a", 60, "3000.00", today)
    progress.recompute(growth)
    # when dist_js reads its progress
    seen = progress.progress_for(Partner.objects.get(pk=world.dist_js.pk))
    # then the growth policy and those of its region and type, as the runs' targeting says
    assert sorted(item.policy.code for item in seen) == sorted([growth.code, by_region.code, by_type.code])
    from qudao.rebates.basis import target_partners

    assert {item.policy.code for item in seen} == {
        policy.code
        for policy in RebatePolicy.objects.filter(status="active")
        if target_partners(policy).filter(pk=world.dist_js.pk).exists()
    }
    # and growth 130,000.00 at 2 % = 2,600.00; the baseline cached on the row
    item = next(item for item in seen if item.policy.code == growth.code)
    assert (item.counted, item.baseline, item.basis, item.tier, item.earned) == (
        D("180000"), D("50000"), D("130000"), 2, D("2600.00")
    )  # fmt: skip
    assert RebateProgress.objects.get(policy=growth, partner=world.dist_js).baseline == D("50000.0000")


def test_it_seeds_the_demo_partners_progress(books, world):
    # given 10,000.00 shipped to dist_js today
    import random

    from qudao.rebates.demo import seed_rebates

    books.sale(world.dist_js, "hood_a", 10, "1000", timezone.localdate())
    # when the demo policies are seeded
    report = seed_rebates(random.Random(1))
    # then every active policy has its progress rows for this period, equal to a recomputation
    quarterly = RebatePolicy.objects.get(code="DEMO-Q-NET")
    assert row(quarterly, world.dist_js) == (D("10000.0000"), D("10.0000"))
    assert report["progress_rows"] == RebateProgress.objects.count() > 0
    assert [progress.check(policy) for policy in RebatePolicy.objects.filter(status="active")] == [[]] * 5


def test_it_counts_an_announced_payment_when_finance_confirms_it(world, books, django_capture_on_commit_callbacks):
    # given a monthly payments policy with no progress row for dist_js yet, and two payments the
    # partner announces with a proof
    from django.core.files.uploadedfile import SimpleUploadedFile

    paid = books.policy(basis="payments", period_kind="month")
    RebateProgress.objects.all().delete()
    today = timezone.localdate().isoformat()
    announced = [
        payments.announce_payment(
            partner=world.dist_js,
            data={"amount": amount, "received_on": today, "bank_reference": f"ANN-{amount}"},
            proof=SimpleUploadedFile("slip.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
            actor=world.dist_admin,
        )[0]
        for amount in ("1500.00", "700.00")
    ]
    # then announcing counts nothing
    assert row(paid, world.dist_js) is None
    # when finance confirms the first (the row is computed once the confirmation has committed)
    with django_capture_on_commit_callbacks(execute=True):
        payments.confirm_payment(payment=announced[0], actor=world.finance)
    assert row(paid, world.dist_js) == (D("1500.0000"), D("0"))
    # and the second (an increment)
    payments.confirm_payment(payment=announced[1], actor=world.finance)
    # then both count, as a full recomputation says
    assert row(paid, world.dist_js) == (D("2200.0000"), D("0"))
    assert progress.check(paid) == []


def test_it_counts_money_on_time_when_finance_allocates_it_later(world, books, django_capture_on_commit_callbacks):
    # given a monthly on-time policy and 3,000.00 received today while nothing was owed (unallocated)
    on_time = books.policy(basis="payments_on_time", period_kind="month")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        payment, _created = payments.record_payment(
            partner=world.dist_js, data={"amount": "3000", "received_on": today.isoformat(), "bank_reference": "U1"},
            actor=world.finance,
        )  # fmt: skip
    assert (payment.unallocated, row(on_time, world.dist_js)) == (D("3000.00"), (D("0"), D("0")))
    # when an invoice due in 30 days arrives from the ERP and finance allocates the money to it
    books.invoice(world.dist_js, "2000", today, today + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        payments.allocate_payment(payment=Payment.objects.get(pk=payment.pk), actor=world.finance)
    # then the 2,000.00 that paid it (the money arrived before the due date) counts at once
    assert row(on_time, world.dist_js) == (D("2000.0000"), D("0"))
    assert progress.check(on_time) == []


def test_a_return_of_last_quarter_s_goods_leaves_this_quarter_s_progress_alone_by_default(world, books):
    # given two quarterly policies on dist_js - returns counted in the sale's period (the default) or
    # in the credit note's - 10 HOOD-A (10,000.00) shipped last quarter and 5 (5,000.00) this quarter
    by_sale = books.policy()
    by_note = books.policy(returns_count_in="credit_note_period")
    start, _end = progress.period_for(by_sale, timezone.localdate())
    last_quarter = start - timedelta(days=20)
    old_line = books.sale(world.dist_js, "hood_a", 10, "1000.00", last_quarter)
    books.sale(world.dist_js, "hood_a", 5, "1000.00", timezone.localdate())
    for policy in (by_sale, by_note):
        progress.recompute(policy)
        progress.recompute(policy, last_quarter)
    # when 2 of last quarter's units come back and are credited today (2,000.00)
    note = credit_return(world, old_line.order, 1, 2)
    assert (note.amount, note.issued_on) == (D("2000.00"), timezone.localdate())
    # then by the sale's period this quarter keeps 5,000.00 and last quarter's row loses 2,000.00;
    # by the credit note's period this quarter loses it
    assert row(by_sale, world.dist_js) == (D("5000.0000"), D("5.0000"))
    assert row(by_note, world.dist_js) == (D("3000.0000"), D("3.0000"))
    past = RebateProgress.objects.get(policy=by_sale, partner=world.dist_js, period_start__lt=start)
    assert (past.basis, past.units) == (D("8000.0000"), D("8.0000"))
    # and every row equals a full recomputation with the runs' SQL, this quarter and last
    assert [progress.check(policy) for policy in (by_sale, by_note)] == [[], []]
    assert [progress.check(policy, last_quarter) for policy in (by_sale, by_note)] == [[], []]


def test_a_growth_baseline_follows_last_year_s_data_backfilled_by_the_erp(
    world, books, django_capture_on_commit_callbacks
):
    # given a quarterly growth policy on payments collected (1 / 2 / 3 % from 0 / 100,000 / 300,000
    # of growth) and 150,000.00 received today, with nothing known of last year yet
    growth = books.policy(basis="payments", growth=True)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        payments.record_payment(
            partner=world.dist_js, data={"amount": "150000", "received_on": today.isoformat(), "bank_reference": "N1"},
            actor=world.finance,
        )  # fmt: skip
    seen = {item.policy.code: item for item in progress.progress_for(Partner.objects.get(pk=world.dist_js.pk))}
    assert (seen[growth.code].baseline, seen[growth.code].basis, seen[growth.code].earned) == (
        D("0"),
        D("150000"),
        D("3000.00"),
    )
    # when the ERP backfills 100,000.00 received on the same day last year
    with django_capture_on_commit_callbacks(execute=True):
        payments.record_payment(
            partner=world.dist_js,
            data={
                "amount": "100000",
                "received_on": basis.same_day_last_year(today).isoformat(),
                "bank_reference": "O1",
            },
            actor=world.finance,
            source=Payment.Source.IMPORT,
        )
    # then the row's baseline follows: growth 50,000.00 at 1 % = 500.00
    seen = {item.policy.code: item for item in progress.progress_for(Partner.objects.get(pk=world.dist_js.pk))}
    assert (seen[growth.code].baseline, seen[growth.code].basis, seen[growth.code].earned) == (
        D("100000.0000"),
        D("50000.0000"),
        D("500.00"),
    )
    assert progress.check(growth) == []


def test_the_check_compares_baselines_and_repair_rebuilds_exactly_the_rows_that_differ(world, books, capsys):
    # given a growth policy on net invoiced sales and a policy on net sales shipped, both over
    # dist_js and dealer_zj, their rows computed; then, without any event (a direct database load),
    # last year's invoice of 40,000.00 for dist_js and 7,000.00 shipped today to dealer_zj
    targets = [world.dist_js.code, world.dealer_zj.code]
    growth = books.policy(code="G-INV", basis="net_sales_invoiced", growth=True, target_partners=targets)
    shipped = books.policy(code="N-SHIP", target_partners=targets)
    progress.recompute(growth)
    progress.recompute(shipped)
    today = timezone.localdate()
    last_year = basis.same_day_last_year(today)
    books.invoice(world.dist_js, "40000", last_year, last_year + timedelta(days=30))
    books.sale(world.dealer_zj, "hood_a", 7, "1000.00", today)
    rows = {
        (r.policy.code, r.partner_id): (r.pk, r.updated_at) for r in RebateProgress.objects.select_related("policy")
    }
    assert len(rows) == 4
    # when checked
    with pytest.raises(CommandError, match="2 progress row"):
        call_command("check_rebate_progress")
    # then exactly the two rows that differ are listed, the baseline too
    assert capsys.readouterr().out.splitlines() == [
        f"G-INV: partner {world.dist_js.pk} stored 0.00 recomputed 0.00, baseline stored 0.00 recomputed 40000.00",
        f"N-SHIP: partner {world.dealer_zj.pk} stored 0.00 recomputed 7000.00",
    ]
    # when repaired
    call_command("check_rebate_progress", "--repair")
    # then those two rows are rebuilt and the others keep their row and updated time
    assert capsys.readouterr().out.splitlines()[-1] == "Rebuilt 2 row(s): G-INV (1), N-SHIP (1)."
    after = {(r.policy.code, r.partner_id): r for r in RebateProgress.objects.select_related("policy")}
    assert (after[("G-INV", world.dist_js.pk)].baseline, after[("N-SHIP", world.dealer_zj.pk)].basis) == (
        D("40000.0000"),
        D("7000.0000"),
    )
    for key in [("G-INV", world.dealer_zj.pk), ("N-SHIP", world.dist_js.pk)]:
        assert (after[key].pk, after[key].updated_at) == rows[key]
    for key in [("G-INV", world.dist_js.pk), ("N-SHIP", world.dealer_zj.pk)]:
        assert after[key].updated_at > rows[key][1]
    call_command("check_rebate_progress")
    assert "no drift" in capsys.readouterr().out
