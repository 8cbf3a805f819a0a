"""The payment pages: HQ list, record with a manual allocation, detail moves, import; the portal."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.finance import payments
from qudao.finance.models import Allocation, Invoice, Payment
from qudao.finance.tests.test_payments import PDF, PNG, three_invoices


def test_it_records_a_payment_from_the_page_with_a_manual_allocation(world, page_client):
    # given
    a, b, c = three_invoices(world.dist_js)
    client = page_client(world.finance)
    # when finance opens the form for dist_js
    response = client.get(f"/finance/payments/new/?partner={world.dist_js.code}")
    # then its open invoices are listed, oldest due first
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('data-number="INV-A"') < html.index('data-number="INV-B"') < html.index('data-number="INV-C"')
    # when it allocates too much to A: 422, the message on A's row, nothing booked
    form = {
        "partner": world.dist_js.code,
        "amount": "1800.00",
        "received_on": "2026-11-20",
        "method": "bank_transfer",
        "bank_reference": "BK-PAGE",
        "idempotency_key": "page-1",
        f"alloc_{a.pk}": "1000.01",
    }
    response = client.post("/finance/payments/new/", form)
    assert response.status_code == 422
    assert "Invoice INV-A has 1,000.00 outstanding; 1,000.01 is more." in response.content.decode()
    assert Payment.objects.count() == 0
    # when it allocates 800 to C and 1000 to A
    response = client.post("/finance/payments/new/", form | {f"alloc_{a.pk}": "1000", f"alloc_{c.pk}": "800"})
    # then
    payment = Payment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/payments/{payment.number}/"
    assert [(r.invoice.number, r.amount) for r in Allocation.objects.order_by("invoice_id")] == [
        ("INV-A", Decimal("1000.0000")),
        ("INV-C", Decimal("800.0000")),
    ]
    # a double submit of the same form books nothing more
    client.post("/finance/payments/new/", form | {f"alloc_{a.pk}": "1000", f"alloc_{c.pk}": "800"})
    assert Payment.objects.count() == 1
    # and the detail page shows the allocations
    response = client.get(f"/finance/payments/{payment.number}/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="allocation-row"') == 2


def test_it_lists_confirms_rejects_and_reverses_from_the_hq_pages(world, page_client):
    # given an announced payment and a confirmed one
    three_invoices(world.dist_js)
    announced, _ = payments.announce_payment(
        partner=world.dist_js,
        data={"amount": "500.00", "received_on": "2026-11-25", "bank_reference": "BK-P1"},
        proof=SimpleUploadedFile("slip.png", PNG),
        actor=world.dist_admin,
    )
    confirmed, _ = payments.record_payment(
        partner=world.dist_js, data={"amount": "300.00", "received_on": "2026-11-26"}, actor=world.finance
    )
    client = page_client(world.finance)
    # when / then: the list puts the announced one first
    html = client.get("/finance/payments/").content.decode()
    assert html.index(announced.number) < html.index(confirmed.number)
    assert 'data-testid="payments-waiting"' in html
    assert client.get("/finance/payments/?status=confirmed").content.decode().count('data-testid="payment-row"') == 1
    assert client.get(f"/finance/payments/{announced.number}/proof/").status_code == 200
    # the regional manager sees it but may not decide
    regional = page_client(world.regional_js)
    assert regional.get(f"/finance/payments/{announced.number}/").status_code == 200
    assert regional.post(f"/finance/payments/{announced.number}/", {"action": "confirm"}).status_code == 403
    # confirm
    response = client.post(f"/finance/payments/{announced.number}/", {"action": "confirm"})
    assert response.status_code == 302
    announced.refresh_from_db()
    assert (announced.status, announced.allocated) == ("confirmed", Decimal("500.0000"))
    # reverse without a reason: 422 and nothing changes; with one: reversed
    response = client.post(f"/finance/payments/{confirmed.number}/", {"action": "reverse", "reason": ""})
    assert response.status_code == 422 and "Give the reason." in response.content.decode()
    client.post(f"/finance/payments/{confirmed.number}/", {"action": "reverse", "reason": "退票"})
    confirmed.refresh_from_db()
    assert confirmed.status == "reversed"
    assert Invoice.objects.get(number="INV-A").settled == Decimal("500.0000")
    # reversing twice: told on the page
    response = client.post(f"/finance/payments/{confirmed.number}/", {"action": "reverse", "reason": "again"})
    assert response.status_code == 302
    # a partner user opening the HQ page is told it does not exist
    assert page_client(world.dist_admin).get(f"/finance/payments/{confirmed.number}/").status_code == 404


def test_it_imports_a_file_from_the_pages(world, page_client):
    # given
    three_invoices(world.dist_js)
    client = page_client(world.finance)
    text = f"伙伴编码,金额,到账日期,银行流水号\n{world.dist_js.code},1000,2026-11-20,BK-F1\nNOPE,5,2026-11-20,BK-F2\n"
    # when a file with an error is uploaded
    response = client.post("/finance/payments/import/", {"file": SimpleUploadedFile("bank.csv", text.encode())})
    # then its preview shows the row's error and offers no commit
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "No partner has the code NOPE." in html and 'data-testid="import-commit"' not in html
    # when a clean file is uploaded and committed
    clean = text.split("NOPE")[0]
    response = client.post("/finance/payments/import/", {"file": SimpleUploadedFile("bank.csv", clean.encode())})
    preview_url = response["Location"]
    assert 'data-testid="import-commit"' in client.get(preview_url).content.decode()
    response = client.post(f"{preview_url}commit/")
    # then
    assert response.status_code == 302 and Payment.objects.get().source == "import"
    # a broken file is refused with a clear error
    response = client.post("/finance/payments/import/", {"file": SimpleUploadedFile("bank.xlsx", b"nope")})
    assert response.status_code == 422 and "not a readable .xlsx workbook" in response.content.decode()


def test_it_lets_the_partner_announce_from_its_phone_and_see_its_payments(world, page_client):
    # given
    a, _b, _c = three_invoices(world.dist_js)
    payments.record_payment(
        partner=world.dist_js, data={"amount": "400.00", "received_on": "2026-11-20"}, actor=world.finance
    )
    client = page_client(world.dist_staff)
    # when the form is sent without a proof: 422, nothing written
    form = {"amount": "1200", "received_on": "2026-11-26", "method": "bank_transfer", "bank_reference": "BK-M1"}
    response = client.post("/portal/finance/payments/announce/", form)
    assert response.status_code == 422
    assert "Upload the proof of payment (a photo or a PDF)." in response.content.decode()
    assert Payment.objects.filter(status="announced").count() == 0
    # when with the proof
    response = client.post("/portal/finance/payments/announce/", form | {"proof": SimpleUploadedFile("slip.pdf", PDF)})
    # then
    assert response.status_code == 302 and response["Location"] == "/portal/finance/payments/"
    announced = Payment.objects.get(status="announced")
    assert (announced.amount, announced.created_by) == (Decimal("1200.0000"), world.dist_staff)
    html = client.get("/portal/finance/payments/").content.decode()
    assert html.count('data-testid="payment-card"') == 2
    assert 'data-testid="allocation-row"' in html and a.number in html
    assert client.get(f"/portal/finance/payments/{announced.number}/proof/").status_code == 200
    # another partner sees none of it
    other = page_client(world.zj_admin)
    assert 'data-testid="payment-card"' not in other.get("/portal/finance/payments/").content.decode()
    assert other.get(f"/portal/finance/payments/{announced.number}/proof/").status_code == 404


def test_it_finds_the_partner_of_a_payment_by_name_id_or_credit_code_within_the_scope(world, page_client):
    # given: finance (every partner) and a manager of another region (another scope, but no
    # finance.manage: the page itself is refused before any partner is looked up)
    three_invoices(world.dist_js)
    client = page_client(world.finance)
    # when: typed by its full name without picking, picked (its id), or by its credit code
    by_name = client.get("/finance/payments/new/", {"partner": "", "partner__search": "南京金陵商贸有限公司"})
    by_id = client.get("/finance/payments/new/", {"partner": str(world.dist_js.pk)})
    by_credit_code = client.get("/finance/payments/new/", {"partner__search": world.dist_js.credit_code})
    unknown = client.get("/finance/payments/new/", {"partner__search": "不存在的公司"})
    # then: the same partner's form, its name shown in the picker; unknown is an error at the field
    for response in (by_name, by_id, by_credit_code):
        html = response.content.decode()
        assert response.status_code == 200 and 'data-testid="payment-form"' in html
        assert f'<input type="hidden" name="partner" value="{world.dist_js.code}">' in html
        assert f'value="南京金陵商贸有限公司 · {world.dist_js.code}"' in html
    html = unknown.content.decode()
    assert 'data-testid="payment-form"' not in html
    assert "No partner you may see matches this." in html
