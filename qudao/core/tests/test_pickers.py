"""The region picker: /pickers/regions/ finds provinces and cities by name in any language or by
code (江苏 finds 江苏省 first, then its cities), offers a province's cities, and RegionField
accepts the picked code or a typed name and refuses anything else at the field."""

from __future__ import annotations

from django.test import Client
from django.utils import translation

from qudao.core.forms import Form
from qudao.core.pickers import RegionField, find_region


def _options(client, **params):
    response = client.get("/pickers/regions/", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def test_it_finds_a_province_by_its_chinese_name_then_offers_its_cities(world):
    # given: anyone (regions are public reference data, like /api/v1/regions)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    # when: 江苏 is typed
    options = _options(client, q="江苏")
    # then: the province comes first, as a value the form submits, and it has more (its cities)
    assert (options[0]["value"], options[0]["label"], options[0]["more"]) == ("320000", "江苏省", True)
    assert all(option["label"].startswith("江苏省") for option in options)
    # when: the province is picked, its cities are offered
    cities = _options(client, parent="320000")
    assert cities[0]["value"] == "320100" and cities[0]["label"] == "江苏省 南京市" and cities[0]["more"] is False
    assert {"320100", "320500"} <= {city["value"] for city in cities}
    # a city by its own name, a code, and English
    assert _options(client, q="南京")[0]["value"] == "320100"
    assert _options(client, q="3205")[0]["value"] == "320500"
    assert _options(client, q="Jiangsu")[0]["value"] == "320000"
    assert _options(Client(HTTP_ACCEPT_LANGUAGE="en"), q="Jiangsu")[0]["label"] == "Jiangsu"
    # nothing for nonsense, and a malformed parent finds nothing rather than failing
    assert _options(client, q="不存在的地方") == []
    assert _options(client, parent="32'0") == []


def test_find_region_reads_codes_and_the_names_people_type(world):
    assert find_region("320000").code == "320000"
    assert find_region("江苏").code == "320000"
    assert find_region("江苏省").code == "320000"
    assert find_region("南京").code == "320100"
    assert find_region("江苏省 南京市").code == "320100"
    # a city outside the province named first is not that city
    assert find_region("浙江省 南京市") is None
    assert find_region("nowhere") is None
    assert find_region("") is None


class RegionForm(Form):
    region = RegionField(label="Region", required=False)


def test_a_region_field_takes_the_picked_code_or_a_typed_name_and_refuses_the_rest(world):
    # the picker's hidden value
    form = RegionForm({"region": "320100"})
    assert form.is_valid() and form.cleaned_data["region"] == "320100"
    # nothing picked, the name typed (no script, or typed without picking)
    form = RegionForm({"region": "", "region__search": "江苏"})
    assert form.is_valid() and form.cleaned_data["region"] == "320000"
    # empty is empty
    form = RegionForm({"region": "", "region__search": ""})
    assert form.is_valid() and form.cleaned_data["region"] is None
    # unknown: an error at the field, in the user's language
    with translation.override("en"):
        form = RegionForm({"region": "999999"})
        assert not form.is_valid() and form.errors["region"] == ["Unknown region."]
    # the widget shows the name, never the code alone, and searches the picker endpoint
    with translation.override("zh-hans"):
        html = RegionForm(initial={"region": "320100"}).as_div()
    assert 'data-picker="/pickers/regions/"' in html
    assert 'value="江苏省 南京市"' in html and 'name="region" value="320100"' in html
    assert 'for="id_region__search"' in html


def test_a_multi_select_shows_the_chosen_labels_and_posts_several_values(db):
    from django import forms

    from qudao.core.pickers import MultiSelect

    class TiersForm(Form):
        tiers = forms.MultipleChoiceField(
            label="Tiers", required=False, widget=MultiSelect, choices=[("gold", "金牌"), ("silver", "银牌")]
        )

    # the labels, not the keys, in the summary; each a checkbox
    html = TiersForm(initial={"tiers": ["gold", "silver"]}).as_div()
    assert "<summary" in html and "金牌、银牌</summary>" in html
    assert html.count('type="checkbox" name="tiers"') == 2 and html.count("checked") == 2
    with translation.override("en"):  # the empty summary's words, in English
        assert "None chosen</summary>" in TiersForm().as_div()
    # several values come back as a list
    form = TiersForm({"tiers": ["gold", "silver"]})
    assert form.is_valid() and form.cleaned_data["tiers"] == ["gold", "silver"]
