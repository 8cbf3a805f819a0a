"""The public application pages: /apply/, the htmx option lists and the status page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qudao.core import approvals
from qudao.core.models import ApprovalRequest
from qudao.partners.models import PartnerApplication


@pytest.fixture(autouse=True)
def _english(settings):
    # Exact messages are asserted in the English source text (translations come and go).
    settings.LANGUAGE_CODE = "en"


PDF = b"%PDF-1.4\n% a business licence\n"
APPLY_URL = "/apply/"


def licence(name="licence.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def form_data(uscc, **overrides):
    data = {
        "partner_type": "dealer",
        "legal_name": "苏州吴中家电销售有限公司",
        "short_name": "吴中家电",
        "credit_code": uscc(501),
        "province": "320000",
        "city": "320500",
        "address": "苏州市吴中区东吴北路 88 号",
        "product_lines": "空调, 冰箱",
        "parent": "",
        "contact_name": "王磊",
        "contact_mobile": "13912345678",
        "contact_email": "wanglei@wuzhong.example.cn",
        "message": "希望成为贵品牌在苏州的经销商。",
        "licence": licence(),
    }
    data.update(overrides)
    return data


def counts():
    return PartnerApplication.objects.count(), ApprovalRequest.objects.count()


def submit(client, data, url=APPLY_URL):
    return client.post(url, data)


# --- the form -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_renders_the_application_form_to_anyone():
    # given an anonymous visitor
    client = Client()

    # when it opens the application page
    response = client.get(APPLY_URL)

    # then the form is shown with the provinces to choose from and nothing else is selected
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "partner_type",
        "legal_name",
        "short_name",
        "credit_code",
        "province",
        "city",
        "address",
        "product_lines",
        "parent",
        "contact_name",
        "contact_mobile",
        "contact_email",
        "licence",
        "message",
    ]
    assert ("320000", "Jiangsu") in form.fields["province"].choices
    assert len(form.fields["province"].choices) == 35  # the empty choice + 34 provinces
    assert form.fields["city"].choices == [("", "— the whole province —")]
    content = response.content.decode()
    assert 'data-testid="apply-form"' in content
    assert 'enctype="multipart/form-data"' in content
    assert 'hx-get="/apply/cities/"' in content


@pytest.mark.django_db
def test_it_lists_a_provinces_cities_as_options():
    # given Jiangsu, seeded with its 13 prefecture-level cities
    client = Client()

    # when the city list is asked for (htmx)
    response = client.get("/apply/cities/", {"province": "320000"})

    # then it answers the <option>s: a prompt and the 13 cities
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<option") == 14
    assert '<option value="" selected>Choose a city…</option>' in content
    assert '<option value="320100">Nanjing</option>' in content
    assert '<option value="320500">Suzhou</option>' in content
    assert "330100" not in content


@pytest.mark.django_db
def test_it_names_the_cities_in_the_visitors_language(settings):
    # given the default language, Simplified Chinese
    settings.LANGUAGE_CODE = "zh-hans"

    # when the city list is asked for
    content = Client().get("/apply/cities/", {"province": "320000"}).content.decode()

    # then the cities have their Chinese names
    assert '<option value="320100">南京市</option>' in content


@pytest.mark.django_db
def test_it_answers_a_single_option_for_an_unknown_province():
    # when the city list of a province that does not exist is asked for
    response = Client().get("/apply/cities/", {"province": "999999"})

    # then only the "whole province" option comes back
    assert response.status_code == 200
    assert response.content.decode().count("<option") == 1


def test_it_offers_the_distributors_covering_the_chosen_region(world):
    # given dist_js, a distributor whose territory is Jiangsu
    client = Client()

    # when an applicant in Suzhou (Jiangsu) and one in Hangzhou (Zhejiang) ask for distributors
    suzhou = client.get("/apply/distributors/", {"province": "320000", "city": "320500"}).content.decode()
    hangzhou = client.get("/apply/distributors/", {"province": "330000", "city": "330100"}).content.decode()

    # then dist_js is offered in Suzhou only, and dealers are never offered
    assert f'<option value="{world.dist_js.pk}">金陵商贸</option>' in suzhou
    assert suzhou.count("<option") == 2
    assert hangzhou.count("<option") == 1
    assert str(world.sub_js.pk) not in suzhou


# --- submitting -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_one_application_one_approval_and_one_email_then_shows_the_status(
    uscc, django_capture_on_commit_callbacks
):
    # given a complete, valid application
    client = Client()
    data = form_data(uscc)

    # when it is submitted
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, data)

    # then exactly one application and one approval request exist, one e-mail went to the contact
    assert counts() == (1, 1)
    application = PartnerApplication.objects.get()
    assert application.status == PartnerApplication.Status.SUBMITTED
    assert application.legal_name == "苏州吴中家电销售有限公司"
    assert application.credit_code == uscc(501)
    assert application.region.code == "320500"
    assert application.product_lines == ["空调", "冰箱"]
    assert application.contact_mobile == "13912345678"
    assert application.parent is None
    approval = ApprovalRequest.objects.get()
    assert (approval.subject_kind, approval.subject_id, approval.status) == (
        "partner_application",
        str(application.pk),
        ApprovalRequest.Status.PENDING,
    )
    assert application.approval_id == approval.pk
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["wanglei@wuzhong.example.cn"]
    assert application.number in mail.outbox[0].subject
    # and the applicant is sent to its private status page, with a success message and the number
    assert response.status_code == 302
    assert response.url == f"/apply/status/{application.access_token}/"
    page = client.get(response.url)
    assert page.status_code == 200
    content = page.content.decode()
    assert f'data-testid="application-number">{application.number}<' in content
    assert [str(message) for message in page.context["messages"]] == [
        f"Thank you. Your application {application.number} was received. Keep this page's address: "
        "it shows the progress of your application."
    ]
    assert page["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize(
    ("case", "overrides", "field"),
    [
        ("bad_check_character", {"credit_code": "91320100MA00000501"}, "credit_code"),
        ("bad_mobile", {"contact_mobile": "1234567"}, "contact_mobile"),
        ("bad_email", {"contact_email": "not-an-address"}, "contact_email"),
        ("no_legal_name", {"legal_name": "  "}, "legal_name"),
        ("no_partner_type", {"partner_type": ""}, "partner_type"),
    ],
)
@pytest.mark.django_db
def test_it_shows_bad_input_at_its_field_and_saves_nothing(case, overrides, field, uscc):
    # given an application with one wrong field
    data = form_data(uscc, **overrides)

    # when it is submitted
    response = submit(Client(), data)

    # then the page comes back with the error at that field only, and nothing was written
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {field}
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert counts() == (0, 0)
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_refuses_a_pdf_that_is_not_a_pdf(uscc):
    # given a "licence.pdf" whose bytes are a text file
    data = form_data(uscc, licence=licence(content=b"just some text, not a PDF"))

    # when it is submitted
    response = submit(Client(), data)

    # then the licence field says so and nothing was written
    assert response.status_code == 200
    assert response.context["form"].errors == {"licence": ["The file is not a real PDF, JPG or PNG."]}
    assert counts() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_a_file_of_another_type(uscc):
    # given a Word document
    data = form_data(uscc, licence=licence(name="licence.docx", content=b"PK\x03\x04 word"))

    # when it is submitted
    response = submit(Client(), data)

    # then the licence field says which types are accepted, and nothing was written
    assert response.context["form"].errors == {"licence": ["Upload a PDF, JPG or PNG file."]}
    assert counts() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_an_oversized_licence(uscc, settings):
    # given a brand that accepts licences of at most 16 bytes
    settings.LICENCE_UPLOAD_MAX_BYTES = 16
    data = form_data(uscc, licence=licence(content=PDF + b"x" * 100))

    # when a larger (genuine) PDF is submitted
    response = submit(Client(), data)

    # then the licence field is in error and nothing was written
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"licence"}
    assert response.context["form"].errors["licence"][0].startswith("The file is too large")
    assert counts() == (0, 0)


@pytest.mark.django_db
def test_it_requires_a_licence(uscc):
    # given an application without a licence scan
    data = form_data(uscc)
    del data["licence"]

    # when it is submitted
    response = submit(Client(), data)

    # then the licence field asks for it
    assert response.context["form"].errors == {"licence": ["Upload a scan of the business licence."]}
    assert counts() == (0, 0)


@pytest.mark.django_db
def test_it_shows_the_forms_and_the_services_errors_together(uscc):
    # given a province without its city, and a bad mobile number
    data = form_data(uscc, city="", contact_mobile="555")

    # when it is submitted
    response = submit(Client(), data)

    # then both fields are in error at once, and nothing was written
    assert response.context["form"].errors == {
        "city": ["Choose a city."],
        "contact_mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
    }
    assert counts() == (0, 0)


@pytest.mark.django_db
def test_it_refuses_a_second_open_application_with_the_same_credit_code(uscc, django_capture_on_commit_callbacks):
    # given an application in review
    with django_capture_on_commit_callbacks(execute=True):
        submit(Client(), form_data(uscc))
    mail.outbox.clear()

    # when another one with the same credit code is submitted
    response = submit(Client(), form_data(uscc, legal_name="另一家公司", contact_mobile="13700000000"))

    # then the credit code field says so; still one application, one approval, no e-mail
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "credit_code": ["An application with this credit code is already in review."]
    }
    assert counts() == (1, 1)
    assert mail.outbox == []


def test_it_refuses_the_credit_code_of_an_existing_partner(world):
    # given dist_js, a partner with its credit code
    data = form_data(lambda seed: world.dist_js.credit_code)

    # when somebody applies with it
    response = submit(Client(), data)

    # then the credit code field says so, and nothing was written
    assert response.context["form"].errors == {"credit_code": ["A partner with this credit code already exists."]}
    assert counts() == (0, 0)


# --- applying under a distributor -----------------------------------------------------------------


def test_it_applies_under_the_distributor_of_a_recruiting_link(world, uscc):
    # given the recruiting link of dist_js
    url = f"{APPLY_URL}?parent={world.dist_js.pk}"
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="apply-parent"' in page.content.decode()
    assert page.context["form"]["parent"].is_hidden

    # when a company in Suzhou applies through it
    response = client.post(url, form_data(uscc, parent=str(world.dist_js.pk)))

    # then the application is made under dist_js, and the approval request is linked to it
    assert response.status_code == 302
    application = PartnerApplication.objects.get()
    assert application.parent_id == world.dist_js.pk
    assert application.approval.partner_id == world.dist_js.pk


def test_it_refuses_a_parent_that_does_not_cover_the_region(world, uscc):
    # given the recruiting link of dist_js (territory: Jiangsu)
    url = f"{APPLY_URL}?parent={world.dist_js.pk}"

    # when a company in Hangzhou (Zhejiang) applies through it
    response = Client().post(url, form_data(uscc, province="330000", city="330100", parent=str(world.dist_js.pk)))

    # then the parent is refused and nothing was written
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"parent"}
    assert 'data-testid="error-parent"' in response.content.decode()
    assert counts() == (0, 0)


def test_it_ignores_a_recruiting_link_naming_a_dealer(world):
    # when the link names a dealer (not a distributor)
    response = Client().get(f"{APPLY_URL}?parent={world.sub_js.pk}")

    # then the page says so and offers the usual choice of distributor
    assert response.status_code == 200
    assert response.context["fixed_parent"] is None
    assert 'data-testid="apply-parent-unknown"' in response.content.decode()
    assert not response.context["form"]["parent"].is_hidden


# --- the status page ------------------------------------------------------------------------------


def _submitted(client, uscc, **overrides) -> PartnerApplication:
    response = submit(client, form_data(uscc, **overrides))
    assert response.status_code == 302
    return PartnerApplication.objects.get()


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_status_link():
    assert Client().get("/apply/status/not-a-token/").status_code == 404


def test_it_shows_the_reviewers_comment_and_resubmits_a_returned_application(world, uscc):
    # given an application returned by the channel manager
    client = Client()
    application = _submitted(client, uscc)
    approvals.decide(
        request_id=application.approval_id,
        actor=world.channel,
        decision="return",
        comment="营业执照扫描件不清晰，请重新上传。",
    )
    url = f"/apply/status/{application.access_token}/"

    # when the applicant opens its status page
    page = client.get(url)

    # then it shows the comment and a form filled with the application
    assert page.status_code == 200
    content = page.content.decode()
    assert 'data-testid="return-comment">营业执照扫描件不清晰，请重新上传。<' in content
    assert 'data-testid="resubmit-form"' in content
    form = page.context["form"]
    assert form.initial["legal_name"] == "苏州吴中家电销售有限公司"
    assert (form.initial["province"], form.initial["city"]) == ("320000", "320500")

    # when it changes the address, uploads a new scan and resubmits
    data = form_data(
        uscc, address="苏州市吴中区宝带西路 1 号", licence=licence(name="new.png", content=b"\x89PNG\r\n\x1a\n...")
    )
    response = client.post(url, data)

    # then the application is in review again, the request back at step 1 in round 2
    assert response.status_code == 302
    assert response.url == url
    application.refresh_from_db()
    assert application.status == PartnerApplication.Status.SUBMITTED
    assert application.address == "苏州市吴中区宝带西路 1 号"
    assert application.licence.name.endswith(".png")
    approval = ApprovalRequest.objects.get(pk=application.approval_id)
    assert approval.status == ApprovalRequest.Status.PENDING
    assert approval.current_step.sequence == 1
    assert approval.round == 2
    assert counts() == (1, 1)
    assert [str(m) for m in client.get(url).context["messages"]] == [
        f"Your application {application.number} was resubmitted for review."
    ]


def test_it_keeps_a_returned_application_unchanged_when_the_resubmission_is_wrong(world, uscc):
    # given a returned application
    client = Client()
    application = _submitted(client, uscc)
    approvals.decide(request_id=application.approval_id, actor=world.channel, decision="return", comment="请补充地址")
    url = f"/apply/status/{application.access_token}/"

    # when the applicant resubmits it with a bad mobile number (and no new licence)
    data = form_data(uscc, contact_mobile="12", address="新地址")
    del data["licence"]
    response = client.post(url, data)

    # then the error is at the mobile field and nothing changed
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "contact_mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."]
    }
    application.refresh_from_db()
    assert (application.status, application.address) == (
        PartnerApplication.Status.RETURNED,
        "苏州市吴中区东吴北路 88 号",
    )
    approval = ApprovalRequest.objects.get(pk=application.approval_id)
    assert (approval.status, approval.round) == (ApprovalRequest.Status.RETURNED, 1)


def test_it_refuses_to_resubmit_an_application_in_review(world, uscc):
    # given an application in review
    client = Client()
    application = _submitted(client, uscc)
    url = f"/apply/status/{application.access_token}/"

    # when somebody posts a resubmission anyway
    response = client.post(url, form_data(uscc, legal_name="改过的名字"))

    # then nothing changes
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.legal_name == "苏州吴中家电销售有限公司"
    assert ApprovalRequest.objects.get().round == 1
    page = client.get(url)
    assert page.context["form"] is None
    assert page.context["current_step"].sequence == 1


def test_it_tells_an_approved_applicant_how_to_log_in(world, uscc):
    # given an approved application
    client = Client()
    application = _submitted(client, uscc)
    approvals.decide(request_id=application.approval_id, actor=world.channel, decision="approve")
    application.refresh_from_db()

    # when the applicant opens its status page
    page = client.get(f"/apply/status/{application.access_token}/")

    # then it shows the administrator's user name and where the password comes from
    content = page.content.decode()
    assert application.admin_user.username == f"{application.partner.code.lower()}-admin"
    assert f'data-testid="admin-username">{application.admin_user.username}<' in content
    assert "Set your password from the link e-mailed to you, then log in." in content
    assert page.context["form"] is None


def test_it_shows_the_reason_of_a_rejection(world, uscc):
    # given a rejected application
    client = Client()
    application = _submitted(client, uscc)
    approvals.decide(
        request_id=application.approval_id, actor=world.channel, decision="reject", comment="该区域经销商已饱和。"
    )

    # when the applicant opens its status page
    page = client.get(f"/apply/status/{application.access_token}/")

    # then the reason is shown, and no form
    assert 'data-testid="reject-reason">该区域经销商已饱和。<' in page.content.decode()
    assert page.context["form"] is None
