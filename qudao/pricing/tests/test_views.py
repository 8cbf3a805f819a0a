"""HQ pages of pricing: price lists, floor prices, promotions and the price waterfall."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from qudao.pricing.models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion, PromotionUsage

from .conftest import make_list, make_promo


def _html(response) -> str:
    return response.content.decode()


def gold_draft(catalogue, world):
    return make_list(
        "gold-26",
        status="draft",
        tier=world.dist_js.tier,
        priority=3,
        items=[(catalogue.skus["hood_a"], "1250.00"), (catalogue.skus["hood_a"], "1200.00", 10)],
    )


# --- price lists -------------------------------------------------------------------------------


def test_it_lists_price_lists_with_filters_and_search(world, catalogue, page_client):
    # given: the active base list (3 items) and a gold draft (2 items)
    gold_draft(catalogue, world)
    client = page_client(world.channel)
    # when
    everything = client.get("/pricing/")
    drafts = client.get("/pricing/", {"status": "draft"})
    tiers = client.get("/pricing/", {"kind": "tier"})
    searched = client.get("/pricing/", {"q": "GOLD"})
    partial = client.get("/pricing/", {"status": "active"}, headers={"HX-Request": "true"})
    # then
    assert everything.status_code == 200
    html = _html(everything)
    assert 'data-code="base"' in html and 'data-code="gold-26"' in html
    assert "2 price lists" in html
    assert "New price list" in html
    assert 'data-code="base"' not in _html(drafts) and 'data-code="gold-26"' in _html(drafts)
    assert 'data-code="base"' not in _html(tiers) and f"Tier {world.dist_js.tier.name}" in _html(tiers)
    assert 'data-code="base"' not in _html(searched) and 'data-code="gold-26"' in _html(searched)
    assert "<html" not in _html(partial) and 'data-code="base"' in _html(partial)
    assert "1 price list" in _html(partial)


def test_a_read_only_role_sees_the_lists_but_no_manager_links(world, catalogue, page_client):
    response = page_client(world.finance).get("/pricing/")
    assert response.status_code == 200
    assert 'data-code="base"' in _html(response)
    assert "New price list" not in _html(response)
    assert page_client(world.finance).get("/pricing/price-lists/new/").status_code == 403


def test_partner_users_are_sent_to_their_portal(world, catalogue, page_client):
    response = page_client(world.dist_admin).get("/pricing/")
    assert (response.status_code, response["Location"]) == (302, "/portal/")


def test_it_shows_a_price_list_with_its_items_and_rules(world, catalogue, page_client):
    # given
    gold = gold_draft(catalogue, world)
    PriceListRule.objects.create(
        price_list=gold, product_line=catalogue.lines["washers"], method="percent_of_base", value=95, rounding="1"
    )
    # when
    response = page_client(world.channel).get(f"/pricing/price-lists/{gold.pk}/")
    base = page_client(world.sales).get(f"/pricing/price-lists/{catalogue.base.pk}/")
    # then
    assert response.status_code == 200
    html = _html(response)
    assert "1,250.00" in html and "1,200.00" in html
    assert 'data-sku="HOOD-A"' in html
    assert "Percentage of base price" in html and "95 %" in html and "to 1 yuan" in html
    assert f"Tier {world.dist_js.tier.name}" in html
    assert 'data-testid="activate"' in html
    assert "1,299.00" in _html(base) and "2,000.00" in _html(base) and "3,000.00" in _html(base)
    assert 'data-testid="activate"' not in _html(base)


def test_it_creates_a_price_list_and_shows_field_errors(world, catalogue, page_client):
    client = page_client(world.channel)
    # when: an unknown region
    bad = client.post(
        "/pricing/price-lists/new/",
        {"code": "js-26", "name": "江苏", "region": "999999", "currency": "CNY", "valid_from": "2026-07-01"},
    )
    # then: the error at the field, nothing saved
    assert bad.status_code == 200
    assert "Unknown region." in _html(bad)
    assert not PriceList.objects.filter(code="js-26").exists()
    # when: right
    good = client.post(
        "/pricing/price-lists/new/",
        {"code": "js-26", "name": "江苏", "region": "320000", "currency": "CNY", "valid_from": "2026-07-01"},
    )
    created = PriceList.objects.get(code="js-26")
    assert (good.status_code, good["Location"]) == (302, f"/pricing/price-lists/{created.pk}/")
    assert (created.kind, created.region.code, created.valid_from, created.status) == (
        "region",
        "320000",
        date(2026, 7, 1),
        "draft",
    )


def test_it_edits_a_draft_and_only_name_and_end_of_an_active_list(world, catalogue, page_client):
    gold = gold_draft(catalogue, world)
    client = page_client(world.admin)
    form = client.get(f"/pricing/price-lists/{gold.pk}/edit/")
    assert form.status_code == 200 and 'value="gold-26"' in _html(form)
    response = client.post(
        f"/pricing/price-lists/{gold.pk}/edit/",
        {"code": "gold-26", "name": "金牌 2026", "tier": "gold", "currency": "CNY", "valid_from": "2026-02-01"},
    )
    gold.refresh_from_db()
    assert (response.status_code, gold.name, gold.valid_from, gold.priority) == (
        302,
        "金牌 2026",
        date(2026, 2, 1),
        0,
    )
    # an active list: the form has only its name and end
    active_form = client.get(f"/pricing/price-lists/{catalogue.base.pk}/edit/")
    assert 'name="code"' not in _html(active_form) and 'name="valid_to"' in _html(active_form)
    client.post(f"/pricing/price-lists/{catalogue.base.pk}/edit/", {"name": "基础价 2026", "valid_to": "2026-12-31"})
    catalogue.base.refresh_from_db()
    assert (catalogue.base.name, catalogue.base.valid_to, catalogue.base.code) == (
        "基础价 2026",
        date(2026, 12, 31),
        "base",
    )


def test_it_sets_and_removes_items_and_rules(world, catalogue, page_client):
    gold = gold_draft(catalogue, world)
    client = page_client(world.channel)
    # when: a new quantity break and a rule
    item = client.post(f"/pricing/price-lists/{gold.pk}/items/", {"sku": "HOOD-B", "min_qty": "5", "price": "1900"})
    rule = client.post(
        f"/pricing/price-lists/{gold.pk}/rules/",
        {"product_line": catalogue.lines["washers"].pk, "method": "fixed_discount", "value": "100", "rounding": "0.01"},
    )
    # then
    assert (item.status_code, item["Location"]) == (302, f"/pricing/price-lists/{gold.pk}/")
    assert rule.status_code == 302
    saved = PriceListItem.objects.get(price_list=gold, sku=catalogue.skus["hood_b"])
    assert (saved.min_qty, saved.price) == (5, Decimal("1900.0000"))
    saved_rule = PriceListRule.objects.get(price_list=gold)
    assert (saved_rule.method, saved_rule.value) == ("fixed_discount", Decimal("100.0000"))
    page = _html(client.get(f"/pricing/price-lists/{gold.pk}/"))
    assert "1,900.00" in page and "Fixed discount from base price" in page
    # when: removed
    client.post(f"/pricing/price-lists/{gold.pk}/items/{saved.pk}/delete/")
    client.post(f"/pricing/price-lists/{gold.pk}/rules/{saved_rule.pk}/delete/")
    assert not PriceListItem.objects.filter(pk=saved.pk).exists()
    assert not PriceListRule.objects.filter(pk=saved_rule.pk).exists()


def test_bad_items_and_rules_show_the_field_error_and_change_nothing(world, catalogue, page_client):
    gold = gold_draft(catalogue, world)
    FloorPrice.objects.create(sku=catalogue.skus["hood_b"], price=Decimal("1500.00"), valid_from=date(2026, 1, 1))
    client = page_client(world.channel)
    before = list(PriceListItem.objects.values_list("pk", "price"))
    unknown = client.post(f"/pricing/price-lists/{gold.pk}/items/", {"sku": "NOPE-1", "price": "100"})
    below = client.post(f"/pricing/price-lists/{gold.pk}/items/", {"sku": "HOOD-B", "price": "1400"})
    rule = client.post(
        f"/pricing/price-lists/{gold.pk}/rules/",
        {"product_line": catalogue.lines["washers"].pk, "method": "percent_of_base", "value": "x", "rounding": "1"},
    )
    assert unknown.status_code == 422 and "Unknown SKU code." in _html(unknown)
    assert below.status_code == 422
    assert "The price is below the floor price of 1,500.00 for this SKU." in _html(below)
    assert rule.status_code == 422 and "Enter an amount, e.g. 1299.00." in _html(rule)
    assert list(PriceListItem.objects.values_list("pk", "price")) == before
    assert not PriceListRule.objects.exists()


def test_activating_a_small_discount_makes_the_list_active(world, catalogue, page_client):
    gold = gold_draft(catalogue, world)  # 1,250.00 and 1,200.00 against 1,299.00: at most 7.62 % below
    response = page_client(world.channel).post(f"/pricing/price-lists/{gold.pk}/activate/", follow=True)
    gold.refresh_from_db()
    assert gold.status == "active"
    assert "Price list gold-26 is active." in _html(response)


def test_activating_a_deep_discount_sends_the_list_to_approval_and_links_it(world, catalogue, page_client):
    gold = make_list("gold-deep", status="draft", tier=world.dist_js.tier, items=[(catalogue.skus["hood_b"], "1600")])
    client = page_client(world.channel)
    response = client.post(f"/pricing/price-lists/{gold.pk}/activate/", follow=True)
    gold.refresh_from_db()
    assert (gold.status, gold.approval_id is not None) == ("pending_approval", True)
    html = _html(response)
    assert "Price list gold-deep goes deep below the base prices and waits for approval." in html
    assert f'href="/approvals/{gold.approval_id}/"' in html
    assert "Pending approval" in html
    assert 'data-testid="activate"' not in html


def test_it_deletes_a_draft_but_not_an_active_list(world, catalogue, page_client):
    gold = gold_draft(catalogue, world)
    client = page_client(world.channel)
    deleted = client.post(f"/pricing/price-lists/{gold.pk}/delete/")
    refused = client.post(f"/pricing/price-lists/{catalogue.base.pk}/delete/", follow=True)
    assert (deleted.status_code, deleted["Location"]) == (302, "/pricing/")
    assert not PriceList.objects.filter(pk=gold.pk).exists()
    assert PriceList.objects.filter(pk=catalogue.base.pk).exists()
    assert "Only a draft or rejected price list can be deleted." in _html(refused)


@pytest.mark.parametrize("persona", ["finance", "sales", "regional_js"])
def test_read_only_roles_get_403_on_every_write_and_nothing_changes(world, catalogue, page_client, persona):
    gold = gold_draft(catalogue, world)
    item = gold.items.first()
    rule = PriceListRule.objects.create(
        price_list=gold, product_line=catalogue.lines["washers"], method="percent_of_base", value=95
    )
    floor = FloorPrice.objects.create(
        sku=catalogue.skus["hood_b"], price=Decimal("1500.00"), valid_from=date(2026, 1, 1)
    )
    promo = make_promo("p10", "percent_off", value=10)
    client = page_client(world.users[persona])
    writes = [
        ("/pricing/price-lists/new/", {"code": "x", "name": "x", "valid_from": "2026-01-01"}),
        (f"/pricing/price-lists/{gold.pk}/edit/", {"name": "x"}),
        (f"/pricing/price-lists/{gold.pk}/items/", {"sku": "HOOD-B", "price": "1"}),
        (f"/pricing/price-lists/{gold.pk}/items/{item.pk}/delete/", {}),
        (f"/pricing/price-lists/{gold.pk}/rules/", {"product_line": catalogue.lines["hoods"].pk}),
        (f"/pricing/price-lists/{gold.pk}/rules/{rule.pk}/delete/", {}),
        (f"/pricing/price-lists/{gold.pk}/activate/", {}),
        (f"/pricing/price-lists/{gold.pk}/delete/", {}),
        ("/pricing/floors/", {"sku": "HOOD-A", "price": "1", "valid_from": "2026-01-01"}),
        (f"/pricing/floors/{floor.pk}/delete/", {}),
        ("/pricing/promotions/new/", {"code": "x", "name": "x", "kind": "percent_off"}),
        (f"/pricing/promotions/{promo.pk}/edit/", {"code": "p10", "name": "x", "kind": "percent_off"}),
        (f"/pricing/promotions/{promo.pk}/status/", {"action": "end"}),
        (f"/pricing/promotions/{promo.pk}/delete/", {}),
    ]
    before = (
        list(PriceList.objects.values_list("pk", "name", "status")),
        list(PriceListItem.objects.values_list("pk", "price")),
        list(PriceListRule.objects.values_list("pk", "value")),
        list(FloorPrice.objects.values_list("pk", "price")),
        list(Promotion.objects.values_list("pk", "name", "status")),
    )
    statuses = {url: client.post(url, data).status_code for url, data in writes}
    assert set(statuses.values()) == {403}, statuses
    after = (
        list(PriceList.objects.values_list("pk", "name", "status")),
        list(PriceListItem.objects.values_list("pk", "price")),
        list(PriceListRule.objects.values_list("pk", "value")),
        list(FloorPrice.objects.values_list("pk", "price")),
        list(Promotion.objects.values_list("pk", "name", "status")),
    )
    assert after == before


# --- floor prices ------------------------------------------------------------------------------


def test_it_lists_adds_and_removes_floor_prices(world, catalogue, page_client):
    client = page_client(world.channel)
    added = client.post(
        "/pricing/floors/", {"sku": "HOOD-A", "price": "1000", "currency": "CNY", "valid_from": "2026-01-01"}
    )
    floor = FloorPrice.objects.get(sku=catalogue.skus["hood_a"])
    assert (added.status_code, added["Location"], floor.price) == (302, "/pricing/floors/", Decimal("1000.0000"))
    page = client.get("/pricing/floors/")
    assert 'data-sku="HOOD-A"' in _html(page) and "1,000.00" in _html(page) and "from 2026-01-01" in _html(page)
    # an overlapping floor and an unknown SKU: the errors at the fields, nothing saved
    overlap = client.post(
        "/pricing/floors/", {"sku": "HOOD-A", "price": "900", "currency": "CNY", "valid_from": "2026-03-01"}
    )
    unknown = client.post(
        "/pricing/floors/", {"sku": "NOPE", "price": "900", "currency": "CNY", "valid_from": "2026-03-01"}
    )
    assert overlap.status_code == 422 and "Another floor price of this SKU overlaps these dates." in _html(overlap)
    assert unknown.status_code == 422 and "Unknown SKU code." in _html(unknown)
    assert FloorPrice.objects.count() == 1
    removed = client.post(f"/pricing/floors/{floor.pk}/delete/")
    assert (removed.status_code, FloorPrice.objects.count()) == (302, 0)


def test_read_only_roles_see_floor_prices_without_the_form(world, catalogue, page_client):
    FloorPrice.objects.create(sku=catalogue.skus["hood_b"], price=Decimal("1500.00"), valid_from=date(2026, 1, 1))
    html = _html(page_client(world.operations).get("/pricing/floors/"))
    assert "1,500.00" in html and 'data-testid="floor-form"' not in html


# --- promotions --------------------------------------------------------------------------------


def test_it_lists_promotions_with_a_status_filter(world, catalogue, page_client):
    make_promo("k300", "threshold", product_line=catalogue.lines["kitchen"], threshold=5000, value=300, priority=5)
    make_promo(
        "a10", "percent_off", stacking="stackable", group="A", sku=catalogue.skus["hood_a"], value=10, budget_qty=50
    )
    Promotion.objects.filter(code="a10").update(status="draft", used_qty=0)
    client = page_client(world.sales)
    html = _html(client.get("/pricing/promotions/"))
    assert 'data-code="k300"' in html and 'data-code="a10"' in html
    assert "厨电 and the lines below it" in html and "Stackable within its group" in html
    assert "0 / 50" in html
    drafts = _html(client.get("/pricing/promotions/", {"status": "draft"}))
    assert 'data-code="a10"' in drafts and 'data-code="k300"' not in drafts
    assert "New promotion" not in html


def test_it_shows_a_promotion_in_words_with_its_consumption(world, catalogue, page_client):
    promo = make_promo(
        "k300",
        "threshold",
        product_line=catalogue.lines["kitchen"],
        threshold=5000,
        value=300,
        per_each=True,
        tier=world.dist_js.tier,
        budget_qty=10,
        budget_amount=Decimal("3000"),
        partner_cap_qty=2,
    )
    PromotionUsage.objects.create(
        promotion=promo, partner=world.dist_js, reference="SO-0001", entry="reserve", quantity=1, amount=Decimal("300")
    )
    PromotionUsage.objects.create(
        promotion=promo,
        partner=world.dealer_zj,
        reference="SO-0002",
        entry="reserve",
        quantity=1,
        amount=Decimal("300"),
    )
    Promotion.objects.filter(pk=promo.pk).update(used_qty=2, used_amount=Decimal("600"))
    # when
    html = _html(page_client(world.channel).get(f"/pricing/promotions/{promo.pk}/"))
    regional = _html(page_client(world.regional_js).get(f"/pricing/promotions/{promo.pk}/"))
    # then
    assert "For each full 5,000.00 spent, 300.00 off" in html
    assert f"Tier {world.dist_js.tier.name}" in html and "厨电 and the lines below it" in html
    assert "Exclusive: never combines with another promotion on a line" in html
    assert "2 / 10" in html and "600.00 / 3,000.00" in html
    assert 'data-reference="SO-0001"' in html and 'data-reference="SO-0002"' in html
    # a regional manager sees the ledger rows of its own regions' partners only
    assert 'data-reference="SO-0001"' in regional and 'data-reference="SO-0002"' not in regional


def test_it_creates_a_promotion_and_shows_field_errors(world, catalogue, page_client):
    client = page_client(world.channel)
    bad = client.post(
        "/pricing/promotions/new/",
        {"code": "t1", "name": "满减", "kind": "tiered_threshold", "valid_from": "2026-01-01", "sku": "NOPE"},
    )
    assert bad.status_code == 422 and "Unknown SKU code." in _html(bad)
    missing = client.post(
        "/pricing/promotions/new/",
        {"code": "t1", "name": "满减", "kind": "tiered_threshold", "valid_from": "2026-01-01"},
    )
    assert missing.status_code == 422
    assert "Choose a stacking policy: exclusive, or stackable within a group." in _html(missing)
    assert "Enter at least one tier." in _html(missing)
    assert not Promotion.objects.exists()
    good = client.post(
        "/pricing/promotions/new/",
        {
            "code": "t1",
            "name": "满减",
            "kind": "tiered_threshold",
            "stacking": "exclusive",
            "valid_from": "2026-01-01",
            "product_line": catalogue.lines["kitchen"].pk,
            "tiers": "5000,200\n10000,500",
            "priority": "4",
        },
    )
    promo = Promotion.objects.get(code="t1")
    assert (good.status_code, good["Location"]) == (302, f"/pricing/promotions/{promo.pk}/")
    assert (promo.kind, promo.status, promo.product_line_id, promo.tiers, promo.priority) == (
        "tiered_threshold",
        "draft",
        catalogue.lines["kitchen"].pk,
        [["5000", "200"], ["10000", "500"]],
        4,
    )
    html = _html(client.get(f"/pricing/promotions/{promo.pk}/"))
    assert "spend 5,000.00: 200.00 off; spend 10,000.00: 500.00 off" in html


def test_promotion_tiers_are_edited_as_rows_of_spend_and_amount_off(world, catalogue, page_client):
    client = page_client(world.channel)
    form = {
        "code": "t2",
        "name": "阶梯满减",
        "kind": "tiered_threshold",
        "stacking": "exclusive",
        "valid_from": "2026-01-01",
        "tiers_rows": "4",
        "tiers_spend_0": "5000",
        "tiers_off_0": "200",
        # row 1 was removed in the page: nothing is sent for it
        "tiers_spend_2": "10000",
        "tiers_off_2": "",
        "tiers_spend_3": "",
        "tiers_off_3": "",
    }
    # a half-filled row: the service's error at the tiers, nothing created
    with translation.override("en"):
        bad = client.post("/pricing/promotions/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422 and "Enter [spend, amount off] as two amounts." in _html(bad)
    assert not Promotion.objects.filter(code="t2").exists()
    # the rows come back as typed, with the editor
    html = _html(bad)
    assert 'data-testid="tier-rows-tiers"' in html
    assert 'name="tiers_spend_0" value="5000"' in html and 'name="tiers_spend_1" value="10000"' in html
    # filled in: saved as the engine's pairs
    good = client.post("/pricing/promotions/new/", form | {"tiers_off_2": "500"})
    promo = Promotion.objects.get(code="t2")
    assert good.status_code == 302 and promo.tiers == [["5000", "200"], ["10000", "500"]]
    # the edit form shows one row per tier and an empty one to add
    html = _html(client.get(f"/pricing/promotions/{promo.pk}/edit/"))
    assert html.split("<template")[0].count('data-testid="tier-row"') == 3
    assert 'name="tiers_off_1" value="500' in html


def test_it_starts_pauses_and_ends_a_promotion(world, catalogue, page_client):
    promo = make_promo("a10", "percent_off", value=10)
    Promotion.objects.filter(pk=promo.pk).update(status="draft")
    client = page_client(world.channel)
    started = client.post(f"/pricing/promotions/{promo.pk}/status/", {"action": "start"}, follow=True)
    promo.refresh_from_db()
    assert promo.status == "active" and "Promotion a10 is now: Active." in _html(started)
    client.post(f"/pricing/promotions/{promo.pk}/status/", {"action": "pause"})
    promo.refresh_from_db()
    assert promo.status == "draft"
    client.post(f"/pricing/promotions/{promo.pk}/status/", {"action": "end"})
    again = client.post(f"/pricing/promotions/{promo.pk}/status/", {"action": "start"}, follow=True)
    promo.refresh_from_db()
    assert promo.status == "ended"
    assert "An ended promotion cannot start again; create a new one." in _html(again)


# --- the price waterfall -----------------------------------------------------------------------


def test_the_waterfall_shows_exact_figures_for_a_small_cart(world, catalogue, page_client):
    # given: 10 % off HOOD-A (group A), 50 off HOOD-A (group A), 80 off HOOD-A (group B); floor of HOOD-B
    make_promo(
        "a10", "percent_off", stacking="stackable", group="A", priority=10, sku=catalogue.skus["hood_a"], value=10
    )
    make_promo("a50", "amount_off", stacking="stackable", group="A", priority=5, sku=catalogue.skus["hood_a"], value=50)
    make_promo("b80", "amount_off", stacking="stackable", group="B", priority=1, sku=catalogue.skus["hood_a"], value=80)
    make_promo("k9000", "threshold", product_line=catalogue.lines["washers"], threshold=9000, value=500)
    FloorPrice.objects.create(sku=catalogue.skus["hood_b"], price=Decimal("1800.00"), valid_from=date(2026, 1, 1))
    client = page_client(world.channel)
    # when
    response = client.post(
        "/pricing/quote/",
        {
            "partner": world.dist_js.code,
            "on": "2026-06-30",
            "sku_0": "HOOD-A",
            "quantity_0": "2",
            "sku_1": "HOOD-B",
            "quantity_1": "1",
            "sku_2": "WASH-A",
            "quantity_2": "1",
        },
    )
    # then: 1,299.00 - 129.90 - 50.00 = 1,119.10 per unit; HOOD-B 2,000.00; WASH-A 3,000.00: 7,238.20
    assert response.status_code == 200
    html = _html(response)
    assert 'data-testid="waterfall"' in html
    assert "1,119.10" in html and "2,238.20" in html
    assert "1,299.00" in html and "1,800.00" in html
    assert "−259.80" in html and "−100.00" in html
    assert "item row from quantity 1" in html
    assert '<th class="num" data-testid="quote-total">7,238.20</th>' in html
    assert "b80 is not" not in html
    assert "a10 comes first and is in another stacking group." in html
    assert "the threshold is not reached; 6,000.00 more is needed." in html
    # an id works as well as a code
    by_id = client.post("/pricing/quote/", {"partner": world.dist_js.pk, "sku_0": "WASH-A", "quantity_0": "1"})
    assert "3,000.00" in _html(by_id)


def test_the_waterfall_shows_errors_at_the_right_row(world, catalogue, page_client):
    client = page_client(world.channel)
    response = client.post(
        "/pricing/quote/",
        {
            "partner": world.dist_js.code,
            "on": "2026-06-30",
            "sku_0": "HOOD-A",
            "quantity_0": "1",
            "sku_1": "NOPE-9",
            "quantity_1": "1",
            "sku_2": "HOOD-B",
            "quantity_2": "0",
            "sku_3": "WASH-A",
            "quantity_3": "1",
            "unit_3": "托",
        },
    )
    assert response.status_code == 422
    html = _html(response)
    assert 'data-testid="waterfall"' not in html
    row = html.split('data-row="1"')[1].split("</tr>")[0]
    assert "Unknown SKU code." in row
    row = html.split('data-row="2"')[1].split("</tr>")[0]
    assert "Enter a quantity of at least 1." in row
    row = html.split('data-row="3"')[1].split("</tr>")[0]
    assert "This unit does not convert for this product." in row
    assert "Unknown SKU code." not in html.split('data-row="0"')[1].split("</tr>")[0]


def test_a_regional_manager_prices_only_partners_of_its_regions(world, catalogue, page_client):
    cart = {"on": "2026-06-30", "sku_0": "HOOD-A", "quantity_0": "1"}
    own = page_client(world.regional_js).post("/pricing/quote/", cart | {"partner": world.dist_js.code})
    other = page_client(world.regional_zj).post("/pricing/quote/", cart | {"partner": world.dist_js.code})
    unknown = page_client(world.regional_zj).post("/pricing/quote/", cart | {"partner": "NO-SUCH"})
    assert own.status_code == 200 and "1,299.00" in _html(own)
    assert (other.status_code, unknown.status_code) == (404, 404)
    # the partner picker finds only visible partners, and a name typed without picking that
    # matches none of them is the field's error (the form is shown again), not a 404
    form = _html(page_client(world.regional_zj).get("/pricing/quote/"))
    assert 'data-testid="picker-partner"' in form and 'data-picker="/pickers/partners/"' in form
    found = page_client(world.regional_zj).get("/pickers/partners/?q=" + world.dist_js.legal_name[:2]).json()
    assert world.dist_js.code not in str(found)
    by_name = page_client(world.regional_js).post(
        "/pricing/quote/", cart | {"partner__search": world.dist_js.legal_name}
    )
    assert by_name.status_code == 200 and "1,299.00" in _html(by_name)
    with translation.override("en"):
        typed = page_client(world.regional_zj).post(
            "/pricing/quote/", cart | {"partner__search": world.dist_js.legal_name}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert typed.status_code == 422 and "Unknown partner." in _html(typed)


def test_the_quote_form_starts_with_five_empty_rows_and_today(world, catalogue, page_client):
    response = page_client(world.sales).get("/pricing/quote/")
    html = _html(response)
    assert response.status_code == 200
    assert html.count('data-testid="quote-row"') == 5
    more = page_client(world.sales).post(
        "/pricing/quote/", {"partner": "", "rows": "5", "more": "1", "sku_0": "HOOD-A"}
    )
    assert _html(more).count('data-testid="quote-row"') == 10 and 'value="HOOD-A"' in _html(more)


def test_the_nav_links_pricing_for_hq_users(world, page_client):
    html = _html(page_client(world.finance).get("/pricing/promotions/"))
    assert 'href="/pricing/"' in html and 'href="/pricing/promotions/"' in html


def test_it_edits_a_draft_promotion_and_only_some_fields_of_a_started_one(world, catalogue, page_client):
    promo = make_promo("b1", "bundle", value=4000, bundle_items=[[catalogue.skus["hood_a"].pk, 1]])
    Promotion.objects.filter(pk=promo.pk).update(status="draft")
    client = page_client(world.channel)
    # the form shows the bundle as rows: the SKU (picked, its code) and its quantity
    form = _html(client.get(f"/pricing/promotions/{promo.pk}/edit/"))
    assert 'name="bundle_items-0-sku" value="HOOD-A"' in form and 'name="bundle_items-0-qty" value="1"' in form
    # when: a draft changes anything
    changed = client.post(
        f"/pricing/promotions/{promo.pk}/edit/",
        {
            "code": "b1",
            "name": "套餐",
            "kind": "bundle",
            "stacking": "stackable",
            "stack_group": "A",
            "valid_from": "2026-01-01",
            "value": "4500",
            "bundle_items": "HOOD-A,1\nWASH-A,1",
            "budget_qty": "20",
        },
    )
    promo.refresh_from_db()
    assert (changed.status_code, changed["Location"]) == (302, f"/pricing/promotions/{promo.pk}/")
    assert (promo.name, promo.stacking, promo.value, promo.bundle_items, promo.budget_qty) == (
        "套餐",
        "stackable",
        Decimal("4500.0000"),
        [[catalogue.skus["hood_a"].pk, 1], [catalogue.skus["wash_a"].pk, 1]],
        20,
    )
    detail = _html(client.get(f"/pricing/promotions/{promo.pk}/"))
    assert "One set for 4,500.00: HOOD-A × 1, WASH-A × 1" in detail
    # a bad bundle line: the error at the textarea, nothing changes
    bad = client.post(
        f"/pricing/promotions/{promo.pk}/edit/",
        {"code": "b1", "name": "x", "kind": "bundle", "stacking": "exclusive", "valid_from": "2026-01-01",
         "value": "4500", "bundle_items": "HOOD-A,1\nHOOD-A,2"},
    )  # fmt: skip
    assert bad.status_code == 422 and "This SKU is already in the bundle." in _html(bad)
    promo.refresh_from_db()
    assert (promo.name, promo.stacking) == ("套餐", "stackable")
    # when: started, only the name, end, priority and limits are on the form
    Promotion.objects.filter(pk=promo.pk).update(status="active")
    started = _html(client.get(f"/pricing/promotions/{promo.pk}/edit/"))
    assert 'name="budget_qty"' in started and 'name="value"' not in started and 'name="kind"' not in started
    client.post(f"/pricing/promotions/{promo.pk}/edit/", {"name": "套餐 2", "priority": "3", "budget_qty": "30"})
    promo.refresh_from_db()
    assert (promo.name, promo.priority, promo.budget_qty, promo.value) == ("套餐 2", 3, 30, Decimal("4500.0000"))


def test_it_deletes_an_unused_promotion_but_not_a_used_one(world, catalogue, page_client):
    unused = make_promo("u1", "percent_off", value=5)
    used = make_promo("u2", "percent_off", value=5, budget_qty=10)
    PromotionUsage.objects.create(
        promotion=used, partner=world.dist_js, reference="SO-9", entry="reserve", quantity=1, amount=Decimal("5")
    )
    client = page_client(world.admin)
    deleted = client.post(f"/pricing/promotions/{unused.pk}/delete/")
    refused = client.post(f"/pricing/promotions/{used.pk}/delete/", follow=True)
    assert (deleted.status_code, deleted["Location"]) == (302, "/pricing/promotions/")
    assert list(Promotion.objects.values_list("code", flat=True)) == ["u2"]
    assert "Orders have used this promotion; end it instead of deleting it." in _html(refused)


def test_the_waterfall_shows_gift_lines_and_incomplete_bundles(world, catalogue, page_client):
    # given: buy 2 HOOD-A, get 1 WASH-A free; a bundle of HOOD-B + WASH-A
    make_promo(
        "gift1", "buy_x_get_y", sku=catalogue.skus["hood_a"], buy_qty=2, gift_qty=1, gift_sku=catalogue.skus["wash_a"]
    )
    make_promo(
        "set1",
        "bundle",
        stacking="stackable",
        group="S",
        value=4500,
        bundle_items=[[catalogue.skus["hood_b"].pk, 1], [catalogue.skus["wash_a"].pk, 1]],
    )
    # when
    response = page_client(world.channel).post(
        "/pricing/quote/",
        {"partner": world.dist_js.code, "on": "2026-06-30", "sku_0": "HOOD-A", "quantity_0": "2",
         "sku_1": "HOOD-B", "quantity_1": "1"},
    )  # fmt: skip
    # then: 2,598.00 + 2,000.00 = 4,598.00; one WASH-A free, worth 3,000.00
    html = _html(response)
    assert response.status_code == 200
    gift = html.split('data-testid="gift-line"')[1].split("</tr>")[0]
    assert 'data-sku="WASH-A"' in gift and "3,000.00" in gift and "0.00" in gift and "gift1" in gift
    assert '<th class="num" data-testid="quote-total">4,598.00</th>' in html
    assert "the bundle is not complete; missing: WASH-A × 1" in html


def test_a_bundle_is_rows_of_picked_skus_and_quantities(world, catalogue, page_client):
    # given HOOD-A's name and barcode
    catalogue.skus["hood_a"].name = "侧吸油烟机 A1"
    catalogue.skus["hood_a"].barcode = "6901234567892"
    catalogue.skus["hood_a"].save()
    client = page_client(world.channel)
    form = _html(client.get("/pricing/promotions/new/"))
    assert 'data-testid="bundle-rows"' in form and 'name="bundle_items-0-sku__search"' in form
    # when a bundle is given as rows: one SKU picked (its code), one typed by name, one by barcode
    # (the same SKU twice is the service's error), blank rows skipped
    base = {"name": "套餐", "kind": "bundle", "stacking": "exclusive", "valid_from": "2026-01-01", "value": "4500"}
    rows = {
        "bundle_items-count": "4",
        "bundle_items-0-sku": "WASH-A",
        "bundle_items-0-qty": "1",
        "bundle_items-1-sku__search": "侧吸油烟机 A1",
        "bundle_items-1-qty": "2",
        "bundle_items-2-sku__search": "",
        "bundle_items-2-qty": "",
    }
    response = client.post("/pricing/promotions/new/", base | {"code": "set-rows"} | rows)
    assert response.status_code == 302, re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', _html(response))
    promo = Promotion.objects.get(code="set-rows")
    assert promo.bundle_items == [[catalogue.skus["wash_a"].pk, 1], [catalogue.skus["hood_a"].pk, 2]]
    # and its edit form shows the rows with the SKUs' names
    edit = _html(client.get(f"/pricing/promotions/{promo.pk}/edit/"))
    assert 'name="bundle_items-1-sku__search" value="侧吸油烟机 A1 · HOOD-A"' in edit
    assert 'name="bundle_items-1-qty" value="2"' in edit
    # a row whose SKU no one finds, or without a whole quantity, is refused at the bundle
    twice = rows | {"bundle_items-3-sku__search": "6901234567892", "bundle_items-3-qty": "1"}
    refused = client.post("/pricing/promotions/new/", base | {"code": "set-twice"} | twice)
    assert refused.status_code == 422 and "This SKU is already in the bundle." in _html(refused)
    unknown = rows | {"bundle_items-0-sku": "NOPE-9"}
    unknown_sku = _html(client.post("/pricing/promotions/new/", base | {"code": "x1"} | unknown))
    assert "Unknown SKU code: NOPE-9." in unknown_sku
    no_quantity = rows | {"bundle_items-0-qty": "两"}
    missing = _html(client.post("/pricing/promotions/new/", base | {"code": "x2"} | no_quantity))
    assert "Give each SKU of the bundle a whole quantity." in missing
    assert not Promotion.objects.filter(code__in=["set-twice", "x1", "x2"]).exists()
