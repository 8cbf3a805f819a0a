"""The API's contract with integrators (docs/api.md, "Types" and "Errors"): strict, bounded ids,
quantities and amounts; every bad number a 422 naming the field; nothing under /api/ ever
answering HTML; and a walk of every operation of the OpenAPI document with hostile numbers."""

from __future__ import annotations

import json
import re

import pytest
from django.db import DataError
from django.test import Client, RequestFactory

from qudao.core.errors import FieldErrors
from qudao.core.numbers import MAX_ID, parse_id

PROBLEM = "application/problem+json"
MONEY_FORMAT = 'Enter an amount with at most 13 digits before the decimal point and 2 after it, e.g. "500000.00".'
NOT_AN_ID = "This is not an id."
QUANTITY_RANGE = "Enter a whole number from 1 to 1000000000."


def send(client, method: str, url: str, body=None):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def errors_of(response) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        errors.setdefault(error["field"], []).append(error["message"])
    return errors


def assert_refused(response, errors: dict[str, list[str]]) -> None:
    assert (response.status_code, response["Content-Type"]) == (422, PROBLEM), response.content[:300]
    assert errors_of(response) == errors


# --- ids ---------------------------------------------------------------------------------------


def test_json_true_is_not_an_id_and_assigns_nothing(world, api_client):
    # given HQ creating a partner's own price list
    from qudao.pricing.models import PriceList

    client = api_client(world.channel)
    body = {"code": "own", "name": "自有", "valid_from": "2026-01-01"}
    # when the partner is given as JSON true, 1.0 or a string of digits
    for partner, message in ((True, "Enter a whole number."), (1.0, "Enter a whole number."), ("1", None)):
        response = send(client, "post", "/api/v1/pricing/price-lists", body | {"partner": partner})
        # then it is refused (true is not partner 1), and no price list exists
        assert_refused(response, {"partner": [message or "Enter a whole number."]})
    for partner in (0, -1, 2**63):
        response = send(client, "post", "/api/v1/pricing/price-lists", body | {"partner": partner})
        assert_refused(response, {"partner": [NOT_AN_ID]})
    assert PriceList.objects.count() == 0


def test_ids_in_paths_and_filters_are_bounded(world, api_client):
    client = api_client(world.admin)
    # a path id past 2^63 - 1, negative or not ASCII digits: 422 naming the parameter
    for raw in (str(2**63), "9" * 29, "-1", "0", "³", "1e3", "1.0"):
        assert_refused(
            client.get(f"/api/v1/partners/{raw}"),
            {"partner_id": [NOT_AN_ID if raw[0] in "-09" else "Enter a whole number."]},
        )
    # a well-formed id of no record: 404
    response = client.get(f"/api/v1/partners/{MAX_ID}")
    assert (response.status_code, response["Content-Type"], response.json()["code"]) == (404, PROBLEM, "not_found")
    # filters
    assert_refused(client.get("/api/v1/orders", {"partner": str(2**63)}), {"partner": [NOT_AN_ID]})
    assert_refused(client.get("/api/v1/partners", {"parent": "true"}), {"parent": ["Enter a whole number."]})
    assert_refused(
        client.get("/api/v1/orders", {"offset": str(2**63)}), {"offset": ["Enter a whole number from 0 to 1000000000."]}
    )
    assert_refused(client.get("/api/v1/orders", {"limit": "³"}), {"limit": ["Enter a whole number."]})


def test_a_code_or_an_id_that_is_no_id_finds_nothing_instead_of_failing(world, catalog, api_client):
    """`?line=³`: "³".isdigit() is true but int("³") fails; 2^63 passed isdigit and broke the query."""
    client = api_client(world.admin)
    for line in ("³", "٣", str(2**63), "9" * 29):
        response = client.get("/api/v1/catalog/skus", {"line": line})
        assert (response.status_code, response.json()["count"]) == (200, 0), line
    assert client.get("/api/v1/catalog/skus", {"line": str(catalog.lines["hood"].pk)}).json()["count"] == 2
    assert [parse_id(value) for value in ("12", " 12 ", "³", "-1", "0", str(MAX_ID), str(MAX_ID + 1), True, 7)] == [
        12,
        12,
        None,
        None,
        None,
        MAX_ID,
        None,
        None,
        7,
    ]


