"""The partner portal: who gets in, and each partner user sees exactly its own data."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core import approvals
from qudao.partners import services
from qudao.partners.models import Partner, PartnerApplication, PartnerContact

PORTAL_PAGES = ["/portal/", "/portal/profile/", "/portal/users/", "/portal/sub-dealers/", "/portal/applications/"]


@pytest.fixture(autouse=True)
def _english(settings):
    # Exact messages are asserted in the English source text (translations come and go).
    settings.LANGUAGE_CODE = "en"


def codes(page) -> list[str]:
    return [partner.code for partner in page.object_list]


# --- who gets in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PORTAL_PAGES + ["/portal/profile/edit/"])
def test_it_sends_anonymous_visitors_to_the_login_page(world, page_client, url):
    # when an anonymous visitor opens a portal page
    response = page_client().get(url)

    # then it is asked to log in first
    assert response.status_code == 302
    assert response.url == f"/login/?next={url}"


@pytest.mark.parametrize("persona", ["admin", "channel", "regional_js", "finance", "sales"])
@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_it_sends_hq_users_to_their_home_page(world, page_client, persona, url):
    # when an HQ user opens a portal page
    response = page_client(world.users[persona]).get(url)

    # then it is sent to the HQ home page
    assert response.status_code == 302
    assert response.url == "/"


@pytest.mark.parametrize(
    ("persona", "partner_key"),
    [("dist_admin", "dist_js"), ("dist_staff", "dist_js"), ("sub_admin", "sub_js"), ("zj_admin", "dealer_zj")],
)
def test_it_shows_each_partner_user_its_own_profile(world, page_client, persona, partner_key):
    # given a partner user
    partner = world.partners[partner_key]

    # when it opens its profile (from "me")
    response = page_client(world.users[persona]).get("/portal/profile/")

    # then it sees its own partner, with its credit terms read-only
    assert response.status_code == 200
    assert response.context["partner"].pk == partner.pk
    content = response.content.decode()
    assert f'data-testid="partner-name">{partner.legal_name}<' in content
    assert f'data-testid="profile-code">{partner.code}<' in content
    assert 'data-testid="credit-limit">CNY 0.00<' in content
    others = [p for key, p in world.partners.items() if key != partner_key]
    for other in others:
        assert other.legal_name not in content
        assert other.code not in content


def test_it_shows_a_dealer_its_parent_distributor(world, page_client):
    # when sub_admin opens its profile
    content = page_client(world.sub_admin).get("/portal/profile/").content.decode()

    # then its distributor is named (not linked: the dealer cannot open it)
    assert 'data-testid="profile-parent">金陵商贸<' in content
    assert f"/portal/sub-dealers/{world.dist_js.pk}/" not in content


def test_it_shows_the_edit_button_and_the_recruiting_link_by_role(world, page_client):
    # when the distributor's admin, its staff, and a dealer's admin open their profiles
    admin = page_client(world.dist_admin).get("/portal/profile/").content.decode()
    staff = page_client(world.dist_staff).get("/portal/profile/").content.decode()
    dealer = page_client(world.zj_admin).get("/portal/profile/").content.decode()

    # then only admins may edit; only the distributor recruits, with a link naming itself
    assert 'data-testid="edit-profile"' in admin
    assert 'data-testid="edit-profile"' not in staff
    assert 'data-testid="edit-profile"' in dealer
    recruit = f'href="/apply/?parent={world.dist_js.pk}" data-testid="recruit-link"'
    assert recruit in admin
    assert recruit in staff
    assert 'data-testid="recruit-link"' not in dealer
    assert f'value="http://testserver/apply/?parent={world.dist_js.pk}"' in admin


# --- sub-dealers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("dist_admin", ["sub_js"]), ("dist_staff", ["sub_js"]), ("sub_admin", []), ("zj_admin", [])],
)
def test_it_lists_exactly_the_sub_dealers_below_the_partner(world, page_client, persona, expected):
    # when a partner user opens its sub-dealers
    response = page_client(world.users[persona]).get("/portal/sub-dealers/")

    # then it sees the partners below its own, and nobody else
    assert response.status_code == 200
    assert codes(response.context["page"]) == [world.partners[key].code for key in expected]
    content = response.content.decode()
    assert content.count('data-testid="sub-dealer-row"') == len(expected)


def test_it_explains_to_a_dealer_why_it_has_no_sub_dealers(world, page_client):
    # when a dealer opens the sub-dealers page
    response = page_client(world.sub_admin).get("/portal/sub-dealers/")

    # then it gets an explanation instead of a list, and no recruiting link
    content = response.content.decode()
    assert response.context["is_distributor"] is False
    assert 'data-testid="empty-state"' in content
    assert "Only a distributor has sub-dealers." in content
    assert 'data-testid="recruit-link"' not in content


def test_it_lists_sub_dealers_to_any_depth(world, page_client):
    # given a second-level distributor under dist_js, with a dealer of its own
    middle = services.create_partner(
        data={
            "partner_type": "distributor",
            "legal_name": "无锡梁溪商贸有限公司",
            "region": "320200",
            "parent": world.dist_js.pk,
        }
    )
    bottom = services.create_partner(
        data={
            "partner_type": "dealer",
            "legal_name": "江阴澄江电器商店",
            "region": "320200",
            "parent": middle.pk,
        }
    )

    # when dist_admin and the middle distributor's view are compared
    response = page_client(world.dist_admin).get("/portal/sub-dealers/")

    # then dist_admin sees all three partners below it, the deepest one shown under its parent
    assert sorted(codes(response.context["page"])) == sorted([world.sub_js.code, middle.code, bottom.code])
    assert "无锡梁溪商贸有限公司" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("姑苏", ["sub_js"]), ("西湖", []), ("金陵", []), ("", ["sub_js"])],
)
def test_it_searches_only_among_the_sub_dealers(world, page_client, query, expected):
    # when dist_admin searches its sub-dealers (西湖 is dealer_zj, 金陵 is dist_js itself)
    response = page_client(world.dist_admin).get("/portal/sub-dealers/", {"q": query})

    # then only matching sub-dealers come back
    assert codes(response.context["page"]) == [world.partners[key].code for key in expected]


def test_it_answers_the_results_alone_to_an_htmx_search(world, page_client):
    # when the search box asks (htmx) for results
    response = page_client(world.dist_admin).get(
        "/portal/sub-dealers/", {"q": "姑苏"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sub-dealer-results"
    )

    # then only the results fragment comes back
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.count('data-testid="sub-dealer-row"') == 1


def test_it_shows_a_sub_dealer_to_its_distributor(world, page_client):
    # when dist_staff opens sub_js
    response = page_client(world.dist_staff).get(f"/portal/sub-dealers/{world.sub_js.pk}/")

    # then it sees its read-only profile
    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-testid="sub-dealer-name">{world.sub_js.legal_name}<' in content
    assert f'data-testid="sub-dealer-code">{world.sub_js.code}<' in content
    assert "<form" not in content.split('data-testid="sub-dealer"')[1]


@pytest.mark.parametrize(
    ("persona", "target"),
    [("zj_admin", "sub_js"), ("sub_admin", "dist_js"), ("dist_admin", "dealer_zj"), ("dist_staff", "dealer_zj")],
)
def test_it_answers_404_for_another_partners_record(world, page_client, persona, target):
    # when a partner user opens a partner outside its scope
    response = page_client(world.users[persona]).get(f"/portal/sub-dealers/{world.partners[target].pk}/")

    # then the answer is 404, as if it did not exist
    assert response.status_code == 404


def test_it_answers_404_for_a_partner_that_does_not_exist(world, page_client):
    assert page_client(world.dist_admin).get("/portal/sub-dealers/999999/").status_code == 404


def test_it_sends_a_partner_opening_itself_as_a_sub_dealer_to_its_profile(world, page_client):
    response = page_client(world.dist_admin).get(f"/portal/sub-dealers/{world.dist_js.pk}/")
    assert response.status_code == 302
    assert response.url == "/portal/profile/"


# --- applications ---------------------------------------------------------------------------------


def _apply(uscc, seed, **data) -> PartnerApplication:
    values = {
        "partner_type": "dealer",
        "legal_name": f"申请公司{seed}",
        "credit_code": uscc(seed),
        "region": "320500",
        "contact_name": "李娜",
        "contact_mobile": f"1370000{seed:04d}",
        "contact_email": f"apply{seed}@example.cn",
    }
    values.update(data)
    return services.submit_application(
        data=values, licence=SimpleUploadedFile("licence.pdf", b"%PDF-1.4 licence", content_type="application/pdf")
    )


def test_it_lists_the_applications_made_under_a_distributor(world, page_client, uscc):
    # given one application under dist_js and one directly to the brand
    under = _apply(uscc, 601, parent=world.dist_js.pk)
    _apply(uscc, 602)

    # when the partner users open their applications
    dist_admin = page_client(world.dist_admin).get("/portal/applications/")
    dist_staff = page_client(world.dist_staff).get("/portal/applications/")
    zj_admin = page_client(world.zj_admin).get("/portal/applications/")

    # then only dist_js's users see the one made under it, with its status
    assert [a.number for a in dist_admin.context["page"]] == [under.number]
    assert [a.number for a in dist_staff.context["page"]] == [under.number]
    assert list(zj_admin.context["page"]) == []
    content = dist_admin.content.decode()
    assert content.count('data-testid="application-row"') == 1
    assert 'data-testid="application-status">In review<' in content


def test_it_shows_an_approved_partner_its_own_application(world, page_client, uscc):
    # given an application approved by the channel manager
    application = _apply(uscc, 603)
    approvals.decide(request_id=application.approval_id, actor=world.channel, decision="approve")
    application.refresh_from_db()

    # when its new administrator logs in to the portal
    response = page_client(application.admin_user).get("/portal/applications/")

    # then it sees its own application, approved
    assert [a.number for a in response.context["page"]] == [application.number]
    assert 'data-testid="application-status">Approved<' in response.content.decode()
    home = page_client(application.admin_user).get("/portal/")
    assert home.context["partner"].pk == application.partner_id


# --- profile --------------------------------------------------------------------------------------


def test_it_lets_the_partner_admin_edit_address_invoice_and_bank_only(world, page_client):
    # given dist_admin
    client = page_client(world.dist_admin)

    # when it saves new details, also posting a new legal name and credit limit
    response = client.post(
        "/portal/profile/edit/",
        {
            "address": "南京市鼓楼区中山北路 1 号",
            "invoice_title": "南京金陵商贸有限公司",
            "invoice_address_phone": "南京市鼓楼区中山北路 1 号 025-88888888",
            "bank_name": "中国工商银行南京鼓楼支行",
            "bank_account": "4301 0123 4567 8901",
            "legal_name": "改名公司",
            "credit_limit": "99999999",
        },
    )

    # then the details are saved and nothing else changed
    assert response.status_code == 302
    assert response.url == "/portal/profile/edit/"
    partner = Partner.objects.get(pk=world.dist_js.pk)
    assert partner.address == "南京市鼓楼区中山北路 1 号"
    assert partner.invoice_title == "南京金陵商贸有限公司"
    assert partner.bank_name == "中国工商银行南京鼓楼支行"
    assert partner.bank_account == "4301 0123 4567 8901"
    assert partner.legal_name == "南京金陵商贸有限公司"
    assert str(partner.credit_limit) == "0.0000"


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_refuses_the_profile_form_to_partner_staff(world, page_client, method):
    # when dist_staff opens or posts the profile form
    response = getattr(page_client(world.dist_staff), method)(
        "/portal/profile/edit/", {"address": "员工改的地址"} if method == "post" else None
    )

    # then it is refused and nothing changed
    assert response.status_code == 403
    assert Partner.objects.get(pk=world.dist_js.pk).address == ""


def test_it_adds_and_edits_contacts_of_the_own_partner(world, page_client):
    # given dist_admin
    client = page_client(world.dist_admin)

    # when it adds a contact
    response = client.post(
        "/portal/profile/contacts/add/",
        {
            "name": "陈静",
            "role": "采购",
            "mobile": "+86 139-1234-0001",
            "email": "chenjing@jinling.example.cn",
            "is_primary": "on",
        },
    )

    # then the contact is stored with a normalised mobile number
    assert response.status_code == 302
    contact = PartnerContact.objects.get(partner=world.dist_js)
    assert (contact.name, contact.role, contact.mobile, contact.is_primary) == ("陈静", "采购", "13912340001", True)

    # when it edits the contact
    response = client.post(
        f"/portal/profile/contacts/{contact.pk}/edit/",
        {
            "name": "陈静",
            "role": "财务",
            "mobile": "13912340001",
            "email": "",
        },
    )

    # then the change is stored
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.role, contact.email, contact.is_primary) == ("财务", "", False)


def test_it_shows_contact_errors_at_their_fields_and_saves_nothing(world, page_client):
    # when dist_admin adds a contact with a bad mobile number
    response = page_client(world.dist_admin).post("/portal/profile/contacts/add/", {"name": "陈静", "mobile": "12345"})

    # then the mobile field says so and no contact was made
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]
    }
    assert PartnerContact.objects.count() == 0


def test_it_answers_404_for_another_partners_contact(world, page_client):
    # given a contact of dealer_zj and one of dist_js's own sub-dealer
    zj_contact = services.add_contact(partner=world.dealer_zj, data={"name": "赵六", "mobile": "13500000001"})
    sub_contact = services.add_contact(partner=world.sub_js, data={"name": "钱七", "mobile": "13500000002"})

    # when dist_admin tries to edit or remove them
    client = page_client(world.dist_admin)
    responses = [
        client.post(f"/portal/profile/contacts/{zj_contact.pk}/edit/", {"name": "改了", "mobile": "13500000009"}),
        client.post(f"/portal/profile/contacts/{sub_contact.pk}/edit/", {"name": "改了", "mobile": "13500000009"}),
        client.post(f"/portal/profile/contacts/{zj_contact.pk}/delete/"),
    ]

    # then each answer is 404 and nothing changed
    assert [response.status_code for response in responses] == [404, 404, 404]
    assert sorted(PartnerContact.objects.values_list("name", "mobile")) == [
        ("赵六", "13500000001"),
        ("钱七", "13500000002"),
    ]


def test_it_refuses_contact_changes_to_partner_staff(world, page_client):
    # given a contact of dist_js
    contact = services.add_contact(partner=world.dist_js, data={"name": "陈静", "mobile": "13912340001"})
    client = page_client(world.dist_staff)

    # when dist_staff tries to add, edit and remove contacts
    responses = [
        client.post("/portal/profile/contacts/add/", {"name": "员工加的", "mobile": "13912340002"}),
        client.post(f"/portal/profile/contacts/{contact.pk}/edit/", {"name": "员工改的", "mobile": "13912340001"}),
        client.post(f"/portal/profile/contacts/{contact.pk}/delete/"),
    ]

    # then each is refused and nothing changed
    assert [response.status_code for response in responses] == [403, 403, 403]
    assert list(PartnerContact.objects.values_list("name", flat=True)) == ["陈静"]


def test_it_removes_a_contact(world, page_client):
    contact = services.add_contact(partner=world.dist_js, data={"name": "陈静", "mobile": "13912340001"})
    response = page_client(world.dist_admin).post(f"/portal/profile/contacts/{contact.pk}/delete/")
    assert response.status_code == 302
    assert PartnerContact.objects.count() == 0


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
def test_it_renders_every_portal_page_in_chinese(world, page_client, settings, language):
    # given a Chinese-speaking distributor admin
    settings.LANGUAGE_CODE = language
    client = page_client(world.dist_admin)
    urls = PORTAL_PAGES + ["/portal/profile/edit/", f"/portal/sub-dealers/{world.sub_js.pk}/", "/apply/"]

    # when it opens every page
    statuses = [client.get(url).status_code for url in urls]

    # then each renders
    assert statuses == [200] * len(urls)
    assert client.get("/portal/").headers["Content-Language"] == language
