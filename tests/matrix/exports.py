"""Authorization matrix rows of the list exports (qudao.core.exports) and of a price list's item
import (pricing.importing).

An export is the list's own URL with ?format=xlsx|csv: it answers exactly as the list (a file
instead of the page). An export job's page (the one job page, /jobs/<id>/; /exports/<id>/ leads
there), progress and file are its creator's (here dist_admin) and an administrator's; anyone
else is told they do not exist. The import pages are those who manage prices'; a
preview is its creator's (channel) and an administrator's."""

from __future__ import annotations

from tests.matrix.finance_invoices import HQ_LIST as FINANCE_LIST
from tests.matrix.orders_pages import HQ_LIST as ORDERS_LIST
from tests.test_authorization_matrix import LOGIN, PORTAL, PORTAL_PAGE, Case, expect, only


def targets(world) -> dict:
    import io
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from qudao.core import exports
    from qudao.orders.exports import ORDERS_PORTAL
    from qudao.pricing import importing
    from qudao.pricing.models import PriceList

    job = exports.start_export(world.dist_admin, ORDERS_PORTAL, {}, "xlsx")
    assert job.status == job.Status.SUCCEEDED, job.error
    price_list = PriceList.objects.create(code="mx-import", name="矩阵导入价", valid_from=date(2020, 1, 1))
    workbook = Workbook()
    workbook.active.append(["sku", "price"])
    workbook.active.append(["MX-NO-SUCH-SKU", "1.00"])  # a preview with an error: never committed
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = importing.preview_import(
        user=world.channel, price_list=price_list, upload=SimpleUploadedFile("prices.xlsx", buffer.getvalue())
    )
    return {"mx_export_job": job.pk, "mx_import_list": price_list.pk, "mx_import_preview": preview.pk}


OWN_JOB = only({"dist_admin": 200, "admin": 200}, 404, LOGIN)
MANAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200, channel=200)
PREVIEW = "pricing/price-lists/{mx_import_list}/import/{mx_import_preview}/"
OWN_PREVIEW = expect(403, anonymous=LOGIN, partners=404, admin=200, channel=200)

PAGE_CASES = [
    # the export's former page: its job page (/jobs/<id>/, below), for the same people
    Case("GET", "exports/{mx_export_job}/", only({"dist_admin": "job", "admin": "job"}, 404, LOGIN), page=True),
    Case("GET", "jobs/{mx_export_job}/", OWN_JOB, page=True),
    Case("GET", "jobs/{mx_export_job}/status/", OWN_JOB, page=True),
    Case("GET", "exports/{mx_export_job}/download/", OWN_JOB, page=True),
    # lists asked for a file: the list's own answer
    Case("GET", "orders/", ORDERS_LIST, page=True, params={"format": "xlsx", "status": "submitted"}),
    Case("GET", "orders/", ORDERS_LIST, page=True, params={"format": "csv", "export": "shipments"}),
    Case("GET", "portal/orders/", PORTAL_PAGE, page=True, params={"format": "xlsx"}),
    Case("GET", "finance/invoices/", FINANCE_LIST, page=True, params={"format": "xlsx", "overdue": "1"}),
    Case("GET", "portal/finance/", PORTAL_PAGE, page=True, params={"format": "csv"}),
    Case("GET", "pricing/", expect(200, anonymous=LOGIN, partners=PORTAL), page=True, params={"format": "xlsx"}),
    # a price list's item import
    Case("GET", "pricing/price-lists/import/template.xlsx", MANAGE, page=True),
    Case("GET", "pricing/price-lists/{mx_import_list}/import/", MANAGE, page=True),
    # no file: the managers see the form again with the error
    Case(
        "POST",
        "pricing/price-lists/{mx_import_list}/import/",
        MANAGE | {"admin": 422, "channel": 422},
        page=True,
    ),
    Case("GET", PREVIEW, OWN_PREVIEW, page=True),
    # the preview has errors: back to it with the message, nothing written
    Case("POST", PREVIEW + "commit/", OWN_PREVIEW | {"admin": PREVIEW, "channel": PREVIEW}, page=True),
]
