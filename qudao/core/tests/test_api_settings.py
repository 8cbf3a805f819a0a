"""API: the brand's settings. HQ reads them; the admin (settings.manage) changes them."""

from decimal import Decimal

import pytest

from qudao.core.models import BrandSettings
from qudao.partners import services
from qudao.partners.models import CreditTermsChange

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def current():
    row = BrandSettings.current()
    return (
        row.brand_name,
        row.default_currency,
        row.parent_must_cover_child_region,
        row.credit_change_approval_threshold,
        row.approval_reminder_hours,
    )


DEFAULTS = ("Qudao Demo Brand", "CNY", True, Decimal("100000"), 24)


@pytest.mark.parametrize("persona", ["admin", "finance", "sales", "regional_zj"])
def test_hq_reads_the_settings(world, api_client, persona):
    response = api_client(world.users[persona]).get("/api/v1/settings")
    assert response.status_code == 200
    body = response.json()
    assert {key: value for key, value in body.items() if key != "updated_at"} == {
        "brand_name": "Qudao Demo Brand",
        "short_name": "",
        "primary_colour": "",
        "logo_url": "",
        "default_currency": "CNY",
        "parent_must_cover_child_region": True,
        "credit_change_approval_threshold": "100000.00",
        "approval_reminder_hours": 24,
    }


@pytest.mark.parametrize("persona", ["dist_admin", "zj_admin"])
def test_partner_users_do_not_read_the_settings(world, api_client, persona):
    assert api_client(world.users[persona]).get("/api/v1/settings").status_code == 403


def test_the_admin_changes_the_settings_and_they_take_effect(world, api_client):
    # when
    response = api_client(world.admin).patch(
        "/api/v1/settings",
        {
            "credit_change_approval_threshold": "1000.50",
            "approval_reminder_hours": 48,
            "brand_name": "美味厨电",
            "short_name": "美味",
            "primary_colour": "#c8102e",
        },
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    assert {key: value for key, value in response.json().items() if key != "updated_at"} == {
        "brand_name": "美味厨电",
        "short_name": "美味",
        "primary_colour": "#C8102E",
        "logo_url": "",
        "default_currency": "CNY",
        "parent_must_cover_child_region": True,
        "credit_change_approval_threshold": "1000.50",
        "approval_reminder_hours": 48,
    }
    assert current() == ("美味厨电", "CNY", True, Decimal("1000.50"), 48)
    # and a credit increase of 5,000 now waits for approval
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit="5000", payment_terms_days=30, reason="试", actor=world.finance
    )
    assert change.status == CreditTermsChange.Status.PENDING


@pytest.mark.parametrize("persona", ["channel", "finance", "dist_admin"])
def test_only_the_admin_changes_the_settings(world, api_client, persona):
    response = api_client(world.users[persona]).patch(
        "/api/v1/settings", {"approval_reminder_hours": 1}, content_type="application/json"
    )
    assert response.status_code == 403
    assert current() == DEFAULTS


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"credit_change_approval_threshold": "-1"},
            {"credit_change_approval_threshold": ["The amount cannot be negative."]},
        ),
        (
            {"credit_change_approval_threshold": 100.5},
            {"credit_change_approval_threshold": ['Send the amount as a string, e.g. "500000.00".']},
        ),
        (
            {"credit_change_approval_threshold": "lots"},
            {
                "credit_change_approval_threshold": [
                    'Enter an amount with at most 13 digits before the decimal point and 2 after it, e.g. "500000.00".'
                ]
            },
        ),
        ({"approval_reminder_hours": 0}, {"approval_reminder_hours": ["Enter whole hours from 1 to 720."]}),
        ({"approval_reminder_hours": 721}, {"approval_reminder_hours": ["Enter whole hours from 1 to 720."]}),
        ({"default_currency": "JPY"}, {"default_currency": ["Choose one of: CNY, HKD, USD, EUR."]}),
        ({"brand_name": ""}, {"brand_name": ["This field is required."]}),
        ({"updated_at": "2026-01-01T00:00:00Z"}, {"updated_at": ["This field is not accepted here."]}),
        (
            {"approval_reminder_hours": 0, "credit_change_approval_threshold": "-5"},
            {
                "credit_change_approval_threshold": ["The amount cannot be negative."],
                "approval_reminder_hours": ["Enter whole hours from 1 to 720."],
            },
        ),
    ],
)
def test_it_refuses_bad_settings_and_changes_nothing(world, api_client, data, errors):
    response = api_client(world.admin).patch("/api/v1/settings", data, content_type="application/json")
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert current() == DEFAULTS
