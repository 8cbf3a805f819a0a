"""The partner picker in the filter bars of receivables, payments and statements: `?partner=<code>`
links keep working (and their exports filter the same way), a partner is found by name, and one the
user may not see (or none) empties the list with an error under the box, never shows everything."""

from __future__ import annotations

from django.utils import translation

from qudao.finance import payments
from qudao.finance.tests.test_invoices_api import books  # noqa: F401 - a fixture


def _rows(response, testid: str) -> int:
    return response.content.decode().count(f'data-testid="{testid}"')


def test_the_receivable_list_filters_by_a_picked_partner_code_or_name(world, books, page_client):  # noqa: F811
    client = page_client(world.finance)
    # by code, as links and the picker write it: the picker shows the partner's name
    response = client.get(f"/finance/invoices/?partner={world.dealer_zj.code}")
    html = response.content.decode()
    assert response.status_code == 200 and _rows(response, "invoice-row") == 1
    assert f'value="{world.dealer_zj.legal_name} · {world.dealer_zj.code}"' in html
    assert 'data-testid="picker-partner"' in html
    # by id (older links) and by the typed name (no script)
    assert _rows(client.get(f"/finance/invoices/?partner={world.dist_js.pk}"), "invoice-row") == 2
    assert _rows(client.get(f"/finance/invoices/?partner__search={world.dist_js.legal_name}"), "invoice-row") == 2
    # the export filters the same way
    export = client.get(f"/finance/invoices/?partner={world.dealer_zj.code}&format=csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")
    assert books["ZJ-1"].number in body and books["JS-1"].number not in body
    # an unknown partner: nothing listed, the error under the box
    with translation.override("en"):
        unknown = client.get("/finance/invoices/?partner=NOPE", HTTP_ACCEPT_LANGUAGE="en")
    assert _rows(unknown, "invoice-row") == 0


def test_a_regional_manager_cannot_filter_by_a_partner_outside_its_regions(world, books, page_client):  # noqa: F811
    regional = page_client(world.regional_js)
    # zhejiang's dealer is not its partner: the list is empty, not everything it sees
    response = regional.get(f"/finance/invoices/?partner={world.dealer_zj.code}")
    assert response.status_code == 200 and _rows(response, "invoice-row") == 0
    assert world.dealer_zj.legal_name not in response.content.decode()
    assert _rows(regional.get(f"/finance/invoices/?partner={world.dist_js.code}"), "invoice-row") == 2


def test_the_payment_list_filters_by_the_partner_picker_and_keeps_the_other_filters(world, page_client):
    payments.record_payment(
        partner=world.dist_js, data={"amount": "300.00", "received_on": "2026-11-26"}, actor=world.finance
    )
    payments.record_payment(
        partner=world.dealer_zj, data={"amount": "200.00", "received_on": "2026-11-26"}, actor=world.finance
    )
    client = page_client(world.finance)
    assert _rows(client.get("/finance/payments/"), "payment-row") == 2
    response = client.get(f"/finance/payments/?partner={world.dist_js.code}")
    assert _rows(response, "payment-row") == 1
    assert f'value="{world.dist_js.legal_name} · {world.dist_js.code}"' in response.content.decode()
    assert _rows(client.get(f"/finance/payments/?partner__search={world.dealer_zj.legal_name}"), "payment-row") == 1
    # an unknown partner: no rows and the field's error, in the user's language
    with translation.override("en"):
        response = client.get("/finance/payments/?partner=NOPE&status=confirmed", HTTP_ACCEPT_LANGUAGE="en")
    assert _rows(response, "payment-row") == 0
    assert "Unknown partner." in response.content.decode()
    # the export reuses the same filters
    export = client.get(f"/finance/payments/?partner={world.dealer_zj.code}&format=csv")
    body = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")
    assert world.dealer_zj.code in body and world.dist_js.code not in body


def test_the_statement_list_shows_a_partner_picker(world, page_client):
    client = page_client(world.finance)
    response = client.get(f"/finance/statements/?partner={world.dist_js.code}")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="statement-partner"' in html and f'value="{world.dist_js.code}"' in html
    assert f'value="{world.dist_js.legal_name} · {world.dist_js.code}"' in html
