"""Warehouses chosen by the partner's region (ADR 0014): the ones serving its city, then its
province, then its macro region (大区), then the others, equally near ones in id order; a line is
split across them in that order only when one has too little. Exact warehouses, exact units."""

from __future__ import annotations

import pytest

from qudao.core.errors import FieldErrors
from qudao.core.models import Region
from qudao.core.regions import macro_region_of, nearness
from qudao.inventory import services
from qudao.inventory.models import StockEntry, Warehouse


def region(code):
    return Region.objects.get(code=code)


def world_user(network, username):
    from qudao.accounts.models import User

    return User.objects.get(username=username)


@pytest.fixture
def network(world):
    """HQ in Hangzhou (first by id), 苏州仓 in Suzhou, 佛山仓 in Foshan, 北京仓 in Beijing (North
    China), and a Guangzhou city warehouse that does not ship (inactive for orders)."""
    from qudao.catalog.tests.factories import build_catalog

    catalog = build_catalog()
    houses = {
        "hq": services.create_warehouse(data={"code": "HQ", "name": "总仓", "kind": "hq", "region": "330100"}),
        "suzhou": services.create_warehouse(data={"code": "SZ", "name": "苏州仓", "region": "320500"}),
        "foshan": services.create_warehouse(data={"code": "FS", "name": "佛山仓", "region": "440600"}),
        "beijing": services.create_warehouse(data={"code": "BJ", "name": "北京仓", "region": "110100"}),
    }
    return catalog, houses


def test_nearness_ranks_city_province_macro_region_then_elsewhere(world):
    guangzhou = region("440100")
    assert macro_region_of(guangzhou) == "south"
    assert macro_region_of(region("320500")) == "east"
    assert nearness([region("440100")], guangzhou) == 0
    assert nearness([region("440600")], guangzhou) == 1
    assert nearness([region("440000")], guangzhou) == 1
    assert nearness([region("450100")], guangzhou) == 2  # Nanning, Guangxi: South China
    assert nearness([region("320500")], guangzhou) == 3
    assert nearness([], guangzhou) == 3
    assert nearness([region("320500"), region("440100")], guangzhou) == 0
    assert nearness([region("440600")], None) == 3


def test_shipping_warehouses_are_ordered_nearest_first(network):
    _catalog, houses = network
    ids = {wh.pk: wh.code for wh in Warehouse.objects.all()}
    assert [ids[pk] for pk in services.shipping_warehouse_ids()] == ["HQ", "SZ", "FS", "BJ"]
    assert [ids[pk] for pk in services.shipping_warehouse_ids(region("440100"))] == ["FS", "HQ", "SZ", "BJ"]
    assert [ids[pk] for pk in services.shipping_warehouse_ids(region("320500"))] == ["SZ", "HQ", "FS", "BJ"]
    assert [ids[pk] for pk in services.shipping_warehouse_ids(region("320100"))] == ["SZ", "HQ", "FS", "BJ"]
    assert [ids[pk] for pk in services.shipping_warehouse_ids(region("130100"))] == ["BJ", "HQ", "SZ", "FS"]
    # a warehouse that names the regions it serves is judged by those, not by where it stands
    services.update_warehouse(warehouse=houses["beijing"], data={"serves": "440100 450000"})
    assert [ids[pk] for pk in services.shipping_warehouse_ids(region("440100"))] == ["BJ", "FS", "HQ", "SZ"]
    assert [ids[pk] for pk in services.shipping_warehouse_ids(region("130100"))] == ["HQ", "SZ", "FS", "BJ"]


def test_a_guangzhou_reservation_is_filled_from_foshan_then_split_in_order(network):
    catalog, houses = network
    sku = catalog.skus["hood_s"]
    for house in houses.values():
        services.receive_stock(warehouse_id=house.pk, lines=[(sku.pk, 10)])
    guangzhou = region("440100")

    services.reserve_stock(reference="SO-1", lines=[(sku.pk, 4)], near=guangzhou)
    assert services.held_by("SO-1") == {(sku.pk, houses["foshan"].pk): 4}

    # 6 left in Foshan: 6 from there, the other 3 from the next one (HQ, first by id of the rest)
    services.reserve_stock(reference="SO-2", lines=[(sku.pk, 9)], near=guangzhou)
    assert services.held_by("SO-2") == {(sku.pk, houses["foshan"].pk): 6, (sku.pk, houses["hq"].pk): 3}

    # without a region: today's rule, id order
    services.reserve_stock(reference="SO-3", lines=[(sku.pk, 2)])
    assert services.held_by("SO-3") == {(sku.pk, houses["hq"].pk): 2}


