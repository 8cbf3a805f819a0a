"""The semantic layer over the store: every metric's exact figure on the fixed trade
(test_store_fixtures.py), the same figure computed against the transactional database, history-
correct attribution, scoping, refusals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db.models import F, Sum

from qudao.analytics import semantic, store
from qudao.core.errors import FieldErrors, Forbidden, NotFound
from qudao.pricing.tests.conftest import catalogue  # noqa: F401
from qudao.rebates.tests.conftest import at

from . import test_store_fixtures as fixtures
from .test_store_fixtures import END, START, date_back_changes, figures

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use

D = Decimal
ALL = [
    "net_sales",
    "gross_sales",
    "discounts",
    "units",
    "orders",
    "average_order_value",
    "returns",
    "return_rate",
    "price_realisation",
    "payments_collected",
    "receivables",
    "overdue",
    "gross_margin",
    "gross_margin_rate",
    "rebates_posted",
    "rebate_share",
    "active_partners",
    "new_partners",
    "dormant_partners",
    "dso",
    "order_cycle_time",
    "fill_rate",
]


def database_figures(start: date, end: date) -> dict:
    """The same figures straight from the transactional database (rebates.basis for sales)."""
    from qudao.finance.models import Allocation, Invoice, Payment
    from qudao.orders.models import CreditNoteLine, OrderLine, Shipment, ShipmentLine
    from qudao.partners.models import Partner
    from qudao.rebates import basis

    partners = Partner.objects.all()
    by_credit_note_date = SimpleNamespace(returns_count_in="credit_note_period")
    shipped = sum((amount for amount, _units in basis.shipped(None, partners, start, end, scoped=False).values()), D(0))
    credited = basis.credited(by_credit_note_date, partners, start, end, scoped=False)
    returns = sum((amount for amount, _units in credited.values()), D(0))
    low, high = basis.bounds(start, end)
    lines = ShipmentLine.objects.filter(
        shipment__shipped_at__gte=low, shipment__shipped_at__lt=high, order_line__gift_promotion=""
    )
    gross = lines.aggregate(v=Sum(F("quantity") * F("order_line__list_price")))["v"]
    units = (
        lines.aggregate(v=Sum("quantity"))["v"]
        - CreditNoteLine.objects.filter(credit_note__issued_on__range=(start, end)).aggregate(v=Sum("quantity"))["v"]
    )
    cost = (
        ShipmentLine.objects.filter(shipment__shipped_at__gte=low, shipment__shipped_at__lt=high).aggregate(
            v=Sum(F("quantity") * F("order_line__sku__cost_price"))
        )["v"]
        - CreditNoteLine.objects.filter(credit_note__issued_on__range=(start, end)).aggregate(
            v=Sum(F("quantity") * F("order_line__sku__cost_price"))
        )["v"]
    )
    ordered = OrderLine.objects.filter(order__submitted_at__gte=low, order__submitted_at__lt=high).exclude(
        order__status__in=["draft", "cancelled", "rejected"]
    )
    orders = ordered.values("order_id").distinct().count()
    invoices = Invoice.objects.exclude(status="void").filter(issued_on__lte=end)
    owed = (
        invoices.aggregate(v=Sum("amount"))["v"]
        - Allocation.objects.filter(invoice__in=invoices, allocated_on__lte=end).aggregate(v=Sum("amount"))["v"]
    )
    overdue = sum(basis.overdue_at(partners, end, 0).values(), D(0))
    net = shipped - returns
    delivered = Shipment.objects.filter(order__status="delivered", delivered_at__gte=low, delivered_at__lt=high)
    cycles = [shipment.delivered_at - shipment.order.submitted_at for shipment in delivered.select_related("order")]
    seconds = sum(cycle.days * 86400 + cycle.seconds for cycle in cycles)
    on_time = sum(
        min(
            line.quantity,
            sum(
                shipped.quantity
                for shipped in line.shipment_lines.all()
                if shipped.shipment.shipped_at <= line.order.submitted_at + timedelta(days=7)
            ),
        )
        for line in ordered.filter(gift_promotion="").select_related("order")
    )
    return {
        "fill_rate": (D(on_time) / ordered.filter(gift_promotion="").aggregate(v=Sum("quantity"))["v"]).quantize(
            D("0.0001")
        ),
        "dso": (owed / net * ((end - start).days + 1)).quantize(D("0.1")),
        "order_cycle_time": (D(seconds) / 86400 / len(cycles)).quantize(D("0.1")),
        "net_sales": net,
        "gross_sales": gross,
        "discounts": gross - shipped,
        "units": units,
        "orders": orders,
        "order_value": ordered.aggregate(v=Sum("line_total"))["v"],
        "returns": returns,
        "payments_collected": Payment.objects.filter(status="confirmed", received_on__range=(start, end)).aggregate(
            v=Sum("amount")
        )["v"],
        "receivables": owed,
        "overdue": overdue,
        "gross_margin": net - cost,
        "active_partners": lines.values("shipment__order__partner_id").distinct().count(),
    }


def test_it_answers_every_metric_exactly_on_the_store_and_the_database_agrees(trade, world):
    # given the fixed trade in the store
    store.rebuild()
    # when the administrator asks for every metric over 2025
    result = semantic.query(world.admin, ALL, [], {}, START, END)
    # then every figure is exact
    row = figures(result)[()]
    assert row == {
        "net_sales": D("6999.99"),
        "gross_sales": D("8599.99"),
        "discounts": D("600.00"),
        "units": 6,
        "orders": 4,
        "average_order_value": D("2000.00"),  # 7,999.99 / 4 = 1,999.9975, half up
        "returns": D("1000.00"),
        "return_rate": D("0.1250"),
        "price_realisation": D("0.9302"),
        "payments_collected": D("1000.00"),
        "receivables": D("3000.00"),
        "overdue": D("3000.00"),
        "gross_margin": D("2299.99"),  # 6,999.99 - (2,400 + 600 + 300 gift + 2,000 - 600 returned)
        "gross_margin_rate": D("0.3286"),
        "rebates_posted": D("0.00"),
        "rebate_share": D("0.0000"),
        "active_partners": 3,
        "new_partners": 0,  # the partners were created in 2026
        "dormant_partners": 3,  # nothing shipped since 20 June
        "dso": D("156.4"),  # 3,000.00 / 6,999.99 × 365 days
        "order_cycle_time": D("4.5"),  # 8 March 09:00 to 12 March 21:00
        "fill_rate": D("0.8571"),  # 6 of 7 units within seven days (dealer_zj's WASH-A took 15)
    }
    # and the transactional database says the same
    db = database_figures(START, END)
    for code, value in db.items():
        if code == "order_value":
            assert value == D("7999.99")
            continue
        if code in ("dso", "order_cycle_time", "fill_rate"):
            assert row[code] == value, code
            continue
        assert row[code] == (value if isinstance(value, int) else D(value).quantize(D("0.01"))), code
    # and the columns carry labels and formats
    assert result.columns[0] == {"code": "net_sales", "label": "Net sales", "kind": "metric", "format": "money"}


def test_it_counts_new_partners_and_posted_and_accrued_rebates(trade, world):
    from qudao.rebates import progress
    from qudao.rebates.models import RebateLine, RebateRun

    # given a posted rebate of 70.00 for dist_js on 1 July 2025
    policy = trade.books.policy()
    run = RebateRun.objects.create(
        number="RR-T1",
        policy=policy,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        as_of=date(2025, 6, 30),
        kind="final",
        status="posted",
    )
    RebateLine.objects.create(
        run=run,
        partner=world.dist_js,
        policy=policy,
        period_start=date(2025, 4, 1),
        amount=D("70.00"),
        posted_amount=D("70.00"),
        posted_at=at(date(2025, 7, 1)),
    )
    # and dist_js's live progress on the policy (1 % from the first yuan): Q1 2,000.00 (3,000 shipped
    # less the return of 2 April, counted in the sale's quarter), Q2 1,000.00
    progress.recompute(policy, date(2025, 1, 1))
    progress.recompute(policy, date(2025, 4, 1))
    store.rebuild()
    # when
    metrics = ["rebates_posted", "rebate_share", "new_partners", "rebates_accrued"]
    row = figures(semantic.query(world.admin, metrics, [], {}, START, END))
    by_quarter = figures(semantic.query(world.admin, ["rebates_accrued"], [], {}, START, END, grain="quarter"))
    now = figures(semantic.query(world.admin, ["new_partners"], [], {}, date(2026, 1, 1), date(2026, 12, 31)))
    # then
    assert row[()] == {
        "rebates_posted": D("70.00"),
        "rebate_share": D("0.0100"),
        "new_partners": 0,
        "rebates_accrued": D("30.00"),
    }
    assert by_quarter == {
        ("2025-Q1",): {"rebates_accrued": D("20.00")},
        ("2025-Q2",): {"rebates_accrued": D("10.00")},
        ("2025-Q3",): {"rebates_accrued": D("0.00")},
        ("2025-Q4",): {"rebates_accrued": D("0.00")},
    }
    assert now[()] == {"new_partners": 3}


def test_it_attributes_figures_to_the_tier_and_region_the_partner_had_then(trade, world):
    from qudao.partners import services

    # given dealer_zj moved from Hangzhou (Zhejiang) to Nanjing (Jiangsu) on 6 May 2025, and a sale after
    services.update_partner(partner=world.dealer_zj, data={"region": "320100"})
    date_back_changes(world.dealer_zj, date(2025, 5, 6))
    trade.books.sale(world.dealer_zj, "hood_b", 4, "500.00", date(2025, 5, 10))
    store.rebuild()
    # when net sales are asked by tier and by province
    by_tier = figures(semantic.query(world.admin, ["net_sales"], ["tier"], {}, START, END))
    by_province = figures(semantic.query(world.admin, ["net_sales"], ["province", "month"], {}, START, END))
    # then dist_js counts as gold before 15 June and strategic after
    assert by_tier == {
        ("gold",): {"net_sales": D("2000.00")},  # 3,000 shipped in March less the April return
        ("strategic",): {"net_sales": D("1000.00")},
        ("silver",): {"net_sales": D("1000.00")},
        ("registered",): {"net_sales": D("4999.99")},
    }
    # and dealer_zj counts in Zhejiang on 5 May and in Jiangsu on 10 May
    assert by_province == {
        ("320000", "2025-03"): {"net_sales": D("4000.00")},
        ("320000", "2025-04"): {"net_sales": D("-1000.00")},
        ("320000", "2025-05"): {"net_sales": D("2000.00")},
        ("320000", "2025-06"): {"net_sales": D("1000.00")},
        ("330000", "2025-05"): {"net_sales": D("2999.99")},
    }


def test_it_takes_balances_at_the_end_of_each_period(trade, world):
    store.rebuild()
    # when receivables and overdue are asked by month
    rows = figures(
        semantic.query(
            world.finance,
            ["receivables", "overdue", "dormant_partners"],
            [],
            {},
            START,
            date(2025, 7, 31),
            grain="month",
        )
    )
    # then each month shows its closing balance
    assert rows[("2025-02",)] == {"receivables": D("0.00"), "overdue": D("0.00"), "dormant_partners": 0}
    assert rows[("2025-03",)] == {"receivables": D("3000.00"), "overdue": D("0.00"), "dormant_partners": 0}
    assert rows[("2025-04",)] == {"receivables": D("3000.00"), "overdue": D("3000.00"), "dormant_partners": 0}
    assert rows[("2025-06",)] == {"receivables": D("3000.00"), "overdue": D("3000.00"), "dormant_partners": 1}


def test_it_breaks_sales_down_by_product_promotion_and_warehouse(trade, world):
    store.rebuild()
    rows = figures(semantic.query(world.admin, ["gross_sales", "discounts"], ["sku", "warehouse"], {}, START, END))
    assert rows == {
        ("HOOD-A", "HQ"): {"gross_sales": D("4600.00"), "discounts": D("600.00")},
        ("HOOD-B", "HQ"): {"gross_sales": D("1000.00"), "discounts": D("0.00")},
        ("WASH-A", "HQ"): {"gross_sales": D("2999.99"), "discounts": D("0.00")},
    }
    promotions = figures(semantic.query(world.admin, ["units"], ["promotion"], {}, START, END))
    assert promotions == {(None,): {"units": 6}}  # the gift line (promotion GIFT1) never counts
    lines = figures(semantic.query(world.admin, ["net_sales"], ["product_line"], {"sku": ["HOOD-A"]}, START, END))
    assert list(lines.values()) == [{"net_sales": D("3000.00")}]
    # a metric that has no warehouse refuses the breakdown
    with pytest.raises(FieldErrors) as refused:
        semantic.query(world.admin, ["payments_collected"], ["warehouse"], {}, START, END)
    assert refused.value.errors == {"dimensions": ["“Payments collected” cannot be broken down by “Warehouse”."]}


def test_it_scopes_every_figure_to_the_caller(trade, world):
    store.rebuild()
    # a regional manager of Jiangsu: dist_js and sub_js only
    js = figures(semantic.query(world.regional_js, ["net_sales"], ["partner"], {}, START, END))
    assert js == {(world.dist_js.code,): {"net_sales": D("3000.00")}, (world.sub_js.code,): {"net_sales": D("1000.00")}}
    # Zhejiang's manager: dealer_zj only; a filter on another partner answers "not found"
    zj = figures(semantic.query(world.regional_zj, ["net_sales"], [], {}, START, END))
    assert zj == {(): {"net_sales": D("2999.99")}}
    with pytest.raises(NotFound):
        semantic.query(world.regional_zj, ["net_sales"], [], {"partner": [world.dist_js.code]}, START, END)
    with pytest.raises(NotFound):
        semantic.query(world.sub_admin, ["net_sales"], [], {"parent": [world.dist_js.code]}, START, END)
    assert figures(
        semantic.query(world.dist_admin, ["net_sales"], [], {"parent": [world.dist_js.code]}, START, END)
    ) == {(): {"net_sales": D("1000.00")}}
    # a distributor sees itself and its sub-dealer; the sub-dealer itself only
    assert figures(semantic.query(world.dist_admin, ["net_sales"], [], {}, START, END)) == {
        (): {"net_sales": D("4000.00")}
    }
    assert figures(semantic.query(world.sub_admin, ["net_sales"], [], {}, START, END)) == {
        (): {"net_sales": D("1000.00")}
    }


def test_it_refuses_what_the_role_may_not_see_and_queries_too_large(trade, world):
    store.rebuild()
    # gross margin needs the right to see cost prices
    for user in (world.regional_js, world.dist_admin, world.users["sales"]):
        with pytest.raises(Forbidden) as refused:
            semantic.query(user, ["gross_margin"], [], {}, START, END)
        assert str(refused.value.detail) == "You may not see the metric “Gross margin”."
    assert "gross_margin" not in [metric.code for metric in semantic.metrics_for(world.dist_admin)]
    assert "gross_margin" in [metric.code for metric in semantic.metrics_for(world.finance)]
    # two years by day is too long
    with pytest.raises(FieldErrors) as too_long:
        semantic.query(world.admin, ["net_sales"], [], {}, date(2024, 1, 1), END, grain="day")
    assert too_long.value.errors == {
        "end": ["The range is too long for daily figures: at most 366 days. Choose a week or a month."]
    }
    # unknown names and a reversed range
    with pytest.raises(FieldErrors) as bad:
        semantic.query(world.admin, ["nope"], ["colour"], {}, END, START)
    assert bad.value.errors == {
        "metrics": ["Unknown metric: nope."],
        "dimensions": ["Unknown dimension: colour."],
        "end": ["The last day is before the first."],
    }


def test_it_refuses_more_groups_than_allowed(trade, world, monkeypatch):
    store.rebuild()
    monkeypatch.setattr(semantic, "MAX_ROWS", 2)
    with pytest.raises(FieldErrors) as refused:
        semantic.query(world.admin, ["net_sales"], ["partner"], {}, START, END)
    assert refused.value.code == "too_large"
    assert refused.value.errors["dimensions"] == [
        "The query is too large: at most 2 rows. Narrow the range, the filters or the dimensions."
    ]