# --- quantities and amounts --------------------------------------------------------------------


def test_quantities_fit_the_integer_columns(world, shop, api_client):
    from qudao.orders.models import Order

    client = api_client(world.dist_admin)
    hood = shop.skus["hood_a"].pk
    for quantity, message in (
        (3_000_000_000, QUANTITY_RANGE),
        (2**63, QUANTITY_RANGE),
        (0, QUANTITY_RANGE),
        (2.5, "Enter a whole number."),
        (1e30, "Enter a whole number."),
        (True, "Enter a whole number."),
        ("3", "Enter a whole number."),
    ):
        response = send(client, "post", "/api/v1/orders", {"lines": [{"sku": hood, "quantity": quantity}]})
        assert_refused(response, {"lines.0.quantity": [message]})
    assert Order.objects.count() == 0


def test_amounts_are_decimal_strings_of_at_most_13_digits_and_2_decimals(world, shop, api_client):
    from qudao.finance.models import Payment
    from qudao.orders.models import Order
    from qudao.partners.models import CreditTermsChange, FundEntry

    finance, buyer = api_client(world.finance), api_client(world.dist_admin)
    partner = world.dist_js.pk
    hood = shop.skus["hood_a"].pk
    for amount in ("1e30", "9" * 29, "1.005", "NaN", "Infinity", "1,000.00", " ", "0x10"):
        assert_refused(
            send(
                finance,
                "post",
                "/api/v1/finance/payments",
                {"partner": partner, "amount": amount, "received_on": "2026-11-20"},
            ),
            {"amount": [MONEY_FORMAT]},
        )
        assert_refused(
            send(
                finance,
                "post",
                f"/api/v1/partners/{partner}/credit-changes",
                {"credit_limit": amount, "payment_terms_days": 30, "reason": "x"},
            ),
            {"credit_limit": [MONEY_FORMAT]},
        )
        assert_refused(
            send(buyer, "post", "/api/v1/orders", {"lines": [{"sku": hood, "quantity": 1}], "rebate_amount": amount}),
            {"rebate_amount": [MONEY_FORMAT]},
        )
        assert_refused(
            send(finance, "post", f"/api/v1/partners/{partner}/funds/deposits", {"amount": amount, "reference": "R1"}),
            {"amount": [MONEY_FORMAT]},
        )
    for amount in (1e30, 12.5, 10**29, True):
        assert_refused(
            send(
                finance,
                "post",
                "/api/v1/finance/payments",
                {"partner": partner, "amount": amount, "received_on": "2026-11-20"},
            ),
            {"amount": ['Send the amount as a string, e.g. "500000.00".']},
        )
    assert (Payment.objects.count(), CreditTermsChange.objects.count(), Order.objects.count()) == (0, 0, 0)
    assert FundEntry.objects.count() == 0


def test_a_payment_announcement_of_1e30_is_a_field_error(world, api_client):
    """The partner's announcement is a form (text fields): the service bounds the amount."""
    from qudao.finance.models import Payment

    client = api_client(world.dist_admin)
    for amount in ("1e30", "9" * 29):
        response = client.post(
            "/api/v1/finance/payments/announcements",
            {"amount": amount, "received_on": "2026-11-20", "bank_reference": "B1", "payer_name": "x"},
        )
        assert (response.status_code, response["Content-Type"]) == (422, PROBLEM)
        assert errors_of(response)["amount"] == ["Enter an amount such as 12800.00."]
    assert Payment.objects.count() == 0


def test_the_credit_limit_service_refuses_a_third_decimal_instead_of_rounding(world):
    from qudao.partners.models import CreditTermsChange
    from qudao.partners.services import request_credit_change

    with pytest.raises(FieldErrors) as refused:
        request_credit_change(
            partner=world.dist_js, credit_limit="1.005", payment_terms_days=30, reason="x", actor=world.finance
        )
    assert refused.value.errors == {"credit_limit": ["Enter the credit limit in cents at most (two decimals)."]}
    with pytest.raises(FieldErrors) as refused:
        request_credit_change(
            partner=world.dist_js, credit_limit="1e30", payment_terms_days=30, reason="x", actor=world.finance
        )
    assert refused.value.errors == {"credit_limit": ["Enter an amount, e.g. 500000.00."]}
    assert CreditTermsChange.objects.count() == 0


