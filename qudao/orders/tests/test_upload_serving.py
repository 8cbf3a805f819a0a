"""Photos of discrepancy cases and returns are served by what their bytes are, never by the name
the uploader gave them: a genuine PNG whose name was cut to end in ".html" is still served as
image/png (inline, nosniff, under a sandboxing Content-Security-Policy), so HTML hidden after its
header never runs on Qudao's origin."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.inventory.models import Warehouse
from qudao.orders import returns, services, shipping
from qudao.orders.models import DiscrepancyCase

# A genuine PNG signature followed by a page: what an attacker uploads as a "photo".
HOSTILE_PNG = b"\x89PNG\r\n\x1a\n" + b"<html><body><script>document.title='pwned'</script></body></html>"
# 195 characters, then ".html.png": 205 characters, which a 200-character name cuts to "....html".
HOSTILE_NAME = "a" * 195 + ".html.png"
IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

pytestmark = pytest.mark.django_db


def shipped_order(world, shop):
    order, _created = services.place_order(
        partner=world.dist_js, lines=[{"sku": shop.skus["hood_a"].pk, "quantity": 2}], actor=world.dist_admin
    )
    order = services.confirm_order(order=order, actor=world.operations)
    shipping.allocate_order(order=order, actor=world.operations)
    shipping.create_shipment(
        order=order,
        warehouse=Warehouse.objects.get(code="HQ"),
        lines=[(order.lines.get(line_no=1).pk, 2)],
        carrier="顺丰",
        tracking_number="SF2001",
        actor=world.operations,
    )
    order.refresh_from_db()
    return order


def assert_served_as_png(response, filename: str):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == IMAGE_POLICY
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == HOSTILE_PNG


def test_a_case_photo_named_html_is_served_as_the_png_it_is_on_the_page_and_the_api(
    world, shop, page_client, api_client
):
    # given: the partner reports damage with a PNG named 195 characters + ".html.png"
    order = shipped_order(world, shop)
    line = order.lines.get()
    confirmed = page_client(world.dist_admin).post(
        f"/portal/orders/{order.number}/confirm-receipt/",
        {
            "note": "",
            "kind": "damaged",
            f"qty_{line.pk}": "1",
            "description": "外壳凹陷",
            "photos": SimpleUploadedFile(HOSTILE_NAME, HOSTILE_PNG, content_type="image/png"),
        },
    )
    assert confirmed.status_code == 302
    case = DiscrepancyCase.objects.get(order=order)
    photo = case.photos.get()

    # when: operations opens the photo from the case page, and through the API
    page = page_client(world.operations).get(f"/orders/cases/{case.number}/photos/{photo.pk}/")
    api = api_client(world.operations).get(f"/api/v1/cases/{case.pk}/photos/{photo.pk}")

    # then: the name kept for people ends in ".html", the stored file in ".png"; both answers are
    # the PNG it is, shown inline under a name that ends in ".png"
    assert (len(photo.name), photo.name[-5:]) == (200, ".html")
    assert photo.file.name.endswith(".png")
    assert_served_as_png(page, "a" * 195 + ".png")
    assert_served_as_png(api, "a" * 195 + ".png")


def test_a_return_photo_is_served_by_its_bytes_whatever_its_stored_name(world, shop, api_client):
    # given: a return with a genuine PNG named like a page
    order = shipped_order(world, shop)
    rma = returns.request_return(
        order=order,
        lines=[(order.lines.get().pk, 1)],
        reason="damaged",
        photos=[SimpleUploadedFile("dent.html.png", HOSTILE_PNG)],
        actor=world.dist_admin,
    )
    photo = rma.photos.get()
    # and: a file stored before names were built from the kind, under an ".html" name
    photo.file.name = photo.file.name[:-4] + ".html"
    photo.file.storage.save(photo.file.name, SimpleUploadedFile("x", HOSTILE_PNG))
    photo.save(update_fields=["file"])

    # when
    response = api_client(world.dist_admin).get(f"/api/v1/returns/{rma.pk}/photos/{photo.pk}")

    # then: served as the PNG it is, under the name the partner gave it, ending in .png
    assert photo.name == "dent.html.png"
    assert_served_as_png(response, "dent.html.png")


def test_a_photo_whose_bytes_are_no_known_kind_is_a_download_never_a_page(world, shop, api_client):
    # given: a case photo whose stored bytes are HTML (written before uploads were checked)
    order = shipped_order(world, shop)
    case = shipping.confirm_delivery(
        order=order,
        actor=world.dist_admin,
        discrepancies=[
            {
                "kind": "damaged",
                "lines": [(order.lines.get().pk, 1)],
                "photos": [SimpleUploadedFile("dent.png", HOSTILE_PNG)],
            }
        ],
    ).opened_cases[0]
    photo = case.photos.get()
    with photo.file.storage.open(photo.file.name, "wb") as stored:
        stored.write(b"<html><script>alert(1)</script></html>")

    # when
    response = api_client(world.operations).get(f"/api/v1/cases/{case.pk}/photos/{photo.pk}")

    # then: an attachment of no particular type, never rendered
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="dent.bin"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert json.dumps(b"".join(response.streaming_content).decode()) == json.dumps(
        "<html><script>alert(1)</script></html>"
    )
