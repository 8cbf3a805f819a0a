"""HQ catalog pages: list with search and filter, detail (cost only for those allowed), forms."""

from qudao.catalog.models import Product, SalesScopeRule, Sku


def test_it_lists_products_with_search_and_line_filter(world, catalog, page_client):
    client = page_client(world.operations)
    # a barcode finds its product; a line shows its subtree
    page = client.get("/catalog/", {"q": "6900000000035"}).content.decode()
    assert 'data-code="FRIDGE-1"' in page and 'data-code="HOOD-1"' not in page
    page = client.get("/catalog/", {"line": "kitchen"}).content.decode()
    assert 'data-code="HOOD-1"' in page and 'data-code="FRIDGE-1"' not in page
    page = client.get("/catalog/", {"line": "home"}).content.decode()
    assert page.count('data-testid="product-row"') == 2


def test_it_shows_cost_prices_only_to_those_allowed(world, catalog, page_client):
    url = f"/catalog/products/{catalog.products['hood'].pk}/"
    assert "1200.0000" in page_client(world.finance).get(url).content.decode()
    page = page_client(world.operations).get(url).content.decode()
    assert "1200" not in page and 'data-testid="cost-price"' not in page
    assert 'data-code="HOOD-1-S"' in page
    # a partner user is sent to its portal
    assert page_client(world.dist_admin).get(url)["Location"] == "/portal/"


def test_it_creates_a_product_and_a_sku_through_the_forms(world, catalog, page_client):
    client = page_client(world.channel)
    response = client.post(
        "/catalog/products/new/",
        {
            "code": "AC-9",
            "name": "柜式空调",
            "product_line": "home",
            "base_unit": "台",
            "tax_rate": "13",  # a percentage, stored as the fraction
            "lifecycle": "draft",
        },
    )
    product = Product.objects.get(code="AC-9")
    assert response["Location"] == f"/catalog/products/{product.pk}/"
    assert str(product.tax_rate) == "0.1300"
    response = client.post(
        f"/catalog/products/{product.pk}/skus/new/",
        {
            "code": "AC-9-72",
            "name": "柜式空调 3匹",
            "barcode": "6900000000097",
            "specification": "匹数=3\n能效=一级",
            "cost_price": "4200",
            "min_order_qty": "1",
            "order_multiple": "1",
            "lifecycle": "on_sale",
        },
    )
    assert response.status_code == 302
    sku = Sku.objects.get(code="AC-9-72")
    assert sku.attributes == {"匹数": "3", "能效": "一级"}
    assert str(sku.cost_price) == "4200.0000"


def test_it_shows_field_errors_and_saves_nothing(world, catalog, page_client):
    client = page_client(world.admin)
    response = client.post(
        f"/catalog/products/{catalog.products['hood'].pk}/skus/new/",
        {"code": "HOOD-1-S", "name": "重复", "min_order_qty": "0", "order_multiple": "1", "lifecycle": "draft"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A SKU with this code already exists." in page
    assert "Enter a whole number of at least 1." in page
    assert Sku.objects.count() == 3


def test_it_adds_and_deletes_scope_rules(world, catalog, page_client):
    client = page_client(world.channel)
    response = client.post("/catalog/scope/", {"effect": "deny", "product_line": "kitchen", "tier": "gold"})
    assert response["Location"] == "/catalog/scope/"
    rule = SalesScopeRule.objects.get()
    assert (rule.effect, rule.product_line.code, rule.tier.code) == ("deny", "kitchen", "gold")
    # both a line and a SKU: refused at the field
    response = client.post("/catalog/scope/", {"effect": "allow", "product_line": "home", "sku": "HOOD-1-S"})
    assert "Name a product line or a SKU, not both." in response.content.decode()
    assert SalesScopeRule.objects.count() == 1
    # operations may read the rules but not add one
    assert (
        page_client(world.operations).post("/catalog/scope/", {"effect": "allow", "product_line": "home"}).status_code
        == 403
    )
    assert client.post(f"/catalog/scope/{rule.pk}/delete/")["Location"] == "/catalog/scope/"
    assert SalesScopeRule.objects.count() == 0


def test_it_imports_through_the_pages_and_exports(world, catalog, page_client):
    from .test_importing import GOOD_ROWS, xlsx

    client = page_client(world.channel)
    # upload: the preview page shows the counts; nothing is written
    response = client.post("/catalog/import/", {"file": xlsx(GOOD_ROWS)})
    assert response.status_code == 302
    preview_url = response["Location"]
    page = client.get(preview_url).content.decode()
    assert 'data-testid="import-error-count">0<' in page
    assert 'data-testid="import-commit"' in page
    assert not Product.objects.filter(code="KF-30").exists()
    # commit: written, and the preview says so
    response = client.post(preview_url + "commit/")
    assert response["Location"] == preview_url
    assert Product.objects.get(code="KF-30").skus.count() == 2
    page = client.get(preview_url).content.decode()
    assert "Products created: 1; SKUs created: 2; SKUs changed: 1." in page
    # without a file: an error, status 422
    response = client.post("/catalog/import/")
    assert response.status_code == 422
    assert "Choose a file to import." in response.content.decode()
    # export
    response = page_client(world.operations).get("/catalog/export.xlsx", {"line": "kitchen"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="catalog.xlsx"'


def test_it_shows_what_a_partner_may_buy_within_the_users_scope(world, catalog, page_client):
    from qudao.catalog import services

    services.create_scope_rule(data={"effect": "allow", "product_line": "home"})
    services.create_scope_rule(data={"effect": "deny", "product_line": "kitchen", "tier": "gold"})
    code = world.dist_js.code
    page = page_client(world.regional_js).get("/catalog/scope/", {"partner": code}).content.decode()
    assert f"{world.dist_js} may buy 1 SKU on sale." in page
    assert "FRIDGE-1-W" in page
    # a regional manager of another province is told there is no such partner
    page = page_client(world.regional_zj).get("/catalog/scope/", {"partner": code}).content.decode()
    assert "No such partner." in page and "may buy" not in page


def test_it_shows_each_rows_errors_in_the_import_preview(world, catalog, page_client):
    from .test_importing import xlsx

    rows = [["KF-30", "空气炸锅", "home", "件", "KF-30-01", "空气炸锅", "6900000000011", "", "", 1, 1, ""]]
    client = page_client(world.admin)
    preview_url = client.post("/catalog/import/", {"file": xlsx(rows)})["Location"]
    page = client.get(preview_url).content.decode()
    assert "Barcode: Another SKU has this barcode." in page
    assert 'data-testid="import-error-count">1<' in page
    assert 'data-testid="import-commit"' not in page
    assert Sku.objects.count() == 3
