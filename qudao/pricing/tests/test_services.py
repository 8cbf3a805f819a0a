"""Price-list services: floors, overlap refusal, activation and the approval of deep discounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qudao.core import approvals
from qudao.core.errors import Conflict, FieldErrors
from qudao.core.models import ApprovalRequest
from qudao.pricing import services
from qudao.pricing.models import FloorPrice, PriceList, PriceListItem

from .conftest import make_list


def messages(error: FieldErrors) -> dict:
    return {key: [str(message) for message in value] for key, value in error.errors.items()}


def new_list(code, **data):
    return services.create_price_list(data={"code": code, "name": code, "valid_from": date(2026, 1, 1), **data})


def test_it_derives_the_audience_kind_from_tier_region_and_partner(world, catalogue):
    kinds = [
        new_list("a").kind,
        new_list("b", region="320000").kind,
        new_list("c", tier="gold").kind,
        new_list("d", tier="gold", region="320100").kind,
        new_list("e", partner=world.dist_js.pk).kind,
    ]
    assert kinds == ["base", "region", "tier", "tier_region", "partner"]


def test_it_refuses_bad_price_list_fields_and_saves_nothing(world, catalogue):
    with pytest.raises(FieldErrors) as caught:
        services.create_price_list(
            data={
                "code": "base",
                "name": "",
                "tier": "nope",
                "region": "999999",
                "currency": "XXX",
                "valid_from": date(2026, 2, 1),
                "valid_to": date(2026, 1, 1),
            }
        )
    assert messages(caught.value) == {
        "code": ["A price list with this code exists."],
        "name": ["Enter a name (at most 120 characters)."],
        "currency": ["Choose one of: CNY, HKD, USD, EUR."],
        "tier": ["Unknown tier."],
        "region": ["Unknown region."],
        "valid_to": ["The end of validity cannot be before its start."],
    }
    assert PriceList.objects.count() == 1


def test_it_refuses_an_item_below_the_floor_and_saves_nothing(world, catalogue):
    # given: HOOD-A may not be sold below 1,250.00 during 2026
    hood = catalogue.skus["hood_a"]
    FloorPrice.objects.create(
        sku=hood, price=Decimal("1250.00"), valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)
    )
    gold = new_list("gold", tier="gold")
    # when
    with pytest.raises(FieldErrors) as caught:
        services.set_item(price_list=gold, data={"sku": hood.pk, "price": "1249.99"})
    # then
    assert messages(caught.value) == {"price": ["The price is below the floor price of 1,250.00 for this SKU."]}
    assert not PriceListItem.objects.filter(price_list=gold).exists()
    # and at the floor it is accepted
    assert services.set_item(price_list=gold, data={"sku": hood.pk, "price": "1250.00"}).price == Decimal("1250.00")


def test_it_refuses_overlapping_floor_prices(world, catalogue):
    hood = catalogue.skus["hood_a"]
    services.create_floor_price(data={"sku": hood.pk, "price": "1000", "valid_from": date(2026, 1, 1)})
    with pytest.raises(FieldErrors) as caught:
        services.create_floor_price(data={"sku": hood.pk, "price": "900", "valid_from": date(2027, 1, 1)})
    assert messages(caught.value) == {"valid_from": ["Another floor price of this SKU overlaps these dates."]}
    assert FloorPrice.objects.count() == 1


def test_it_refuses_to_activate_a_list_that_would_tie_with_an_active_one(world, catalogue):
    # given: an active gold list for the first half of 2026, priority 0
    hood = catalogue.skus["hood_a"]
    make_list("gold-h1", tier=world.dist_js.tier, valid_to=date(2026, 6, 30), items=[(hood, "1200.00")])
    overlapping = new_list("gold-q2", tier="gold", valid_from=date(2026, 4, 1))
    services.set_item(price_list=overlapping, data={"sku": hood.pk, "price": "1210.00"})
    # when
    with pytest.raises(FieldErrors) as caught:
        services.activate_price_list(price_list=overlapping)
    # then
    assert messages(caught.value) == {
        "priority": [
            "Price list gold-h1 has the same audience and priority and overlapping dates; "
            "change the priority or the dates."
        ]
    }
    overlapping.refresh_from_db()
    assert overlapping.status == "draft"
    # a Nanjing region list also ties with an active Jiangsu list of the same priority
    make_list("js", region=world.jiangsu)
    with pytest.raises(FieldErrors):
        services.activate_price_list(price_list=new_list("nj", region="320100"))
    # but a different priority, or dates after the other list, are fine
    assert services.activate_price_list(price_list=new_list("gold-p1", tier="gold", priority=1)).status == "active"
    later = new_list("gold-h2", tier="gold", valid_from=date(2026, 7, 1))
    assert services.activate_price_list(price_list=later).status == "active"
    # and another tier or another province does not tie
    assert services.activate_price_list(price_list=new_list("silver", tier="silver")).status == "active"
    assert services.activate_price_list(price_list=new_list("zj", region="330000")).status == "active"


def test_an_active_list_may_change_only_its_name_and_end(world, catalogue):
    gold = make_list("gold", tier=world.dist_js.tier)
    with pytest.raises(FieldErrors) as caught:
        services.update_price_list(price_list=gold, data={"priority": 3, "name": "x"})
    assert messages(caught.value) == {"priority": ["An active or pending price list cannot change this."]}
    updated = services.update_price_list(price_list=gold, data={"valid_to": date(2026, 3, 31), "name": "金牌"})
    assert (updated.valid_to, updated.name) == (date(2026, 3, 31), "金牌")
    with pytest.raises(Conflict):
        services.set_item(price_list=gold, data={"sku": catalogue.skus["hood_a"].pk, "price": "1"})


def test_a_small_discount_activates_at_once(world, catalogue):
    # given: 10 % below base (threshold 15 %)
    gold = new_list("gold", tier="gold")
    services.set_item(price_list=gold, data={"sku": catalogue.skus["hood_b"].pk, "price": "1800.00"})
    # when
    activated = services.activate_price_list(price_list=gold, actor=world.channel)
    # then
    assert (activated.status, activated.approval_id) == ("active", None)
    assert services.max_discount_percent(gold) == Decimal("10.00")


def test_a_deep_discount_waits_for_the_price_list_approval_flow(world, catalogue):
    # given: 20 % below base on HOOD-B, and a rule at 90 % of base on 油烟机
    gold = new_list("gold", tier="gold")
    services.set_item(price_list=gold, data={"sku": catalogue.skus["hood_b"].pk, "price": "1600.00"})
    services.set_rule(
        price_list=gold, data={"product_line": catalogue.lines["hoods"].pk, "method": "percent_of_base", "value": "90"}
    )
    # when
    pending = services.activate_price_list(price_list=gold, actor=world.channel)
    # then: pending, with an approval request on the 价格政策审批 flow
    request = ApprovalRequest.objects.get(subject_kind="price_list", subject_id=str(gold.pk))
    assert (pending.status, pending.approval_id) == ("pending_approval", request.pk)
    assert (request.flow.name, request.current_step.approver_role, request.context["max_discount_percent"]) == (
        "价格政策审批",
        "channel_manager",
        "20.00",
    )
    # and it prices nothing until approved by the channel manager then the admin
    approvals.decide(request_id=request.pk, actor=world.channel, decision="approve")
    gold.refresh_from_db()
    assert gold.status == "pending_approval"
    approvals.decide(request_id=request.pk, actor=world.admin, decision="approve")
    gold.refresh_from_db()
    assert gold.status == "active"


def test_a_rejected_list_can_be_changed_and_submitted_again(world, catalogue):
    gold = new_list("gold", tier="gold")
    services.set_item(price_list=gold, data={"sku": catalogue.skus["hood_b"].pk, "price": "1000.00"})
    services.activate_price_list(price_list=gold, actor=world.channel)
    request = ApprovalRequest.objects.get(subject_kind="price_list")
    approvals.decide(request_id=request.pk, actor=world.channel, decision="reject", comment="太低")
    gold.refresh_from_db()
    assert gold.status == "rejected"
    services.set_item(price_list=gold, data={"sku": catalogue.skus["hood_b"].pk, "price": "1900.00"})
    assert services.activate_price_list(price_list=gold, actor=world.channel).status == "active"
