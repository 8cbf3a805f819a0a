"""The rebate policy form's pickers (docs/pickers.md): SKUs, promotions, regions and partners are
picked by name and submitted as codes (chips' hidden inputs), or typed as a list without script;
the server resolves them in the user's scope and refuses what it cannot find at the field, saving
nothing. The detail page names what the policy targets; the preview has a compact summary."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from qudao.core.pickers import MultiPickerField
from qudao.partners.pickers import PartnerField
from qudao.pricing.pickers import PromotionField
from qudao.pricing.tests.conftest import make_promo
from qudao.rebates.models import RebatePolicy

from .test_policy_form import (
    UNIT_FORM,
    errors_at,
    shipped_last_quarter,  # noqa: F401  (a fixture used below)
)


@pytest.fixture
def named(books, catalogue):
    """HOOD-A and HOOD-B with names and a barcode; a promotion for everyone and one for dealer_zj."""
    catalogue.skus["hood_a"].name = "侧吸油烟机 A1"
    catalogue.skus["hood_a"].barcode = "6901234567892"
    catalogue.skus["hood_a"].save()
    catalogue.skus["hood_b"].name = "顶吸油烟机 B2"
    catalogue.skus["hood_b"].save()
    everyone = make_promo("SPRING", "percent_off", value=5)
    everyone.name = "春季焕新"
    everyone.save()
    return everyone


def test_the_form_saves_what_the_pickers_submit_and_the_detail_page_names_it(page_client, world, named):
    client = page_client(world.channel)
    # the new form offers pickers, not text boxes for codes
    page = client.get("/rebates/policies/new/").content.decode()
    for name in ("skus", "excluded_skus", "excluded_promotions", "target_regions", "target_partners"):
        assert f'data-testid="picker-{name}"' in page and f'name="{name}__search"' in page
    assert "/pickers/partners/?value=code" in page and "/pickers/promotions/" in page
    # when the pickers submit codes (the chips' hidden inputs)
    response = client.post(
        "/rebates/policies/new/",
        {
            **UNIT_FORM,
            "skus": ["HOOD-A"],
            "excluded_skus": ["HOOD-B"],
            "excluded_promotions": ["SPRING"],
            "target_regions": ["320000"],
            "target_partners": [world.dist_js.code, world.dealer_zj.code],
        },
    )
    # then the policy keeps the codes
    assert response.status_code == 302, errors_at(response.content.decode(), "target_partners")
    policy = RebatePolicy.objects.get()
    assert (policy.skus, policy.excluded_skus, policy.excluded_promotions, policy.target_regions) == (
        ["HOOD-A"],
        ["HOOD-B"],
        ["SPRING"],
        ["320000"],
    )
    assert policy.target_partners == sorted([world.dist_js.code, world.dealer_zj.code])
    # and the detail page names them
    with translation.override("en"):
        detail = client.get(f"/rebates/policies/{policy.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'data-testid="policy-skus">侧吸油烟机 A1<', detail)
    assert re.search(r'data-testid="policy-excluded-skus">顶吸油烟机 B2<', detail)
    assert re.search(r'data-testid="policy-excluded-promotions">春季焕新<', detail)
    targets = re.search(r'data-testid="target-partners">(.*?)</span>', detail).group(1)
    assert targets == f"金陵商贸 ({world.dist_js.code}), 西湖家电 ({world.dealer_zj.code})"
    for code in ("HOOD-A", "HOOD-B", "SPRING", "320000"):
        assert code not in re.search(r'data-testid="policy-facts">(.*?)</dl>', detail, re.S).group(1)
    # and the edit form shows chips with their names, each a value to keep
    edit = client.get(f"/rebates/policies/{policy.pk}/edit/").content.decode()
    chip = r'name="{name}" value="{value}" checked data-chip-value> <span class="chip-label">{label}</span>'
    assert re.search(chip.format(name="skus", value="HOOD-A", label="侧吸油烟机 A1 · HOOD-A"), edit)
    assert re.search(chip.format(name="excluded_promotions", value="SPRING", label="春季焕新 · SPRING"), edit)
    label = f"南京金陵商贸有限公司 · {world.dist_js.code}"
    assert re.search(chip.format(name="target_partners", value=world.dist_js.code, label=label), edit)


def test_without_script_the_boxes_take_a_typed_list_of_codes_and_names(page_client, world, named):
    client = page_client(world.channel)
    response = client.post(
        "/rebates/policies/new/",
        {
            **UNIT_FORM,
            # a barcode and a name; a promotion's name; a province's name; a code and a short name
            "skus__search": "6901234567892，顶吸油烟机 B2",
            "excluded_promotions__search": "春季焕新",
            "target_regions__search": "江苏",
            "target_partners__search": f"{world.dealer_zj.code}, 金陵商贸",
        },
    )
    assert response.status_code == 302
    policy = RebatePolicy.objects.get()
    assert (policy.skus, policy.excluded_promotions, policy.target_regions) == (
        ["HOOD-A", "HOOD-B"],
        ["SPRING"],
        ["320000"],
    )
    assert policy.target_partners == sorted([world.dist_js.code, world.dealer_zj.code])


def test_what_no_picker_finds_is_an_error_at_its_field_and_nothing_is_saved(page_client, world, named):
    client = page_client(world.channel)
    with translation.override("en"):
        response = client.post(
            "/rebates/policies/new/",
            {
                **UNIT_FORM,
                "target_partner_types": [],
                "skus": ["HOOD-A", "NO-SUCH-SKU"],
                "excluded_promotions__search": "没有这个促销",
                "target_partners": ["P999999"],
                "target_regions__search": "Atlantis",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 422
    html = response.content.decode()
    assert errors_at(html, "skus") == ["Not found among what you may choose: NO-SUCH-SKU."]
    assert errors_at(html, "excluded_promotions") == ["Not found among what you may choose: 没有这个促销."]
    assert errors_at(html, "target_partners") == ["Not found among what you may choose: P999999."]
    assert errors_at(html, "target_regions") == ["Not found among what you may choose: Atlantis."]
    # the form's other errors come with them, and "choose the partners" is not one (a list was given)
    assert errors_at(html, "targets") == []
    summary = re.findall(r'<a href="#([^"]+)" data-testid="error-link">', html)
    assert summary == ["f-skus", "f-excluded_promotions", "f-target_regions", "f-target_partners"]
    assert RebatePolicy.objects.count() == 0


def test_a_picker_refuses_a_partner_or_promotion_outside_the_users_scope(world, named):
    # the regional manager of Zhejiang does not see dist_js (Jiangsu), nor a promotion only for it
    only_dist_js = make_promo("JS-ONLY", "percent_off", value=3, partner=world.dist_js)
    field = MultiPickerField(PartnerField(by_code=True), required=False)
    field.user = world.regional_zj
    assert field.clean([world.dealer_zj.code, "西湖家电"]) == [world.dealer_zj.code]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        field.clean([world.dealer_zj.code, world.dist_js.code])
    assert refused.value.messages == [f"Not found among what you may choose: {world.dist_js.code}."]
    promotions = MultiPickerField(PromotionField(), required=False)
    promotions.user = world.regional_zj
    assert promotions.clean(["SPRING"]) == ["SPRING"]
    with pytest.raises(ValidationError):
        promotions.clean([only_dist_js.code])
    # the channel manager sees both
    promotions.user = world.channel
    assert promotions.clean(["JS-ONLY", "SPRING"]) == ["JS-ONLY", "SPRING"]


def test_the_promotion_search_finds_by_name_or_code_in_the_users_scope(page_client, world, named):
    make_promo("JS-ONLY", "percent_off", value=3, partner=world.dist_js)
    channel = page_client(world.channel).get("/pickers/promotions/", {"q": "春季"}).json()
    assert channel["results"] == [{"value": "SPRING", "label": "春季焕新", "detail": "SPRING · Active", "more": False}]
    assert [
        r["value"] for r in page_client(world.channel).get("/pickers/promotions/", {"q": "ONLY"}).json()["results"]
    ] == ["JS-ONLY"]
    assert page_client(world.regional_zj).get("/pickers/promotions/", {"q": "ONLY"}).json()["results"] == []
    assert page_client(world.users["dist_admin"]).get("/pickers/promotions/", {"q": ""}).json()["results"] == []


def test_the_partner_search_gives_codes_when_asked(page_client, world):
    found = page_client(world.channel).get("/pickers/partners/", {"q": "金陵", "value": "code"}).json()["results"]
    assert [option["value"] for option in found] == [world.dist_js.code]
    by_id = page_client(world.channel).get("/pickers/partners/", {"q": "金陵"}).json()["results"]
    assert [option["value"] for option in by_id] == [str(world.dist_js.pk)]


def test_the_preview_has_a_compact_summary_for_the_phone(page_client, world, shipped_last_quarter):  # noqa: F811
    client = page_client(world.channel)
    form = client.get("/rebates/policies/new/").content.decode()
    assert 'id="preview-summary"' in form and 'href="#policy-preview"' in form
    with translation.override("en"):
        response = client.post(
            "/rebates/policies/preview/",
            {**UNIT_FORM, "target_partners__search": "still typing"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    html = response.content.decode()
    # distributors and dealers: dist_js 250 units x 5.00, dealer_zj 300 x 5.00, sub_js 100 x 2.00; the
    # text still being typed in the partners' box does not count
    summary = re.search(r'<a href="#policy-preview" id="preview-summary"[^>]*hx-swap-oob="true">(.*?)</a>', html, re.S)
    assert summary, html
    assert "Last period this policy would pay CNY 2,950.00 to 3 partners" in summary.group(1)
