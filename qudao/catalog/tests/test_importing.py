"""Import and export of products and SKUs (.xlsx): preview, all-or-nothing commit, round trip."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from qudao.catalog.models import Product, Sku
from qudao.core.models import ObjectChange

HEADER = [
    "产品编码",
    "产品名称",
    "产品线",
    "基本单位",
    "SKU编码",
    "SKU名称",
    "条码",
    "规格",
    "成本价",
    "起订量",
    "订货倍数",
    "SKU状态",
]


def xlsx(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("catalog.xlsx", buffer.getvalue())


GOOD_ROWS = [
    ["KF-30", "空气炸锅", "home", "件", "KF-30-01", "空气炸锅 4.5L", 6900000000301, "容量=4.5L", "190", 6, 6, "在售"],
    ["KF-30", "空气炸锅", "home", "件", "KF-30-02", "空气炸锅 6L", 6900000000318, "容量=6L", "210", 6, 6, "on_sale"],
    # an existing SKU: a new minimum order quantity
    ["HOOD-1", "", "", "", "HOOD-1-B", "", "6900000000028", "颜色=黑色", "1250", 2, 1, ""],
]


def test_it_previews_then_commits_all_rows(world, catalog, api_client):
    client = api_client(world.channel)
    # when a file with a new product (two SKUs) and a change to an existing SKU is uploaded
    response = client.post("/api/v1/catalog/imports", {"file": xlsx(GOOD_ROWS)})
    # then the preview says what will happen, and nothing is written yet
    assert response.status_code == 201, response.content
    preview = response.json()
    assert preview["counts"] == {
        "products_created": 1,
        "products_updated": 0,
        "skus_created": 2,
        "skus_updated": 1,
        "unchanged": 0,
    }
    assert (preview["error_count"], preview["can_commit"]) == (0, True)
    assert not Product.objects.filter(code="KF-30").exists()
    # when it is committed
    job = client.post(f"/api/v1/catalog/imports/{preview['id']}/commit")
    assert job.status_code == 202
    assert job.json()["status"] == "succeeded"
    assert job.json()["result"]["skus_created"] == 2
    # then everything is written
    product = Product.objects.get(code="KF-30")
    assert product.product_line.code == "home"
    assert sorted(product.skus.values_list("code", "min_order_qty", "lifecycle")) == [
        ("KF-30-01", 6, "on_sale"),
        ("KF-30-02", 6, "on_sale"),
    ]
    assert str(Sku.objects.get(code="KF-30-01").cost_price) == "190.0000"
    assert Sku.objects.get(code="HOOD-1-B").min_order_qty == 2
    # and the same file again is refused (already imported)
    again = client.post(f"/api/v1/catalog/imports/{preview['id']}/commit")
    assert again.status_code == 409


def test_it_refuses_a_file_with_errors_and_writes_nothing(world, catalog, api_client):
    client = api_client(world.admin)
    rows = [
        ["KF-30", "空气炸锅", "home", "件", "KF-30-01", "空气炸锅 4.5L", 6900000000301, "容量=4.5L", "190", 6, 6, ""],
        # a barcode another SKU has, a zero minimum, a bad specification
        ["KF-30", "空气炸锅", "home", "件", "KF-30-02", "空气炸锅 6L", "6900000000011", "容量", "-1", 0, 1, ""],
        # a product line that does not exist
        ["NEW-1", "新品", "nowhere", "件", "NEW-1-01", "新品", "", "", "", 1, 1, ""],
    ]
    counts = (Product.objects.count(), Sku.objects.count(), ObjectChange.objects.count())
    preview = client.post("/api/v1/catalog/imports", {"file": xlsx(rows)}).json()
    assert preview["can_commit"] is False
    assert preview["errors"] == [
        {"row": 3, "column": "barcode", "message": "Another SKU has this barcode."},
        {
            "row": 3,
            "column": "specification",
            "message": 'Write the specification as name=value pairs separated by ";", e.g. 颜色=银色.',
        },
        {"row": 3, "column": "cost_price", "message": "The value cannot be negative."},
        {"row": 3, "column": "min_order_qty", "message": "Enter a whole number of at least 1."},
        {"row": 4, "column": "product_line", "message": "No such product line."},
    ]
    response = client.post(f"/api/v1/catalog/imports/{preview['id']}/commit")
    assert response.status_code == 422
    assert {"field": "rows.4.product_line", "message": "No such product line."} in response.json()["errors"]
    assert (Product.objects.count(), Sku.objects.count(), ObjectChange.objects.count()) == counts


def test_it_refuses_a_file_without_the_required_columns(world, catalog, api_client):
    response = api_client(world.admin).post("/api/v1/catalog/imports", {"file": xlsx([["x"]], header=["产品名称"])})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "file",
            "message": "Required columns are missing: Product code (product_code), SKU code (sku_code).",
        }
    ]


def test_it_exports_what_it_imports_with_cost_only_for_those_allowed(world, catalog, api_client):
    # finance gets the cost column
    response = api_client(world.finance).get("/api/v1/catalog/export.xlsx?line=kitchen")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "Cost price" in rows[0]
    assert [row[rows[0].index("SKU code")] for row in rows[1:]] == ["HOOD-1-B", "HOOD-1-S"]
    assert rows[2][rows[0].index("Cost price")] == "1200.0000"
    assert rows[2][rows[0].index("Specification")] == "颜色=银色"
    # operations does not
    response = api_client(world.operations).get("/api/v1/catalog/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "Cost price" not in rows[0]
    assert len(rows) == 4
    # the file an admin exports imports again as unchanged
    response = api_client(world.admin).get("/api/v1/catalog/export.xlsx")
    upload = SimpleUploadedFile("catalog.xlsx", b"".join(response.streaming_content))
    preview = api_client(world.admin).post("/api/v1/catalog/imports", {"file": upload}).json()
    assert preview["error_count"] == 0
    assert preview["counts"] == {
        "products_created": 0,
        "products_updated": 0,
        "skus_created": 0,
        "skus_updated": 0,
        "unchanged": 3,
    }


def test_it_exports_formula_like_and_control_character_text_as_plain_text(world, catalog, api_client):
    # given: a product name a spreadsheet would evaluate and a SKU name holding a control character,
    # stored before the text rule (straight to the database)
    Product.objects.filter(code="HOOD-1").update(name='=HYPERLINK("http://evil.example","油烟机")')
    Sku.objects.filter(code="HOOD-1-B").update(name="油烟机\x0b黑色")

    # when
    response = api_client(world.admin).get("/api/v1/catalog/export.xlsx")

    # then: the file is written; texts are exact string cells, quantities stay numbers
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    row = next(row for row in sheet.iter_rows(min_row=2) if row[header.index("SKU code")].value == "HOOD-1-B")
    name = row[header.index("Product name")]
    assert (name.value, name.data_type, name.quotePrefix) == ('=HYPERLINK("http://evil.example","油烟机")', "s", True)
    assert row[header.index("SKU name")].value == "油烟机\ufffd黑色"
    assert row[header.index("Minimum order quantity")].data_type == "n"
