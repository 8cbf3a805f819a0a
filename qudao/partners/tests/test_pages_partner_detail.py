"""The partner 360 page (/partners/<id>/) and its forms: edit, status, tier, credit terms, parent
and contacts. Scope first (404), then roles (403 / hidden buttons), then the service's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from qudao.core.models import ApprovalRequest, BrandSettings, ObjectChange
from qudao.core.panels import Panel, _panels, register_panel
from qudao.partners import services
from qudao.partners.models import (
    CreditTermsChange,
    Partner,
    PartnerContact,
    PartnerStatusChange,
    TierChange,
)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def url(partner, suffix=""):
    return f"/partners/{partner.pk}/{suffix}"


def snapshot(partner) -> dict:
    """What a refused form must leave untouched."""
    row = Partner.objects.get(pk=partner.pk)
    return {
        "row": {
            field.attname: getattr(row, field.attname)
            for field in Partner._meta.concrete_fields
            if field.name != "updated_at"
        },
        "contacts": list(PartnerContact.objects.filter(partner=partner).values_list("name", "mobile", "email")),
        "status_changes": PartnerStatusChange.objects.filter(partner=partner).count(),
        "tier_changes": TierChange.objects.filter(partner=partner).count(),
        "credit_changes": CreditTermsChange.objects.filter(partner=partner).count(),
    }


# --- the 360 page ------------------------------------------------------------------------------


def test_it_shows_the_partner_and_every_panel(world, page_client):
    # given a contact on the distributor
    PartnerContact.objects.create(partner=world.dist_js, name="周明", mobile="13800000001", is_primary=True)

    # when an admin opens the distributor's 360 page
    response = page_client(world.admin).get(url(world.dist_js))

    # then it shows the partner's name, code and credit code, and its panels in order (finance's
    # account and rebates' panels are registered by those contexts)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="partner-name">南京金陵商贸有限公司<' in content
    assert f'data-testid="partner-code">{world.dist_js.code}<' in content
    assert f'data-testid="credit-code">{world.dist_js.credit_code}<' in content
    assert [panel["key"] for panel in response.context["panels"]] == [
        "profile",
        "hierarchy",
        "contacts",
        "orders",
        "credit",
        "finance",
        "rebates",
        "approvals",
        "audit",
    ]
    # operations reads rebates but not finance (finance.view)
    operations = page_client(world.operations).get(url(world.dist_js))
    assert [panel["key"] for panel in operations.context["panels"]] == [
        "profile",
        "hierarchy",
        "contacts",
        "orders",
        "credit",
        "rebates",
        "approvals",
        "audit",
    ]
    # the hierarchy lists its sub-dealer, the contacts panel its contact
    assert f"{world.sub_js.code} 姑苏电器" in content
    assert content.count('data-testid="contact"') == 1 and "周明" in content


def test_it_shows_the_ancestors_of_a_sub_dealer(world, page_client):
    response = page_client(world.regional_js).get(url(world.sub_js))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="ancestors"' in content
    assert f"{world.dist_js.code} 金陵商贸" in content


def test_it_renders_panels_registered_by_other_contexts_when_visible(world, page_client, tmp_path, settings):
    # given a panel another context registers, visible to finance only
    template_dir = tmp_path / "templates"
    (template_dir / "extra").mkdir(parents=True)
    (template_dir / "extra" / "orders.html").write_text(
        '<p data-testid="orders-count">{{ count }} orders of {{ partner.code }}</p>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]
    saved = list(_panels["partner"])
    register_panel(
        "partner",
        Panel(
            "orders",
            "Orders",
            "extra/orders.html",
            lambda request, partner: {"count": 7},
            60,
            visible=lambda request, partner: request.user.has_role("finance"),
        ),
    )
    try:
        finance = page_client(world.finance).get(url(world.dist_js))
        channel = page_client(world.channel).get(url(world.dist_js))
    finally:
        _panels["partner"] = saved

    # then finance sees it, in its place, with its context; the channel manager does not
    assert f'data-testid="orders-count">7 orders of {world.dist_js.code}<' in finance.content.decode()
    assert [panel["key"] for panel in finance.context["panels"]][6:8] == ["approvals", "orders"]
    assert "orders-count" not in channel.content.decode()


@pytest.mark.parametrize(
    ("persona", "partner_key"),
    [("regional_zj", "dist_js"), ("regional_js", "dealer_zj"), ("sales", "sub_js")],
)
def test_it_answers_404_for_a_partner_outside_the_users_regions(world, page_client, persona, partner_key):
    response = page_client(world.users[persona]).get(url(world.partners[partner_key]))

    assert response.status_code == 404


def test_it_answers_404_for_an_unknown_partner(world, page_client):
    assert page_client(world.admin).get("/partners/999999/").status_code == 404


@pytest.mark.parametrize(
    ("persona", "partner_key", "status", "location"),
    [
        ("zj_admin", "dist_js", 404, None),  # another partner's record
        ("sub_admin", "dist_js", 404, None),  # its parent is not its business
        ("dist_admin", "sub_js", 302, "/portal/"),  # its own sub-dealer: shown in the portal
        ("dist_staff", "dist_js", 302, "/portal/"),  # itself
    ],
)
def test_it_keeps_partner_users_out_of_the_hq_page(world, page_client, persona, partner_key, status, location):
    response = page_client(world.users[persona]).get(url(world.partners[partner_key]))

    assert response.status_code == status
    if location:
        assert response.url == location


@pytest.mark.parametrize(
    ("persona", "buttons"),
    [
        ("admin", {"edit", "status", "tier"}),
        ("channel", {"edit", "status", "tier"}),
        ("regional_js", {"edit"}),
        ("finance", {"credit"}),
        ("operations", set()),
    ],
)
def test_it_shows_the_action_buttons_the_users_roles_allow(world, page_client, persona, buttons):
    content = page_client(world.users[persona]).get(url(world.dist_js)).content.decode()

    shown = {name for name in ("edit", "status", "tier", "credit") if f'data-testid="action-{name}"' in content}
    assert shown == buttons
    assert ('data-testid="credit-change-link"' in content) is ("credit" in buttons)
    assert ('data-testid="action-add-contact"' in content) is ("edit" in buttons)


# --- edit --------------------------------------------------------------------------------------


def test_it_edits_the_profile(world, page_client):
    # given the edit form's current values
    client = page_client(world.channel)
    form = client.get(url(world.dealer_zj, "edit/")).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, [])}
    data.update({"short_name": "西湖电器", "address": "杭州市西湖区文三路 1 号", "tags": "重点客户, 华东"})

    # when the channel manager saves it
    response = client.post(url(world.dealer_zj, "edit/"), data)

    # then the partner is changed, audited, and the 360 page says so
    assert response.status_code == 302
    assert response.url == url(world.dealer_zj)
    partner = Partner.objects.get(pk=world.dealer_zj.pk)
    assert (partner.short_name, partner.address) == ("西湖电器", "杭州市西湖区文三路 1 号")
    assert sorted(partner.tags.values_list("name", flat=True)) == ["华东", "重点客户"]
    assert ObjectChange.objects.filter(object_id=str(partner.pk), action="update", actor=world.channel).exists()


def test_it_shows_a_bad_credit_code_at_its_field_and_changes_nothing(world, page_client):
    client = page_client(world.admin)
    data = dict(client.get(url(world.dealer_zj, "edit/")).context["form"].initial)
    data = {key: value for key, value in data.items() if value not in (None, [])}
    before = snapshot(world.dealer_zj)

    response = client.post(
        url(world.dealer_zj, "edit/"), data | {"credit_code": "91320100MA00000000", "legal_name": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "legal_name": ["This field is required."],
        "credit_code": ["Not a valid unified social credit code (18 characters, check character)."],
    }
    assert snapshot(world.dealer_zj) == before


def test_it_refuses_the_edit_form_to_finance(world, page_client):
    assert page_client(world.finance).get(url(world.dist_js, "edit/")).status_code == 403


def test_it_answers_404_to_a_regional_manager_editing_outside_its_regions(world, page_client):
    before = snapshot(world.dealer_zj)

    response = page_client(world.regional_js).post(url(world.dealer_zj, "edit/"), {"legal_name": "x"})

    assert response.status_code == 404
    assert snapshot(world.dealer_zj) == before


# --- status and tier ---------------------------------------------------------------------------


def test_it_changes_the_status_with_a_reason(world, page_client):
    response = page_client(world.channel).post(
        url(world.dealer_zj, "status/"), {"status": "suspended", "reason": "逾期未回款"}
    )

    assert response.status_code == 302
    partner = Partner.objects.get(pk=world.dealer_zj.pk)
    assert partner.status == "suspended"
    change = PartnerStatusChange.objects.filter(partner=partner).first()
    assert (change.from_status, change.to_status, change.reason, change.actor) == (
        "active",
        "suspended",
        "逾期未回款",
        world.channel,
    )


def test_it_offers_only_the_allowed_status_changes(world, page_client):
    form = page_client(world.channel).get(url(world.dealer_zj, "status/")).context["form"]

    assert [value for value, _label in form.fields["status"].choices] == ["suspended", "terminated"]


def test_it_requires_a_reason_for_a_status_change(world, page_client):
    before = snapshot(world.dealer_zj)

    response = page_client(world.channel).post(url(world.dealer_zj, "status/"), {"status": "suspended", "reason": " "})

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Give a reason."]}
    assert snapshot(world.dealer_zj) == before


def test_it_refuses_a_status_change_to_a_regional_manager(world, page_client):
    before = snapshot(world.dist_js)

    response = page_client(world.regional_js).post(
        url(world.dist_js, "status/"), {"status": "suspended", "reason": "x"}
    )

    assert response.status_code == 403
    assert snapshot(world.dist_js) == before


def test_it_changes_the_tier_with_a_reason(world, page_client):
    response = page_client(world.admin).post(url(world.sub_js, "tier/"), {"tier": "gold", "reason": "年度评级"})

    assert response.status_code == 302
    partner = Partner.objects.get(pk=world.sub_js.pk)
    assert partner.tier.code == "gold"
    change = TierChange.objects.filter(partner=partner).first()
    assert (change.from_tier.code, change.to_tier.code, change.reason) == ("silver", "gold", "年度评级")


def test_it_shows_the_tier_services_refusal_at_the_field(world, page_client):
    before = snapshot(world.sub_js)

    response = page_client(world.admin).post(url(world.sub_js, "tier/"), {"tier": "silver", "reason": "同级"})

    assert response.context["form"].errors == {"tier": ["The partner is already in this tier."]}
    assert snapshot(world.sub_js) == before


# --- credit terms ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "channel", "regional_js", "operations", "sales"])
def test_it_refuses_the_credit_form_to_everyone_but_finance(world, page_client, persona):
    partner = world.dealer_zj if persona == "sales" else world.dist_js
    before = snapshot(partner)
    client = page_client(world.users[persona])

    get = client.get(url(partner, "credit/"))
    post = client.post(
        url(partner, "credit/"), {"credit_limit": "1000", "currency": "CNY", "payment_terms_days": "30", "reason": "x"}
    )

    assert (get.status_code, post.status_code) == (403, 403)
    assert snapshot(partner) == before


def test_it_applies_a_small_credit_change_at_once(world, page_client):
    # when finance sets a limit below the approval threshold (100,000)
    response = page_client(world.finance).post(
        url(world.dist_js, "credit/"),
        {"credit_limit": "80,000.50", "currency": "CNY", "payment_terms_days": "45", "reason": "年度授信"},
        follow=True,
    )

    # then it applies now, and the credit panel shows it
    partner = Partner.objects.get(pk=world.dist_js.pk)
    assert (partner.credit_limit, partner.payment_terms_days) == (Decimal("80000.5000"), 45)
    content = response.content.decode()
    assert "The new credit terms apply now." in content
    assert "<strong>CNY 80,000.50</strong>" in content
    assert content.count('data-testid="credit-change"') == 1


def test_it_sends_a_large_credit_increase_to_approval(world, page_client):
    # when finance raises the limit above the threshold
    response = page_client(world.finance).post(
        url(world.dist_js, "credit/"),
        {"credit_limit": "500000", "currency": "CNY", "payment_terms_days": "60", "reason": "扩大经营"},
        follow=True,
    )

    # then the terms stay as they were and the change waits for approval
    partner = Partner.objects.get(pk=world.dist_js.pk)
    assert partner.credit_limit == Decimal("0")
    change = CreditTermsChange.objects.get(partner=partner)
    assert change.status == "pending"
    assert ApprovalRequest.objects.get(pk=change.approval_id).status == "pending"
    content = response.content.decode()
    assert f"The change waits for approval ({change.approval.number})." in content
    assert 'data-testid="pending-credit"' in content


def test_it_shows_credit_input_errors_at_their_fields(world, page_client):
    before = snapshot(world.dist_js)

    response = page_client(world.finance).post(
        url(world.dist_js, "credit/"),
        {"credit_limit": "lots", "currency": "CNY", "payment_terms_days": "400", "reason": ""},
    )

    assert response.context["form"].errors == {
        "credit_limit": ["Enter an amount, e.g. 500000.00."],
        "payment_terms_days": ["Enter whole days from 0 to 365."],
        "reason": ["Give a reason."],
    }
    assert snapshot(world.dist_js) == before


def test_it_shows_a_pending_change_conflict_as_a_form_error(world, page_client):
    # given a credit change already waiting for approval
    BrandSettings.objects.update(credit_change_approval_threshold=Decimal("10"))
    client = page_client(world.finance)
    client.post(
        url(world.dist_js, "credit/"),
        {"credit_limit": "500", "currency": "CNY", "payment_terms_days": "0", "reason": "a"},
    )

    # when finance files a second one
    response = client.post(
        url(world.dist_js, "credit/"),
        {"credit_limit": "900", "currency": "CNY", "payment_terms_days": "0", "reason": "b"},
    )

    # then it is refused with the service's message, and only one change exists
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "A credit change for this partner is already waiting for approval."
    ]
    assert CreditTermsChange.objects.filter(partner=world.dist_js).count() == 1


# --- parent ------------------------------------------------------------------------------------


def test_it_detaches_and_reattaches_a_sub_dealer(world, page_client):
    client = page_client(world.channel)

    detached = client.post(url(world.sub_js, "parent/"), {"parent": ""})
    assert detached.status_code == 302
    assert Partner.objects.get(pk=world.sub_js.pk).parent_id is None

    attached = client.post(url(world.sub_js, "parent/"), {"parent": world.dist_js.code})
    assert attached.status_code == 302
    partner = Partner.objects.get(pk=world.sub_js.pk)
    assert (partner.parent_id, partner.path) == (world.dist_js.pk, f"/{world.dist_js.pk}/{world.sub_js.pk}/")


@pytest.mark.parametrize(
    ("partner_key", "parent", "message"),
    [
        ("dist_js", "sub_js", "Only a distributor can have sub-dealers."),
        ("dealer_zj", "dist_js", "金陵商贸 does not cover the region Zhejiang Hangzhou."),
        ("dealer_zj", "NOPE", "Unknown parent distributor: NOPE."),
    ],
)
def test_it_shows_the_hierarchy_rules_at_the_parent_field(world, page_client, partner_key, parent, message):
    partner = world.partners[partner_key]
    before = snapshot(partner)
    code = world.partners[parent].code if parent in world.partners else parent

    response = page_client(world.admin).post(url(partner, "parent/"), {"parent": code})

    assert response.status_code == 200
    assert response.context["form"].errors == {"parent": [message]}
    assert snapshot(partner) == before


# --- contacts ----------------------------------------------------------------------------------


def test_it_adds_edits_and_deletes_a_contact(world, page_client):
    client = page_client(world.regional_js)

    added = client.post(url(world.sub_js, "contacts/new/"), {"name": "陈静", "role": "店长", "mobile": "139 1234 5678"})
    contact = PartnerContact.objects.get(partner=world.sub_js)
    edited = client.post(url(world.sub_js, f"contacts/{contact.pk}/"), {"name": "陈静", "email": "chen@example.cn"})
    contact.refresh_from_db()
    after_edit = (contact.name, contact.mobile, contact.email)
    deleted = client.post(url(world.sub_js, f"contacts/{contact.pk}/delete/"))

    assert (added.status_code, edited.status_code, deleted.status_code) == (302, 302, 302)
    assert added.url == url(world.sub_js) + "#panel-contacts"
    assert after_edit == ("陈静", "", "chen@example.cn")
    assert not PartnerContact.objects.filter(partner=world.sub_js).exists()


def test_it_shows_contact_errors_at_their_fields(world, page_client):
    response = page_client(world.admin).post(url(world.sub_js, "contacts/new/"), {"name": "", "mobile": "12345"})

    assert response.context["form"].errors == {
        "name": ["This field is required."],
        "mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
    }
    assert not PartnerContact.objects.filter(partner=world.sub_js).exists()


def test_it_answers_404_for_another_partners_contact(world, page_client):
    # given a contact of the Zhejiang dealer
    contact = PartnerContact.objects.create(partner=world.dealer_zj, name="李娜", mobile="13700000000")

    # when it is edited or deleted through the Jiangsu distributor's page
    client = page_client(world.admin)
    edit = client.post(url(world.dist_js, f"contacts/{contact.pk}/"), {"name": "x", "mobile": "13700000001"})
    delete = client.post(url(world.dist_js, f"contacts/{contact.pk}/delete/"))

    # then both answer 404 and the contact is untouched
    assert (edit.status_code, delete.status_code) == (404, 404)
    assert PartnerContact.objects.filter(pk=contact.pk, name="李娜", mobile="13700000000").exists()


def test_it_deletes_contacts_only_by_post(world, page_client):
    contact = PartnerContact.objects.create(partner=world.dist_js, name="周明", mobile="13800000001")

    response = page_client(world.admin).get(url(world.dist_js, f"contacts/{contact.pk}/delete/"))

    assert response.status_code == 405
    assert PartnerContact.objects.filter(pk=contact.pk).exists()


# --- create ------------------------------------------------------------------------------------


def test_it_creates_a_partner_with_its_first_contact(world, page_client, uscc):
    from qudao.catalog.models import ProductLine

    ProductLine.objects.create(code="ac", name="空调")
    ProductLine.objects.create(code="fridge", name="冰箱")
    response = page_client(world.channel).post(
        "/partners/new/",
        {
            "partner_type": "dealer",
            "legal_name": "无锡太湖电器有限公司",
            "short_name": "太湖电器",
            "credit_code": uscc(77),
            "region": "320100",
            "tier": "registered",
            "parent_code": world.dist_js.code,
            "channel_manager": "channel",
            "product_lines": ["空调", "冰箱"],  # the multi-select of the catalogue's lines
            "contact_name": "钱进",
            "contact_mobile": "13955556666",
        },
    )

    partner = Partner.objects.get(legal_name="无锡太湖电器有限公司")
    assert response.status_code == 302
    assert response.url == url(partner)
    assert (partner.parent_id, partner.tier.code, partner.channel_manager, partner.product_lines) == (
        world.dist_js.pk,
        "registered",
        world.channel,
        ["冰箱", "空调"],
    )
    assert list(partner.contacts.values_list("name", "mobile", "is_primary")) == [("钱进", "13955556666", True)]


def test_it_shows_the_partners_and_the_contacts_errors_together(world, page_client):
    count = Partner.objects.count()

    response = page_client(world.channel).post(
        "/partners/new/",
        {
            "partner_type": "dealer",
            "legal_name": "坏数据公司",
            "credit_code": "123",
            "region": "320100",
            "tier": "registered",
            "contact_name": "钱进",
            "contact_mobile": "555",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "credit_code": ["Not a valid unified social credit code (18 characters, check character)."],
        "contact_mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
    }
    assert Partner.objects.count() == count


@pytest.mark.parametrize("persona", ["regional_js", "finance", "sales"])
def test_it_refuses_the_create_form_without_the_role(world, page_client, persona):
    assert page_client(world.users[persona]).get("/partners/new/").status_code == 403


def test_it_links_approval_requests_only_for_users_who_may_open_them(world, page_client):
    # given a large credit increase for the distributor (decided by the channel manager, then admin)
    change = services.request_credit_change(
        partner=world.dist_js, credit_limit=Decimal("500000"), payment_terms_days=30, reason="扩大", actor=world.finance
    )
    link = f'<a href="/approvals/{change.approval_id}/">{change.approval.number}</a>'

    # then the approvals panel links it for the submitter and the approver, not for the regional manager
    for persona, linked in (("finance", True), ("channel", True), ("regional_js", False)):
        content = page_client(world.users[persona]).get(url(world.dist_js)).content.decode()
        assert content.count('data-testid="partner-approval"') == 1
        assert (link in content) is linked


def test_the_partner_form_offers_the_catalogues_product_lines_as_a_multi_select(world, page_client):
    from qudao.catalog.models import ProductLine
    from qudao.core import choices

    # given: the catalogue's lines (registered in core.choices by the catalogue, not imported here)
    kitchen = ProductLine.objects.create(code="kitchen", name="厨房电器")
    ProductLine.objects.create(code="hoods", name="油烟机", parent=kitchen)
    ProductLine.objects.create(code="old", name="停售线", is_active=False)
    assert choices.registered("product_lines")
    partner = world.dist_js
    Partner.objects.filter(pk=partner.pk).update(product_lines=["油烟机", "旧名称"])
    client = page_client(world.channel)
    # when: the edit form
    html = client.get(url(partner, "edit/")).content.decode()
    # then: a labelled multi-select of active lines, the partner's lines ticked, an old name kept
    assert 'data-testid="multi-product_lines"' in html
    assert 'value="厨房电器" id=' in html and "厨房电器 › 油烟机" in html and "停售线" not in html
    assert 'value="油烟机" checked' in html and 'value="旧名称" checked' in html
    assert "厨房电器 › 油烟机、旧名称</summary>" in html
    # when: a line that is not offered is posted, the field says so and nothing changes
    form = {
        "partner_type": partner.partner_type,
        "legal_name": partner.legal_name,
        "region": partner.region.code,
        "product_lines": ["厨房电器", "停售线"],
    }
    with translation.override("en"):
        response = client.post(url(partner, "edit/"), form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 422)
    assert "Select a valid choice." in response.content.decode()
    partner.refresh_from_db()
    assert partner.product_lines == ["油烟机", "旧名称"]
    # when: lines are ticked, they are saved by name
    response = client.post(url(partner, "edit/"), form | {"product_lines": ["厨房电器", "旧名称"]})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.product_lines == ["厨房电器", "旧名称"]
