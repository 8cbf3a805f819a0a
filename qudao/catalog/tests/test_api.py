"""Catalog API: HQ management, cost-price visibility, the partner catalogue and bad input."""

import json

from qudao.catalog import services
from qudao.catalog.models import Product, ProductLine, SalesScopeRule, Sku, UnitConversion
from qudao.core.models import ObjectChange


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def allow_everything(world):
    services.create_scope_rule(data={"effect": "allow", "product_line": "home"})


def test_it_answers_cost_price_only_to_admin_finance_and_channel_managers(world, catalog, api_client):
    sku = catalog.skus["hood_s"]
    for persona in ("admin", "finance", "channel"):
        answer = api_client(world.users[persona]).get(f"/api/v1/catalog/skus/{sku.pk}").json()
        assert answer["cost_price"] == "1200.0000", persona
    for persona in ("operations", "sales", "regional_js"):
        response = api_client(world.users[persona]).get(f"/api/v1/catalog/skus/{sku.pk}")
        assert response.status_code == 200
        assert "cost_price" not in response.json(), persona
        listing = api_client(world.users[persona]).get("/api/v1/catalog/skus").json()
        assert listing["count"] == 3
        assert all("cost_price" not in item for item in listing["items"]), persona
        detail = api_client(world.users[persona]).get(f"/api/v1/catalog/products/{sku.product_id}").json()
        assert all("cost_price" not in item for item in detail["skus"]), persona
    for persona in ("dist_admin", "dist_staff", "sub_admin", "zj_admin"):
        assert api_client(world.users[persona]).get(f"/api/v1/catalog/skus/{sku.pk}").status_code == 403


def test_it_never_answers_cost_price_in_the_partner_catalogue(world, catalog, api_client):
    # given everyone may buy 家电
    allow_everything(world)
    # when a partner user and an HQ admin read the catalogue
    own = api_client(world.dist_admin).get("/api/v1/catalog")
    hq = api_client(world.admin).get(f"/api/v1/catalog?partner={world.dist_js.pk}")
    # then they get the three SKUs, never a cost field
    assert own.status_code == 200 and hq.status_code == 200
    for answer in (own.json(), hq.json()):
        assert answer["count"] == 3
        assert [item["code"] for item in answer["items"]] == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]
        assert all("cost_price" not in item for item in answer["items"])
        assert "1200" not in json.dumps(answer)
    hood = own.json()["items"][2]
    assert hood["units"] == [{"id": catalog.units["hood_box"].pk, "unit": "箱", "factor": 12}]
    assert (hood["min_order_qty"], hood["order_multiple"], hood["base_unit"]) == (2, 2, "件")


def test_it_shows_a_partner_only_its_authorised_skus(world, catalog, api_client):
    # given everyone may buy 家电 but the gold tier (dist_js) may not buy 厨电
    allow_everything(world)
    services.create_scope_rule(data={"effect": "deny", "product_line": "kitchen", "tier": "gold"})
    hood = catalog.skus["hood_s"]
    # then dist_js sees the fridge only, and a hood answers 404
    dist = api_client(world.dist_admin)
    assert [i["code"] for i in dist.get("/api/v1/catalog").json()["items"]] == ["FRIDGE-1-W"]
    assert dist.get(f"/api/v1/catalog/items/{hood.pk}").status_code == 404
    # while dealer_zj may open it
    response = api_client(world.zj_admin).get(f"/api/v1/catalog/items/{hood.pk}")
    assert response.status_code == 200
    assert response.json()["code"] == "HOOD-1-S"


def test_it_searches_and_filters_the_catalogue(world, catalog, api_client):
    allow_everything(world)
    client = api_client(world.sub_admin)
    assert [i["code"] for i in client.get("/api/v1/catalog?q=6900000000035").json()["items"]] == ["FRIDGE-1-W"]
    assert [i["code"] for i in client.get("/api/v1/catalog?q=黑色").json()["items"]] == ["HOOD-1-B"]
    assert [i["code"] for i in client.get("/api/v1/catalog?line=kitchen").json()["items"]] == ["HOOD-1-B", "HOOD-1-S"]
    hq = api_client(world.operations)
    assert [p["code"] for p in hq.get("/api/v1/catalog/products?line=home").json()["items"]] == ["FRIDGE-1", "HOOD-1"]
    assert [p["code"] for p in hq.get("/api/v1/catalog/products?q=HOOD-1-B").json()["items"]] == ["HOOD-1"]


def test_it_needs_a_visible_partner_for_an_hq_catalogue(world, catalog, api_client):
    allow_everything(world)
    # an HQ user naming no partner is told to name one
    response = api_client(world.admin).get("/api/v1/catalog")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "partner", "message": "Name the partner whose catalogue to show."}]
    # a regional manager of Zhejiang may not open a Jiangsu partner's catalogue; another partner neither
    assert api_client(world.regional_zj).get(f"/api/v1/catalog?partner={world.dist_js.pk}").status_code == 404
    assert api_client(world.zj_admin).get(f"/api/v1/catalog?partner={world.dist_js.pk}").status_code == 404
    # a distributor may read its sub-dealer's catalogue
    assert api_client(world.dist_admin).get(f"/api/v1/catalog?partner={world.sub_js.pk}").status_code == 200


