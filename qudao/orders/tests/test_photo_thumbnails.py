"""Photos show as thumbnails (an <img> of the served file, a constrained size, linking to the full
size); a file that is not an image is a link. Return photos have page URLs of their own (HQ and
portal), scoped like the return."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template

from qudao.orders import returns
from qudao.orders.models import DiscrepancyCase

from .test_upload_serving import shipped_order

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

pytestmark = pytest.mark.django_db


def test_a_return_photo_is_a_thumbnail_on_the_hq_and_portal_pages(world, shop, page_client):
    order = shipped_order(world, shop)
    rma = returns.request_return(
        order=order,
        lines=[(order.lines.get().pk, 1)],
        reason="damaged",
        photos=[SimpleUploadedFile("凹陷.png", PNG)],
        actor=world.dist_admin,
    )
    photo = rma.photos.get()
    hq_url = f"/orders/returns/{rma.number}/photos/{photo.pk}/"
    portal_url = f"/portal/returns/{rma.number}/photos/{photo.pk}/"

    hq = page_client(world.operations).get(f"/orders/returns/{rma.number}/").content.decode()
    portal = page_client(world.dist_admin).get(f"/portal/returns/{rma.number}/").content.decode()

    assert f'<a href="{hq_url}" class="upload-thumb" target="_blank" rel="noopener" data-testid="return-photo"' in hq
    assert f'<img src="{hq_url}" alt="凹陷.png" loading="lazy" width="96" height="96"' in hq
    assert f'<img src="{portal_url}" alt="凹陷.png"' in portal
    served = page_client(world.operations).get(hq_url)
    assert (served.status_code, served["Content-Type"]) == (200, "image/png")
    assert page_client(world.dist_admin).get(portal_url)["Content-Type"] == "image/png"
    # another partner's users and HQ outside the region: 404
    assert page_client(world.zj_admin).get(portal_url).status_code == 404
    assert page_client(world.regional_zj).get(hq_url).status_code == 404


def test_a_case_photo_is_a_thumbnail_and_a_pdf_is_a_link(world, shop, page_client):
    order = shipped_order(world, shop)
    line = order.lines.get()
    page_client(world.dist_admin).post(
        f"/portal/orders/{order.number}/confirm-receipt/",
        {
            "kind": "damaged",
            f"qty_{line.pk}": "1",
            "description": "外壳凹陷",
            "photos": SimpleUploadedFile("a.png", PNG),
        },
    )
    case = DiscrepancyCase.objects.get(order=order)
    photo = case.photos.get()
    page = page_client(world.operations).get(f"/orders/cases/{case.number}/").content.decode()
    assert f'<img src="/orders/cases/{case.number}/photos/{photo.pk}/" alt="a.png"' in page

    partial = Template('{% include "partials/_upload.html" with url="/f/1/" file=stored name="合同.pdf" %}')
    html = partial.render(Context({"stored": "uploads/x.pdf"}))
    assert html.strip().endswith('<a href="/f/1/" class="upload-file" target="_blank" rel="noopener">合同.pdf</a>')
    assert "<img" not in html
