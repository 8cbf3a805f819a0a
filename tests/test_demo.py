"""The whole demo (qudao.demo.seed_everything), seeded the way `qudao serve` seeds an empty database:
every context's data, a year of trade through the real services, ledgers that reconcile, pictures
served as images, the README's examples, and every demo login landing on a page with data.

One seeding serves every assertion (it is the expensive part), so this is one test in sections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from conftest import ensure_reference_data
from qudao.core.management.commands.serve import Command as ServeCommand

pytestmark = pytest.mark.django_db

EVERY_STATUS_BUT_DRAFT = {
    "submitted",
    "pending_approval",
    "confirmed",
    "allocated",
    "partially_shipped",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "rejected",
}


def list_price(partner_code: str, sku_code: str) -> Decimal:
    from qudao.catalog.models import Sku
    from qudao.partners.models import Partner
    from qudao.pricing import engine

    partner = Partner.objects.get(code=partner_code)
    sku = Sku.objects.get(code=sku_code)
    today = timezone.localdate()
    inputs = engine.fetch_pricing_inputs(partner, [sku.pk], today)
    return engine.list_price(inputs, inputs.skus[sku.pk], 1, today)[0]


def test_serve_seeds_the_whole_demo_and_it_holds_together(client, settings, tmp_path):
    from qudao.accounts.models import User
    from qudao.catalog.models import Product, ProductImage, Sku
    from qudao.core.models import ApprovalRequest, Notification
    from qudao.finance.models import Invoice, Payment, Statement
    from qudao.inventory.models import StockEntry, StockLevel
    from qudao.orders.models import (
        OPEN_STATUSES,
        CreditNote,
        DiscrepancyCase,
        Order,
        OrderLine,
        ReturnRequest,
        Shipment,
    )
    from qudao.partners import demo as partners_demo
    from qudao.partners.models import Partner, Tier
    from qudao.pricing.models import PriceList, Promotion
    from qudao.rebates.models import RebateProgress, RebateRun

    ensure_reference_data()
    settings.QUDAO_ANALYTICS_DIR = str(tmp_path / "analytics")
    # when: serve's seeding step on an empty database
    out = StringIO()
    command = ServeCommand(stdout=out)
    report = command.seed_if_empty(demo_partners=30)
    # then: the whole demo, in one step
    assert "Seeded 30 partners and a year of their trade" in out.getvalue()
    assert report.partners == Partner.objects.count() == 30
    assert set(report.steps) == {
        "catalog",
        "pricing",
        "inventory",
        "history",
        "rebates",
        "targets",
        "inbox",
        "extras",
        "alerts",
        "reports",
        "analytics",
    }
    assert report.steps["alerts"]["rules"] == 5  # the demo's alert rules (qudao/analytics/demo_alerts.py)
    # and the analytics store is built and agrees with the database
    from qudao.analytics import store
    from qudao.orders.models import ShipmentLine

    assert report.steps["analytics"]["rows"]["shipments"] == ShipmentLine.objects.count() > 0
    assert store.reconcile() == []
    # and a second start seeds nothing
    assert command.seed_if_empty(demo_partners=30) is None

    # orders: twelve months of them, in every status of the lifecycle (a draft is never stored)
    now = timezone.now()
    placed = list(Order.objects.values_list("submitted_at", flat=True))
    assert min(placed) >= now - timedelta(days=366)
    months = {timezone.localtime(moment).strftime("%Y-%m") for moment in placed}
    assert len(months) >= 12
    assert set(Order.objects.values_list("status", flat=True)) == EVERY_STATUS_BUT_DRAFT
    assert set(Order.objects.values_list("channel", flat=True)) == {"portal", "hq"}
    # the over-limit order of 羊城优品 waits for approval
    waiting = Order.objects.filter(status="pending_approval")
    assert waiting.filter(partner__code="P000006").exists()
    # every order's total is its lines'; the stock reserved is what open orders still hold
    for order in Order.objects.prefetch_related("lines"):
        assert order.total == sum(line.line_total for line in order.lines.all()), order.number
    open_quantity = OrderLine.objects.filter(order__status__in=OPEN_STATUSES).aggregate(
        q=Sum(F("quantity") - F("shipped_quantity"))
    )["q"]
    assert StockLevel.objects.aggregate(r=Sum("reserved"))["r"] == open_quantity
    assert StockEntry.objects.aggregate(r=Sum("reserved_delta"))["r"] == open_quantity

    # shipments, one receivable each (raised on the day it left), payments, returns, cases
    assert Shipment.objects.count() == Invoice.objects.filter(source="shipment").count() > 50
    for shipment in Shipment.objects.select_related("order")[:50]:
        assert shipment.shipped_at >= shipment.order.submitted_at
    assert Payment.objects.filter(status="confirmed").count() > 20
    assert Invoice.objects.filter(status="paid").exists()
    assert Invoice.objects.filter(status__in=("open", "partially_paid"), due_on__lt=timezone.localdate()).exists()
    assert ReturnRequest.objects.filter(status="credited").exists()
    assert CreditNote.objects.exists()
    assert DiscrepancyCase.objects.exists()
    assert DiscrepancyCase.objects.filter(photos__isnull=False).exists()

    # statements for the past months: confirmed ones, and one disputed
    assert Statement.objects.values("period_start").distinct().count() >= 11
    assert Statement.objects.filter(status="confirmed").exists()
    assert Statement.objects.filter(status="disputed").count() == 1

    # rebates: every full quarter of the year posted, live progress for this period
    assert RebateRun.objects.filter(status="posted").count() == 4
    assert RebateProgress.objects.exists()

    # targets: the year's plan approved through its flow, summing both ways, with actuals
    from qudao.analytics import targets as target_services
    from qudao.analytics.models import Target, TargetPlan

    plan = TargetPlan.objects.get(code="DEMO-TARGETS")
    assert (plan.status, plan.year, plan.approval.status) == ("approved", timezone.localdate().year, "approved")
    assert target_services.check_plan(plan).errors == {}
    year_rows = target_services.attainment_rows(plan, Target.objects.filter(plan=plan, period_kind="year"))
    assert sum(row.actual for row in year_rows if row.target.level == "brand") > 0

    # the ledgers reconcile, and rebate progress does not drift
    ledger_out = StringIO()
    call_command("check_ledger", stdout=ledger_out)
    assert ledger_out.getvalue().startswith("The ledger reconciles")
    progress_out = StringIO()
    call_command("check_rebate_progress", stdout=progress_out)
    assert "no drift" in progress_out.getvalue()

    # approvals waiting: an order over its credit, applications, a credit change, a price list, a
    # rebate policy at finance's step, a manual rebate deposit
    assert set(ApprovalRequest.objects.filter(status="pending").values_list("subject_kind", flat=True)) >= {
        "order",
        "partner_application",
        "credit_change",
        "price_list",
        "rebate_policy",
        "rebate_fund_deposit",
    }
    assert Notification.objects.filter(user__username__in=["operations", "dist_admin", "finance"]).exists()

    # prices and promotions of every kind; the README's examples hold
    assert set(PriceList.objects.values_list("kind", flat=True)) == {"base", "tier", "region", "tier_region", "partner"}
    assert set(Promotion.objects.values_list("kind", flat=True)) == set(Promotion.Kind.values)
    assert Sku.objects.get(code="HOOD-B").product.code == "HOOD"
    # HOOD-A: base 1,299.00; the Jiangsu list 1,250.00 for 百顺家电 (P000003), a registered dealer in
    # Wuxi (region beats base)
    assert list_price("P000003", "HOOD-A") == Decimal("1250.00")
    # as a gold partner there: 95 % of 1,299.00 = 1,234.05 -> 1,234.00 (tier beats region)
    Partner.objects.filter(code="P000003").update(tier=Tier.objects.get(code="gold"))
    assert list_price("P000003", "HOOD-A") == Decimal("1234.00")

    # pictures: every product has one, stored and served as the PNG it is
    assert ProductImage.objects.count() == Product.objects.count()
    client.force_login(User.objects.get(username="channel"))
    image = ProductImage.objects.order_by("pk").first()
    response = client.get(f"/catalog/images/{image.pk}/")
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:8] == b"\x89PNG\r\n\x1a\n"

    # order templates: two per demo partner, saved through the service, on every partner login's page
    from qudao.orders.models import OrderTemplate

    for code in ("P000001", "P000002", "P000006"):
        assert sorted(OrderTemplate.objects.filter(partner__code=code).values_list("name", flat=True)) == [
            "旺季备货",
            "每周补货",
        ], code
    extras = report.steps["extras"]
    assert (extras["templates"], extras["sub_dealer_credit"], extras["south_application"]) == (6, True, True)
    # regional_south: the 佛山 distributor application waits at its first step, and it was told so
    from qudao.core import approvals

    south = User.objects.get(username="regional_south")
    assert [request.subject_kind for request in approvals.inbox_for(south)] == ["partner_application"]
    assert Notification.objects.filter(user=south, kind="approval.requested").count() == 1
    # operations: the order it took beyond the credit of a partner sales owns waits for its review
    sales_order = Order.objects.get(number=extras["sales_order"])
    assert (sales_order.status, sales_order.channel) == ("pending_approval", "hq")
    assert sales_order.approval.current_step.approver_role == "operations"
    operations = User.objects.get(username="operations")
    assert [request.subject_id for request in approvals.inbox_for(operations)] == [str(sales_order.pk)]
    # sales: the news of it
    assert Notification.objects.filter(user__username="sales", url__contains=sales_order.number).exists()
    # 美佳电器 (sub_admin's partner) has credit terms: 50,000.00 at 30 days, set by finance at once
    sub_dealer = Partner.objects.get(code="P000002")
    assert (sub_dealer.credit_limit, sub_dealer.payment_terms_days) == (Decimal("50000.00"), 30)
    for username in ("dist_admin", "sub_admin", "dealer_admin"):
        client.force_login(User.objects.get(username=username))
        page = client.get("/portal/orders/templates/").content.decode()
        assert "每周补货" in page and "旺季备货" in page, username
    client.force_login(User.objects.get(username="sub_admin"))
    assert "50,000.00" in client.get("/portal/credit/").content.decode()

    # a dealer has no sub-dealer applications: the page says why instead of a bare "No applications."
    User.objects.filter(username="dealer_admin").update(language="en")
    client.force_login(User.objects.get(username="dealer_admin"))
    page = client.get("/portal/applications/").content.decode()
    assert "applications of sub-dealers are made under a distributor" in page
    User.objects.filter(username="dealer_admin").update(language="")

    # every demo login lands on a page with data, not on an empty state
    for demo_user in partners_demo.DEMO_USERS:
        user = User.objects.get(username=demo_user.username)
        client.force_login(user)
        response = client.get("/", follow=True)
        assert response.status_code == 200, demo_user.username
        page = response.content.decode()
        assert 'data-testid="empty-state"' not in page, demo_user.username
        assert 'class="empty' not in page, demo_user.username


def test_a_seeding_that_fails_halfway_leaves_the_database_empty(monkeypatch):
    """seed_everything is one transaction: serve seeds again on the next start, no half demo."""
    from qudao import demo
    from qudao.catalog import demo as catalog_demo
    from qudao.partners.models import Partner

    ensure_reference_data()

    def broken(rng, log):
        raise RuntimeError("disk full")

    monkeypatch.setattr(catalog_demo, "seed_catalog", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.seed_everything(partners=30)
    assert Partner.objects.count() == 0  # so the next `serve` (it seeds when there are no partners) seeds again