# --- never HTML --------------------------------------------------------------------------------


def test_errors_outside_any_handler_answer_problem_details_never_html(world, api_client, page_client):
    client = api_client(world.admin)
    # an unknown URL under /api/ (inside and outside /api/v1/)
    for url in ("/api/v1/no-such-thing", "/api/v2/partners", "/api/"):
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (404, PROBLEM), url
        assert response.json() == {
            "type": "https://qudao.dev/problems/not_found",
            "title": "Not found.",
            "status": 404,
            "code": "not_found",
        }
    # a method the URL does not take: 405 with Allow
    response = client.delete("/api/v1/regions")
    assert (response.status_code, response["Content-Type"], response.json()["code"]) == (
        405,
        PROBLEM,
        "method_not_allowed",
    )
    assert response["Allow"] == "GET"
    # a page session without the CSRF token: 403 problem details
    browser = page_client(world.admin, enforce_csrf=True)
    response = browser.patch("/api/v1/settings", "{}", content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)
    # a body that is not JSON: 400
    response = client.post("/api/v1/orders", "{", content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert response.json() == {
        "type": "https://qudao.dev/problems/invalid_json",
        "title": "The request body is not valid JSON.",
        "status": 400,
        "code": "invalid_json",
    }
    # outside /api/ pages keep their HTML error pages
    assert "text/html" in page_client(world.admin).get("/no-such-page/")["Content-Type"]


@pytest.mark.urls("qudao.core.tests.urls_failing")
def test_an_unexpected_error_under_api_answers_a_500_problem_and_is_logged(db, caplog):
    # given a view under /api/ that fails (qudao.core.tests.urls_failing), with DEBUG off
    client = Client(raise_request_exception=False)
    # when
    response = client.get("/api/v1/failing")
    # then
    assert (response.status_code, response["Content-Type"]) == (500, PROBLEM)
    assert response.json() == {
        "type": "https://qudao.dev/problems/server_error",
        "title": "Something went wrong on our side. It was logged; try again later.",
        "status": 500,
        "code": "server_error",
    }
    assert any(record.exc_info and "the failing view" in str(record.exc_info[1]) for record in caplog.records)
    # outside /api/ Django's own 500 page stays
    assert "text/html" in client.get("/failing")["Content-Type"]


@pytest.mark.urls("qudao.core.tests.urls_failing")
def test_with_debug_on_the_api_still_answers_problem_details_not_the_technical_page(db, settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    for url, status in (("/api/v1/failing", 500), ("/api/v1/no-such-thing", 404)):
        response = client.get(url)
        assert (response.status_code, response["Content-Type"]) == (status, PROBLEM), url


def test_the_api_handlers_turn_database_range_errors_and_defects_into_problems(db):
    from qudao.api import api

    request = RequestFactory().get("/api/v1/partners")
    for error, status, code in (
        (DataError('value "3000000000" is out of range for type integer'), 422, "out_of_range"),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), 422, "out_of_range"),
        (RuntimeError("a defect"), 500, "server_error"),
    ):
        response = api.on_exception(request, error)
        assert (response.status_code, response["Content-Type"]) == (status, PROBLEM)
        assert json.loads(response.content)["code"] == code


# --- the hostile walk --------------------------------------------------------------------------

HOSTILE_JSON = [2**63, 1e30, 10**29 - 1, "³", True, -1, 3_000_000_000]
HOSTILE_TEXT = [str(2**63), "1e30", "9" * 29, "³", "true", "-1", "3000000000"]


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_numeric(schema: dict, components: dict) -> bool:
    schema = _resolve(schema, components)
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return any(_resolve(option, components).get("type") in ("integer", "number") for option in options) or (
        schema.get("type") == "string" and "pattern" in schema
    )