def test_served_regions_are_checked_and_a_bad_list_changes_nothing(network):
    _catalog, houses = network
    with pytest.raises(FieldErrors) as raised:
        services.update_warehouse(warehouse=houses["foshan"], data={"serves": "440100 999999", "name": "X"})
    assert raised.value.errors == {"serves": ["Unknown province or city codes: 999999."]}
    with pytest.raises(FieldErrors) as raised:
        services.update_warehouse(warehouse=houses["foshan"], data={"serves": "CN"})
    assert raised.value.errors == {"serves": ["Unknown province or city codes: CN."]}
    houses["foshan"].refresh_from_db()
    assert houses["foshan"].name == "佛山仓"
    assert list(houses["foshan"].serves.all()) == []
    services.update_warehouse(warehouse=houses["foshan"], data={"serves": ["440100", "440600", "440100"]})
    assert sorted(houses["foshan"].serves.values_list("code", flat=True)) == ["440100", "440600"]
    services.update_warehouse(warehouse=houses["foshan"], data={"serves": ""})
    assert list(houses["foshan"].serves.all()) == []
    assert StockEntry.objects.count() == 0


def test_the_warehouse_form_and_the_api_set_the_served_regions(network, page_client, api_client):
    _catalog, houses = network
    foshan = houses["foshan"]
    client = page_client(world_user(network, "operations"))
    form = {"code": "FS", "name": "佛山仓", "kind": "regional", "region": "440600", "active": "on"}
    refused = client.post(
        f"/inventory/warehouses/{foshan.pk}/edit/", form | {"serves": "440100 abc"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 200
    unknown = "Unknown region: abc. Pick provinces or cities from the list."
    assert refused.context["form"].errors == {"serves": [unknown]}
    assert (
        client.post(f"/inventory/warehouses/{foshan.pk}/edit/", form | {"serves": "440100、450000"}).status_code == 302
    )
    assert sorted(foshan.serves.values_list("code", flat=True)) == ["440100", "450000"]
    listed = client.get("/inventory/warehouses/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Guangzhou、Guangxi" in listed

    api = api_client(world_user(network, "operations"))
    answer = api.patch(
        f"/api/v1/inventory/warehouses/{foshan.pk}", {"serves": ["440600"]}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["serves"] == ["440600"]
    bad = api.patch(f"/api/v1/inventory/warehouses/{foshan.pk}", {"serves": ["CN"]}, content_type="application/json")
    assert bad.status_code == 422
    assert list(foshan.serves.values_list("code", flat=True)) == ["440600"]


def test_the_warehouse_form_picks_served_regions_by_name(network, page_client):
    """The served regions are chips of ticked boxes (one region each, shown by name) and a search
    box: names typed there (广东, 佛山市, 江苏省 南京市) are resolved like picked codes."""
    _catalog, houses = network
    foshan = houses["foshan"]
    foshan.serves.set([region("440100")])
    client = page_client(world_user(network, "operations"))
    shown = client.get(f"/inventory/warehouses/{foshan.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'type="checkbox" name="serves" value="440100" checked' in shown
    assert "广东省 广州市" in shown  # the chip shows the region's name, not its code
    assert 'name="serves__search"' in shown

    form = {"code": "FS", "name": "佛山仓", "kind": "regional", "region": "440600", "active": "on"}
    saved = client.post(
        f"/inventory/warehouses/{foshan.pk}/edit/",
        form | {"serves": ["440100"], "serves__search": "佛山、江苏省 南京市, 广西"},
    )
    assert saved.status_code == 302
    assert sorted(foshan.serves.values_list("code", flat=True)) == ["320100", "440100", "440600", "450000"]

    # an unticked chip is dropped; an unknown name is one field error that keeps what was typed
    refused = client.post(
        f"/inventory/warehouses/{foshan.pk}/edit/",
        form | {"serves": ["440600"], "serves__search": "佛山 火星"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "serves": ["Unknown region: 火星. Pick provinces or cities from the list."]
    }
    page = refused.content.decode()
    assert 'value="火星"' in page and 'name="serves" value="440600" checked' in page
    assert sorted(foshan.serves.values_list("code", flat=True)) == ["320100", "440100", "440600", "450000"]

    cleared = client.post(f"/inventory/warehouses/{foshan.pk}/edit/", form)
    assert cleared.status_code == 302
    assert list(foshan.serves.all()) == []