def test_it_manages_the_catalogue_through_the_api(world, catalog, api_client):
    client = api_client(world.channel)
    # a line under 家电, a product in it, a SKU and a unit
    line = post(client, "/api/v1/catalog/lines", {"code": "aircon", "name": "空调", "parent": "home"})
    assert line.status_code == 201
    assert line.json()["depth"] == 1
    product = post(
        client,
        "/api/v1/catalog/products",
        {"code": "AC-1", "name": "挂壁式空调", "product_line": "aircon", "tax_rate": "0.13"},
    )
    assert product.status_code == 201
    assert (product.json()["lifecycle"], product.json()["tax_rate"]) == ("draft", "0.1300")
    product_id = product.json()["id"]
    sku = post(
        client,
        "/api/v1/catalog/skus",
        {
            "product": "AC-1",
            "code": "AC-1-35",
            "barcode": "6900000000042",
            "name": "挂壁式空调 1.5匹",
            "attributes": {"匹数": "1.5"},
            "cost_price": "1800.00",
            "min_order_qty": 4,
            "order_multiple": 2,
        },
    )
    assert sku.status_code == 201
    assert sku.json()["cost_price"] == "1800.0000"
    unit = post(client, f"/api/v1/catalog/products/{product_id}/units", {"unit": "箱", "factor": 2})
    assert unit.status_code == 201
    # lifecycle: on sale
    assert (
        patch(client, f"/api/v1/catalog/skus/{sku.json()['id']}", {"lifecycle": "on_sale"}).json()["lifecycle"]
        == "on_sale"
    )
    assert patch(client, f"/api/v1/catalog/products/{product_id}", {"lifecycle": "on_sale"}).status_code == 200
    detail = client.get(f"/api/v1/catalog/products/{product_id}").json()
    assert [s["code"] for s in detail["skus"]] == ["AC-1-35"]
    assert detail["units"] == [{"id": unit.json()["id"], "unit": "箱", "factor": 2}]
    # a scope rule for dealer_zj, which then sees the SKU
    rule = post(
        client, "/api/v1/catalog/scope-rules", {"effect": "allow", "sku": "AC-1-35", "partner": world.dealer_zj.pk}
    )
    assert rule.status_code == 201
    assert [i["code"] for i in api_client(world.zj_admin).get("/api/v1/catalog").json()["items"]] == ["AC-1-35"]
    assert client.delete(f"/api/v1/catalog/scope-rules/{rule.json()['id']}").status_code == 204
    assert api_client(world.zj_admin).get("/api/v1/catalog").json()["count"] == 0
    assert client.delete(f"/api/v1/catalog/units/{unit.json()['id']}").status_code == 204


def test_it_refuses_bad_input_with_field_errors_and_writes_nothing(world, catalog, api_client):
    client = api_client(world.admin)
    counts = (Sku.objects.count(), ObjectChange.objects.count())
    response = post(
        client,
        "/api/v1/catalog/skus",
        {"product": "HOOD-1", "code": "HOOD-1-S", "name": "x", "min_order_qty": 0, "order_multiple": -1},
    )
    assert response.status_code == 422
    # quantities are refused by their type (1 to a billion) before the service looks at the rest
    assert response.json()["errors"] == [
        {"field": "min_order_qty", "message": "Enter a whole number from 1 to 1000000000."},
        {"field": "order_multiple", "message": "Enter a whole number from 1 to 1000000000."},
    ]
    response = post(client, "/api/v1/catalog/skus", {"product": "HOOD-1", "code": "HOOD-1-S", "name": "x"})
    assert response.json()["errors"] == [{"field": "code", "message": "A SKU with this code already exists."}]
    response = post(client, "/api/v1/catalog/skus", {"product": "HOOD-1", "code": "X", "name": "x", "cost_price": 1.5})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "cost_price", "message": 'Send the amount as a string, e.g. "500000.00".'}
    ]
    response = post(
        client, f"/api/v1/catalog/products/{catalog.products['hood'].pk}/units", {"unit": "托", "factor": 0}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "factor", "message": "Enter a whole number from 1 to 1000000000."}]
    response = patch(client, f"/api/v1/catalog/lines/{catalog.lines['home'].pk}", {"parent": "hood"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "parent", "message": "A product line cannot be placed under itself or one of its sub-lines."}
    ]
    response = post(client, "/api/v1/catalog/scope-rules", {"product_line": "home", "sku": "HOOD-1-S"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "sku", "message": "Name a product line or a SKU, not both."}]
    # nothing was written
    assert (Sku.objects.count(), ObjectChange.objects.count()) == counts
    assert UnitConversion.objects.count() == 1
    assert SalesScopeRule.objects.count() == 0
    assert ProductLine.objects.get(code="home").parent_id is None
    assert Product.objects.count() == 2


