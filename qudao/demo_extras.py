"""The last step of the demo (qudao.demo.seed_everything): what the history leaves empty for a demo
login, through the same services people use.

- Order templates (saved carts) for every demo partner: its usual restocking orders, from the SKUs
  it has ordered most in the year (`carts.save_template`, so only SKUs it may order now).
- A distributor application from 佛山 (South China): its first step waits for the regional manager
  of South China (`regional_south`), who is notified (`submit_application`, the approval engine).
- An order operations took (代客下单) beyond the credit of a partner `sales` owns, waiting for
  operations' review under the brand's flow for such orders (`flows.create_flow`, `place_order`).
- Credit terms for 美佳电器 (P000002, the sub-dealer of `sub_admin`): finance sets a first small
  limit, below the brand's approval threshold, so it applies at once (`request_credit_change`).

Does nothing when templates exist already (a second seeding)."""

from __future__ import annotations

import random
from collections.abc import Callable

TEMPLATES = (
    # name, how many of the partner's most ordered SKUs, quantity multiplier
    ("每周补货", 3, 1),
    ("旺季备货", 5, 3),
)
SUB_DEALER_CREDIT = ("P000002", "50000.00", 30, "首次核定授信：月结30天")


def _demo_partners():
    from qudao.partners import demo as partners_demo
    from qudao.partners.models import Partner

    codes = sorted({user.partner_code for user in partners_demo.DEMO_USERS if user.partner_code})
    return list(Partner.objects.filter(code__in=codes).order_by("code"))


def seed_templates(log) -> int:
    from django.db.models import Count

    from qudao.core.errors import DomainError
    from qudao.orders import carts
    from qudao.orders.models import OrderLine, OrderTemplate
    from qudao.partners.models import PartnerMember

    if OrderTemplate.objects.exists():
        return 0
    saved = 0
    for partner in _demo_partners():
        member = PartnerMember.objects.filter(partner=partner, is_active=True).select_related("user").first()
        favourites = list(
            OrderLine.objects.filter(order__partner=partner)
            .values("sku__code", "sku__min_order_qty", "sku__order_multiple")
            .annotate(times=Count("pk"))
            .order_by("-times", "sku__code")[:5]
        )
        for name, size, times in TEMPLATES:
            rows = []
            for index, sku in enumerate(favourites[:size]):
                quantity = max(sku["sku__min_order_qty"], 2) * times
                quantity += -quantity % (sku["sku__order_multiple"] or 1)
                rows.append(carts.Row(index=index, code=sku["sku__code"], quantity=str(quantity)))
            if not rows:
                continue
            try:
                carts.save_template(partner=partner, name=name, rows=rows, actor=member.user if member else None)
            except DomainError as error:  # a SKU it may no longer order: that template is not saved
                log(f"  template {name} of {partner.code} not saved: {error}")
                continue
            saved += 1
    return saved


def seed_sub_dealer_credit() -> bool:
    from qudao.accounts.models import User
    from qudao.core.audit import acting_as
    from qudao.partners import services
    from qudao.partners.models import Partner

    code, limit, days, reason = SUB_DEALER_CREDIT
    partner = Partner.objects.filter(code=code).first()
    finance = User.objects.filter(username="finance").first()
    if partner is None or finance is None or partner.credit_limit > 0:
        return False
    with acting_as(finance):
        services.request_credit_change(
            partner=partner, credit_limit=limit, payment_terms_days=days, reason=reason, actor=finance
        )
    return True


OPERATIONS_FLOW = {
    "subject_kind": "order",
    "name": "代客下单审批（运营复核）",
    "conditions": {"channel": "hq"},
    "priority": 10,
    "steps": [
        {"name": "运营复核", "approver_role": "operations", "match_region": False},
        {"name": "渠道经理审核", "approver_role": "channel_manager", "match_region": False},
    ],
}


