"""Pickers instead of codes on the pricing pages: the partner and SKU search endpoints (exact
matches by name, short name, code, credit code, barcode; the scoping rule), the price list form
taking picked or typed partners and regions and refusing partners outside the user's scope, and
the grid editor of a list's prices (all rows or none, each wrong row's errors next to it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation

from qudao.catalog.models import Lifecycle, Product, ProductLine, Sku
from qudao.pricing.forms import PriceListForm
from qudao.pricing.models import FloorPrice, PriceList, PriceListItem

from .conftest import make_list


def _options(client, url, q):
    response = client.get(url, {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()["results"]


def _values(client, url, q):
    return [option["value"] for option in _options(client, url, q)]


def test_the_partner_picker_finds_by_name_short_name_code_and_credit_code_within_the_scope(world, page_client):
    # given
    dist, sub, zj = world.dist_js, world.sub_js, world.dealer_zj
    channel = page_client(world.channel)
    url = "/pickers/partners/"
    # when / then: every way a person names a partner finds it
    assert _values(channel, url, "南京金陵商贸有限公司") == [str(dist.pk)]
    assert _values(channel, url, "金陵") == [str(dist.pk)]
    assert _values(channel, url, dist.code) == [str(dist.pk)]
    assert _values(channel, url, dist.code.lower()) == [str(dist.pk)]
    assert _values(channel, url, dist.credit_code) == [str(dist.pk)]
    option = _options(channel, url, "金陵商贸")[0]
    assert option["label"] == "南京金陵商贸有限公司" and option["detail"].startswith(dist.code + " · ")
    # the scoping rule: another region's manager never finds it, a partner user finds what is below it
    assert _values(page_client(world.regional_zj), url, "金陵") == []
    assert _values(page_client(world.regional_zj), url, dist.credit_code) == []
    assert _values(page_client(world.regional_js), url, "金陵") == [str(dist.pk)]
    assert sorted(_values(page_client(world.dist_admin), url, "")) == sorted([str(dist.pk), str(sub.pk)])
    assert _values(page_client(world.sub_admin), url, "金陵") == []
    assert _values(page_client(world.zj_admin), url, "") == [str(zj.pk)]
    # anonymous: the log-in page
    assert page_client(None).get(url, {"q": "金陵"}).status_code == 302


def test_the_sku_picker_finds_by_name_code_and_barcode_and_partners_only_their_scope(world, catalogue, page_client):
    # given: a named SKU with a barcode, and one in a line no partner may buy
    hood = catalogue.skus["hood_a"]
    hood.name, hood.barcode = "欧式油烟机 A", "6901234567892"
    hood.save()
    line = ProductLine.objects.create(code="secret", name="未开放")
    line.path = f"/{line.pk}/"
    line.save()
    product = Product.objects.create(code="P-SECRET", name="未开放", product_line=line, lifecycle=Lifecycle.ON_SALE)
    Sku.objects.create(product=product, code="SECRET-1", name="未开放 1", lifecycle=Lifecycle.ON_SALE)
    url = "/pickers/skus/"
    channel = page_client(world.channel)
    # then
    assert _values(channel, url, "欧式油烟机") == ["HOOD-A"]
    assert _values(channel, url, "HOOD-A") == ["HOOD-A"]
    assert _values(channel, url, "6901234567892") == ["HOOD-A"]
    assert _options(channel, url, "6901234567892")[0] == {
        "value": "HOOD-A",
        "label": "欧式油烟机 A",
        "detail": "HOOD-A · 6901234567892",
        "more": False,
    }
    assert _values(channel, url, "SECRET") == ["SECRET-1"]
    # a partner user finds what its sales scope allows, never the rest
    dist = page_client(world.dist_admin)
    assert _values(dist, url, "HOOD-A") == ["HOOD-A"]
    assert _values(dist, url, "SECRET") == []


def test_the_price_list_form_takes_picked_or_typed_partners_and_regions(world, catalogue, page_client):
    client = page_client(world.channel)
    base = {"currency": "CNY", "valid_from": "2026-07-01"}
    # when: the partner picked (its id), the region typed by name without picking
    picked = client.post(
        "/pricing/price-lists/new/", base | {"code": "jl-26", "name": "金陵专享", "partner": str(world.dist_js.pk)}
    )
    typed = client.post(
        "/pricing/price-lists/new/", base | {"code": "js-26", "name": "江苏", "region": "", "region__search": "江苏"}
    )
    by_name = client.post(
        "/pricing/price-lists/new/",
        base | {"code": "jl-27", "name": "金陵", "partner": "", "partner__search": "南京金陵商贸有限公司"},
    )
    # then
    assert (picked.status_code, typed.status_code, by_name.status_code) == (302, 302, 302)
    assert PriceList.objects.get(code="jl-26").partner == world.dist_js
    assert PriceList.objects.get(code="js-26").region.code == "320000"
    assert PriceList.objects.get(code="jl-27").partner == world.dist_js
    # the edit form shows the partner's name and code, not its id
    page = client.get(f"/pricing/price-lists/{PriceList.objects.get(code='jl-26').pk}/edit/").content.decode()
    assert f'value="南京金陵商贸有限公司 · {world.dist_js.code}"' in page


def test_a_partner_outside_the_users_scope_is_a_field_error(world, catalogue):
    data = {"code": "zj-x", "name": "x", "currency": "CNY", "valid_from": "2026-07-01"}
    with translation.override("en"):
        outside = PriceListForm(data | {"partner": str(world.dist_js.pk)}, user=world.regional_zj)
        unknown = PriceListForm(data | {"partner": "999999"}, user=world.channel)
        typed_outside = PriceListForm(data | {"partner__search": world.dist_js.code}, user=world.regional_zj)
        inside = PriceListForm(data | {"partner": str(world.dealer_zj.pk)}, user=world.regional_zj)
        assert outside.errors["partner"] == ["Unknown partner."]
        assert unknown.errors["partner"] == ["Unknown partner."]
        assert typed_outside.errors["partner"] == ["Unknown partner."]
        assert inside.is_valid() and inside.cleaned_data["partner"] == world.dealer_zj.pk


def _grid(rows, total=None):
    data = {
        "items-TOTAL_FORMS": str(total if total is not None else len(rows)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "200",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"items-{index}-{key}"] = value
    return data


def test_the_grid_editor_saves_every_row_at_once(world, catalogue, page_client):
    # given: a draft list with one price already
    draft = make_list("grid-26", status="draft", items=[(catalogue.skus["hood_a"], "1200.00")])
    client = page_client(world.channel)
    assert client.get(f"/pricing/price-lists/{draft.pk}/items/grid/").status_code == 200
    # when: three rows (one replacing the existing price, one picked by barcode-less name typed), an empty row
    catalogue.skus["wash_a"].name = "滚筒洗衣机"
    catalogue.skus["wash_a"].save()
    response = client.post(
        f"/pricing/price-lists/{draft.pk}/items/grid/",
        _grid(
            [
                {"sku": "HOOD-A", "min_qty": "1", "price": "1188.00"},
                {"sku": "HOOD-A", "min_qty": "10", "price": "1100.00"},
                {"sku": "", "sku__search": "滚筒洗衣机", "min_qty": "1", "price": "2,900.00"},
                {"sku": "", "min_qty": "1", "price": ""},
            ]
        ),
    )
    # then
    assert (response.status_code, response["Location"]) == (302, f"/pricing/price-lists/{draft.pk}/")
    prices = {(item.sku.code, item.min_qty): item.price for item in PriceListItem.objects.filter(price_list=draft)}
    assert prices == {
        ("HOOD-A", 1): Decimal("1188.0000"),
        ("HOOD-A", 10): Decimal("1100.0000"),
        ("WASH-A", 1): Decimal("2900.0000"),
    }


def test_the_grid_editor_saves_nothing_when_a_row_is_wrong_and_says_which(world, catalogue, page_client):
    # given
    draft = make_list("grid-27", status="draft")
    FloorPrice.objects.create(sku=catalogue.skus["hood_b"], price=Decimal("1500.00"), valid_from=date(2020, 1, 1))
    client = page_client(world.channel)
    url = f"/pricing/price-lists/{draft.pk}/items/grid/"
    # when: a form-level error (an unknown SKU) among good rows
    unknown = client.post(
        url,
        _grid([{"sku": "HOOD-A", "min_qty": "1", "price": "1000"}, {"sku": "", "sku__search": "NOPE", "price": "1"}]),
    )
    # when: service-level errors (under the floor; the same SKU and quantity twice)
    service = client.post(
        url,
        _grid(
            [
                {"sku": "HOOD-A", "min_qty": "1", "price": "1000"},
                {"sku": "HOOD-B", "min_qty": "1", "price": "1400"},
                {"sku": "HOOD-A", "min_qty": "1", "price": "990"},
            ]
        ),
    )
    empty = client.post(url, _grid([{"sku": "", "min_qty": "1", "price": ""}]))
    # then: nothing saved, each error on its row
    assert (unknown.status_code, service.status_code, empty.status_code) == (422, 422, 422)
    assert not PriceListItem.objects.filter(price_list=draft).exists()
    rows = unknown.content.decode().split('data-testid="grid-row"')[1:]
    assert "Unknown SKU code." in rows[1] and "Unknown SKU code." not in rows[0]
    rows = service.content.decode().split('data-testid="grid-row"')[1:]
    assert "errorlist" not in rows[0]
    assert "below the floor price of 1500.0000" in rows[1]
    assert "Row 1 already prices this SKU from this quantity." in rows[2]
    assert "Enter at least one price." in empty.content.decode()
    # an active list cannot change: back to the list with a message
    active = make_list("grid-28")
    assert client.post(f"/pricing/price-lists/{active.pk}/items/grid/", _grid([]))["Location"] == (
        f"/pricing/price-lists/{active.pk}/"
    )
    # only managers
    assert page_client(world.finance).get(url).status_code == 403


def test_a_bundles_lines_name_skus_by_code_barcode_or_name(world, catalogue):
    from qudao.pricing.forms import PromotionForm

    # given
    hood = catalogue.skus["hood_a"]
    hood.name, hood.barcode = "欧式油烟机 A", "6901234567892"
    hood.save()
    data = {"code": "set-1", "name": "套餐", "kind": "bundle", "stacking": "exclusive", "valid_from": "2026-01-01"}
    # when
    by_name = PromotionForm(data | {"bundle_items": "欧式油烟机 A,1\nWASH-A,2"}, user=world.channel)
    by_barcode = PromotionForm(data | {"bundle_items": "6901234567892,1"}, user=world.channel)
    unknown = PromotionForm(data | {"bundle_items": "不存在,1"}, user=world.channel)
    # then
    assert by_name.is_valid() and by_name.data_for_service()["bundle_items"] == [
        [hood.pk, 1],
        [catalogue.skus["wash_a"].pk, 2],
    ]
    assert by_barcode.is_valid() and by_barcode.data_for_service()["bundle_items"] == [[hood.pk, 1]]
    with translation.override("en"):
        assert unknown.is_valid() and unknown.data_for_service() is None
        assert unknown.errors["bundle_items"] == ["Unknown SKU code: 不存在."]