def test_it_lets_only_catalogue_managers_change_it(world, catalog, api_client):
    for persona in ("finance", "operations", "sales", "regional_js", "dist_admin"):
        response = post(api_client(world.users[persona]), "/api/v1/catalog/lines", {"code": "x", "name": "x"})
        assert response.status_code == 403, persona
    assert ProductLine.objects.filter(code="x").exists() is False


def png_upload(name="hood.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_it_adds_product_images_and_serves_them_within_the_sales_scope(world, catalog, api_client, page_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qudao.catalog.models import ProductImage

    product = catalog.products["hood"]
    client = api_client(world.channel)
    # a text file posing as a picture is refused; nothing stored
    fake = SimpleUploadedFile("hood.png", b"not an image", content_type="image/png")
    response = client.post(f"/api/v1/catalog/products/{product.pk}/images", {"image": fake})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "image", "message": "Upload a JPEG, PNG or WebP image."}]
    assert ProductImage.objects.count() == 0
    # a PNG is stored and listed
    response = client.post(f"/api/v1/catalog/products/{product.pk}/images", {"image": png_upload()})
    assert response.status_code == 201
    image_id = response.json()["id"]
    assert response.json()["url"] == f"/catalog/images/{image_id}/"
    detail = client.get(f"/api/v1/catalog/products/{product.pk}").json()
    assert detail["images"] == [{"id": image_id, "url": f"/catalog/images/{image_id}/"}]
    # HQ may open it; a partner only when one of the product's SKUs is in its scope
    assert page_client(world.operations).get(f"/catalog/images/{image_id}/").status_code == 200
    assert page_client(world.zj_admin).get(f"/catalog/images/{image_id}/").status_code == 404
    services.create_scope_rule(data={"effect": "allow", "sku": "HOOD-1-B", "partner": world.dealer_zj.pk})
    response = page_client(world.zj_admin).get(f"/catalog/images/{image_id}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    # removed
    assert client.delete(f"/api/v1/catalog/images/{image_id}").status_code == 204
    assert ProductImage.objects.count() == 0


QUANTITY_RANGE = "Enter a whole number from 1 to 1000000000."


def test_it_checks_order_quantities_in_units(world, catalog, api_client):
    # given dist_js may buy 家电; HOOD-1-S: 箱 = 12 件, minimum 2 件, multiple of 2
    services.create_scope_rule(data={"effect": "allow", "product_line": "home", "partner": world.dist_js.pk})
    client = api_client(world.dist_staff)
    url = f"/api/v1/catalog/items/{catalog.skus['hood_s'].pk}/quantity"
    # 3 箱 -> 36 件
    response = post(client, url, {"quantity": 3, "unit": "箱"})
    assert response.status_code == 200
    assert response.json() == {"sku": "HOOD-1-S", "quantity": 3, "unit": "箱", "base_quantity": 36, "base_unit": "件"}
    # a unit that does not convert, a zero quantity, below the minimum, not a multiple
    cases = [
        ({"quantity": 1, "unit": "托"}, {"field": "unit", "message": "托 does not convert to 件 for this product."}),
        ({"quantity": 0, "unit": "箱"}, {"field": "quantity", "message": QUANTITY_RANGE}),
        ({"quantity": -3}, {"field": "quantity", "message": QUANTITY_RANGE}),
        ({"quantity": "3"}, {"field": "quantity", "message": "Enter a whole number."}),
        ({"quantity": 3_000_000_000}, {"field": "quantity", "message": QUANTITY_RANGE}),
        ({"quantity": 1}, {"field": "quantity", "message": "Order at least 2 件 of HOOD-1-S."}),
        ({"quantity": 5}, {"field": "quantity", "message": "Order HOOD-1-S in multiples of 2 件."}),
    ]
    for body, error in cases:
        response = post(client, url, body)
        assert response.status_code == 422, body
        assert response.json()["errors"] == [error], body
    # another partner may not even ask about it
    assert post(api_client(world.zj_admin), url, {"quantity": 2}).status_code == 404


def test_it_answers_the_catalogue_with_a_fixed_number_of_queries(world, catalog, api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.create_scope_rule(data={"effect": "allow", "product_line": "home"})
    client = api_client(world.dist_admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/catalog").status_code == 200
        # the token's last-used stamp is written at most once a while: not the catalogue's cost
        return [query["sql"] for query in captured if "accounts_apitoken" not in query["sql"]]

    before = queries()
    # given ten more SKUs on sale, in another product
    product = services.create_product(
        data={"code": "P-2", "name": "电饭煲", "product_line": "kitchen", "lifecycle": "on_sale"}
    )
    for number in range(10):
        services.create_sku(
            data={"product": product, "code": f"P-2-{number}", "name": "电饭煲", "lifecycle": "on_sale"}
        )
    # then the answer has 13 SKUs and costs the same number of queries
    assert client.get("/api/v1/catalog").json()["count"] == 13
    assert len(queries()) == len(before)