def seed_sales_order(rng: random.Random) -> str:
    """The brand's flow for orders HQ takes on a partner's behalf (代客下单) that need approval:
    operations reviews them first (`flows.create_flow`, as an administrator would). Then operations
    takes an order beyond its credit for a partner `sales` owns: it waits in operations' inbox, and
    placing it tells its owner, so the sales login has news of its own partners.
    Returns the order number, or ""."""
    from django.db import transaction
    from django.db.models import F, Q, Sum

    from qudao.accounts.models import User
    from qudao.catalog.models import Lifecycle, Sku
    from qudao.catalog.scope import allowed_sku_q
    from qudao.core import flows
    from qudao.core.errors import Conflict, FieldErrors
    from qudao.core.models import ApprovalFlow
    from qudao.demo_history import run_commit_hooks_now
    from qudao.inventory.models import StockLevel
    from qudao.orders import services
    from qudao.partners.models import Partner

    sales = User.objects.filter(username="sales").first()
    operations = User.objects.filter(username="operations").first()
    if sales is None or operations is None:
        return ""
    if not ApprovalFlow.objects.filter(name=OPERATIONS_FLOW["name"]).exists():
        flows.create_flow(data=OPERATIONS_FLOW)
    owned = Partner.objects.filter(Q(channel_manager=sales) | Q(regional_owner=sales), status="active")
    for partner in owned.filter(credit_limit__gt=0).order_by("credit_limit", "code")[:10]:
        available = services.credit_of(partner).available
        dearest = (
            StockLevel.objects.filter(
                sku__in=Sku.objects.filter(
                    allowed_sku_q(partner),
                    lifecycle=Lifecycle.ON_SALE,
                    product__lifecycle=Lifecycle.ON_SALE,
                    min_order_qty=1,
                    order_multiple=1,
                )
            )
            .values("sku", "sku__cost_price")
            .annotate(free=Sum(F("on_hand") - F("reserved")))
            .order_by("-sku__cost_price", "sku")
            .first()
        )
        if dearest is None or not dearest["sku__cost_price"]:
            continue
        # the list price is above the cost: this many units are beyond the credit available
        quantity = int(available // dearest["sku__cost_price"]) + 1
        if quantity > dearest["free"] // 2:
            continue
        try:
            # a savepoint: a partner this SKU cannot be priced for (a small demo network has no
            # list for every partner) is skipped, and the seed's one transaction goes on
            with transaction.atomic():
                order, _created = services.place_order(
                    partner=partner,
                    lines=[{"sku": dearest["sku"], "quantity": quantity}],
                    actor=operations,
                    idempotency_key=f"demo-{partner.code}-sales",
                )
        except (FieldErrors, Conflict):
            continue
        run_commit_hooks_now()
        return order.number
    return ""


SOUTH_APPLICATION = ("佛山顺德美创家电商贸有限公司", "美创家电", "440600", ["空调", "冰洗"], "梁国栋")


def seed_south_application(seed: int) -> bool:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.utils import override_settings

    from qudao.core.audit import acting_as
    from qudao.core.models import Region
    from qudao.partners import demo as partners_demo
    from qudao.partners import services
    from qudao.partners.models import PartnerApplication

    legal, short, region_code, lines, contact = SOUTH_APPLICATION
    region = Region.objects.filter(code=region_code).first()
    if region is None or PartnerApplication.objects.filter(legal_name=legal).exists():
        return False
    gen = partners_demo._Generator(seed)
    credit_code = gen.credit_code(region, individual=False)
    pdf = partners_demo.licence_pdf(
        ["Business licence (demo scan)", f"Unified social credit code: {credit_code}", "Qudao demo data."]
    )
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), acting_as(None):
        services.submit_application(
            data={
                "partner_type": "distributor",
                "legal_name": legal,
                "short_name": short,
                "credit_code": credit_code,
                "region": region_code,
                "address": gen.address(region),
                "product_lines": lines,
                "parent": None,
                "contact_name": contact,
                "contact_mobile": gen.mobile(),
                "contact_email": "meichuang@example.com",
                "message": "深耕佛山顺德家电市场十余年，希望成为华南区域一级经销商。",
            },
            licence=SimpleUploadedFile("licence.pdf", pdf, content_type="application/pdf"),
        )
    return True


def seed_extras(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    from qudao.partners import demo as partners_demo

    templates = seed_templates(log)
    credit = seed_sub_dealer_credit()
    application = seed_south_application(rng.randrange(partners_demo.DEFAULT_SEED + 1, 10**6))
    sales_order = seed_sales_order(rng)
    log(f"  {templates} order templates of the demo partners; sub-dealer credit terms: {'set' if credit else 'kept'}")
    return {
        "templates": templates,
        "sub_dealer_credit": credit,
        "south_application": application,
        "sales_order": sales_order,
    }
