"""A tax rate is typed and read as a percentage (13 for 13 %) in the product form, on the
product page and in the catalogue export and import, and stored as the fraction (0.13)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize(("typed", "stored"), [("13", "0.1300"), ("13%", "0.1300"), ("9", "0.0900"), ("6.5", "0.0650")])
def test_a_tax_rate_typed_as_a_percentage_is_stored_as_the_fraction(db, typed, stored):
    from qudao.catalog.forms import ProductForm

    form = ProductForm({"code": "X", "name": "x", "product_line": "", "base_unit": "件", "tax_rate": typed})
    form.is_valid()

    assert "tax_rate" not in form.errors
    assert str(form.cleaned_data["tax_rate"]) == stored


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("abc", "Enter a percentage, e.g. 13 for 13%."),
        ("130", "Enter a percentage from 0 to 100."),
        ("-1", "Enter a percentage from 0 to 100."),
        ("13.125", "Enter a percentage with at most 2 decimals."),
    ],
)
def test_a_tax_rate_that_is_not_a_percentage_is_refused_at_its_field(db, typed, error):
    from qudao.catalog.forms import ProductForm

    form = ProductForm({"tax_rate": typed})

    assert not form.is_valid()
    assert form.errors["tax_rate"] == [error]


def test_a_stored_tax_rate_is_shown_as_a_percentage_in_the_form_the_page_and_the_export(world, catalog, page_client):
    from qudao.catalog import importing
    from qudao.catalog.forms import ProductForm
    from qudao.catalog.models import Product

    product = Product.objects.get(code="HOOD-1")
    assert str(product.tax_rate) == "0.1300"

    form_html = str(ProductForm(initial={"tax_rate": product.tax_rate})["tax_rate"])
    page = page_client(world.channel).get(f"/catalog/products/{product.pk}/").content.decode()

    assert 'value="13"' in form_html
    assert '<dd data-testid="tax-rate">13%</dd>' in page
    assert importing._tax_rate("13%") == "0.13"
    assert importing._tax_rate("0.13") == "0.13"  # a file written before keeps working
    assert importing._tax_rate("9") == "0.09"