def _body_numeric_paths(schema: dict, components: dict, prefix=(), depth=0) -> list[tuple]:
    """The paths (keys and list indexes) of every number in a body schema, nested objects and
    lists included, each with a skeleton body that reaches it."""
    schema = _resolve(schema, components)
    if depth > 4:
        return []
    found = []
    for option in schema.get("anyOf", []):
        if _resolve(option, components).get("type") in ("object", "array"):
            found += _body_numeric_paths(option, components, prefix, depth + 1)
    if _is_numeric(schema, components) and prefix:
        found.append(prefix)
    if schema.get("type") == "array" and "items" in schema:
        found += _body_numeric_paths(schema["items"], components, (*prefix, 0), depth + 1)
    for name, field in schema.get("properties", {}).items():
        found += _body_numeric_paths(field, components, (*prefix, name), depth + 1)
    return found


def _put(path: tuple, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        return [_put(rest, value)]
    return {head: _put(rest, value)}


def _hostile_requests(document: dict):
    """(method, url, kind, body) for every number of every operation: each path, query and body
    number (and each path or query text: "code or id" values) in turn given each hostile value."""
    components = document["components"]["schemas"]
    for template, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = operation.get("parameters", [])
            base = {p["name"]: "1" for p in parameters if p["in"] == "path"}

            def url(path_values, query=None, template=template):
                text = re.sub(r"{(\w+)}", lambda match: path_values[match.group(1)], template)
                return text, query or {}

            for parameter in parameters:
                for value in HOSTILE_TEXT:
                    if parameter["in"] == "path":
                        yield method, url(base | {parameter["name"]: value}), "json", None
                    elif parameter["in"] == "query":
                        yield method, url(base, {parameter["name"]: value}), "json", None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for path in _body_numeric_paths(content["application/json"]["schema"], components):
                    for value in HOSTILE_JSON:
                        yield method, url(base), "json", _put(path, value)
            elif "multipart/form-data" in content:
                form = _resolve(content["multipart/form-data"]["schema"], components)
                for name, field in form.get("properties", {}).items():
                    if _resolve(field, components).get("format") == "binary":
                        continue
                    for value in HOSTILE_TEXT:
                        yield method, url(base), "form", {name: value}


@pytest.mark.parametrize("persona", ["admin", "dist_admin"])
def test_every_operation_answers_hostile_numbers_with_json_never_a_server_error(world, api_client, persona):
    # given the OpenAPI document and a user with a token
    document = Client().get("/api/v1/openapi.json").json()
    client = api_client(getattr(world, persona))
    client.raise_request_exception = False
    failures, count = [], 0
    # when every number of every operation gets 2^63, 1e30, 29 digits, "³", true, -1 and 3e9
    for method, (path, query), kind, body in _hostile_requests(document):
        if query:
            path = f"{path}?{'&'.join(f'{key}={value}' for key, value in query.items())}"
        if kind == "form":
            response = getattr(client, method)(path, body)
        else:
            response = send(client, method, path, body)
        count += 1
        content_type = response.get("Content-Type", "")
        json_answer = content_type.startswith(("application/json", PROBLEM)) or response.status_code in (204, 304)
        # a file download (an export) is not an error: it only needs to not fail
        downloads = content_type.startswith(("application/vnd.openxmlformats", "text/csv", "application/pdf"))
        if response.status_code >= 500 or not (json_answer or (downloads and response.status_code == 200)):
            failures.append(f"{method.upper()} {path} {json.dumps(body)} -> {response.status_code} {content_type}")
    # then no server error and JSON every time
    assert failures == []
    assert count > 2000


def test_a_multipart_body_without_a_boundary_is_a_400_problem(world, api_client):
    """Found by schemathesis: Django's MultiPartParserError came out as a 500."""
    from qudao.partners.models import PartnerApplication

    response = Client().post("/api/v1/applications", b"x", content_type="multipart/form-data")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert response.json() == {
        "type": "https://qudao.dev/problems/invalid_form",
        "title": "The request body could not be read as a form.",
        "status": 400,
        "code": "invalid_form",
    }
    assert PartnerApplication.objects.count() == 0
