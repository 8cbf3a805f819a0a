"""The HQ review of partner applications: /applications/ and /applications/<id>/ (data, licence,
duplicates, the approval with its inline decision form)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import ApprovalDecision, ApprovalRequest
from qudao.partners import services
from qudao.partners.models import Partner, PartnerApplication, PartnerContact

PDF = b"%PDF-1.4\n% licence of a test applicant\n"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def apply(uscc, seed, **overrides) -> PartnerApplication:
    data = {
        "partner_type": "dealer",
        "legal_name": f"申请公司{seed}有限公司",
        "credit_code": uscc(seed),
        "region": "320500",
        "contact_name": "赵强",
        "contact_mobile": f"139{seed:08d}",
        "contact_email": f"apply{seed}@example.cn",
        "product_lines": ["空调"],
    }
    data.update(overrides)
    return services.submit_application(data=data, licence=SimpleUploadedFile("licence.pdf", PDF, "application/pdf"))


def row_numbers(response) -> list[str]:
    return re.findall(
        r'data-testid="application-row">\s*<td class="mono nowrap"><a [^>]+>([^<]+)<', response.content.decode()
    )


def test_it_lists_the_applications_a_reviewer_may_see(world, page_client, uscc):
    # given two applications in Jiangsu and one in Zhejiang
    suzhou = apply(uscc, 301)
    nanjing = apply(uscc, 302, region="320100", partner_type="distributor")
    hangzhou = apply(uscc, 303, region="330100")

    # when reviewers open the list
    channel = page_client(world.channel).get("/applications/")
    regional = page_client(world.regional_js).get("/applications/")

    # then the channel manager sees all three (newest first), the Jiangsu manager its two
    assert channel.status_code == regional.status_code == 200
    assert row_numbers(channel) == [hangzhou.number, nanjing.number, suzhou.number]
    assert row_numbers(regional) == [nanjing.number, suzhou.number]


def test_it_filters_applications_by_status_and_search(world, page_client, uscc):
    first = apply(uscc, 311)
    apply(uscc, 312, legal_name="常州龙城电器有限公司")
    PartnerApplication.objects.filter(pk=first.pk).update(status=PartnerApplication.Status.RETURNED)
    client = page_client(world.channel)

    assert row_numbers(client.get("/applications/?status=returned")) == [first.number]
    assert len(row_numbers(client.get("/applications/?q=龙城"))) == 1


@pytest.mark.parametrize("persona", ["finance", "operations", "sales"])
def test_it_refuses_the_review_pages_to_hq_users_without_the_role(world, page_client, uscc, persona):
    application = apply(uscc, 321)
    client = page_client(world.users[persona])

    assert client.get("/applications/").status_code == 403
    assert client.get(f"/applications/{application.pk}/").status_code == 403


def test_it_keeps_partner_users_out(world, page_client, uscc):
    application = apply(uscc, 322)
    client = page_client(world.dist_admin)

    assert client.get("/applications/").url == "/portal/"
    assert client.get(f"/applications/{application.pk}/").status_code == 404
    assert client.get(f"/applications/{application.pk}/licence/").status_code == 404


def test_it_answers_404_for_an_application_outside_the_reviewers_regions(world, page_client, uscc):
    application = apply(uscc, 323)  # Suzhou, Jiangsu

    client = page_client(world.regional_zj)

    assert client.get(f"/applications/{application.pk}/").status_code == 404
    assert client.get(f"/applications/{application.pk}/licence/").status_code == 404


def test_it_shows_the_application_and_serves_its_licence(world, page_client, uscc):
    application = apply(uscc, 331, short_name="申请", address="苏州市工业园区星湖街 1 号")
    client = page_client(world.regional_js)

    response = client.get(f"/applications/{application.pk}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="application-name">申请公司331有限公司<' in content
    for text in (application.credit_code, "苏州市工业园区星湖街 1 号", "赵强", "13900000331", "apply331@example.cn"):
        assert text in content
    assert f'href="/applications/{application.pk}/licence/"' in content
    assert "/media/" not in content  # never a public media URL
    assert 'data-testid="duplicates"' not in content

    licence = client.get(f"/applications/{application.pk}/licence/")
    assert licence.status_code == 200
    assert licence["Content-Type"] == "application/pdf"
    assert licence["Cache-Control"] == "private, no-store"
    assert b"".join(licence.streaming_content) == PDF


def test_it_highlights_duplicates_of_partners_and_applications(world, page_client, uscc):
    # given a contact of the distributor and an earlier application, both sharing the mobile
    PartnerContact.objects.create(partner=world.dist_js, name="赵强", mobile="13900000341")
    earlier = apply(uscc, 340, contact_mobile="13900000341")
    # and an applicant with the distributor's legal name and that mobile
    application = apply(uscc, 341, legal_name="南京金陵商贸有限公司", contact_mobile="13900000341")

    response = page_client(world.channel).get(f"/applications/{application.pk}/")

    # then both are listed, each with what matched
    content = response.content.decode()
    assert content.count('data-testid="duplicate"') == 2
    assert "Possible duplicates: 2 records look like this applicant" in content
    duplicates = {item["kind"]: item for item in response.context["duplicates"]}
    assert duplicates["partner"]["id"] == world.dist_js.pk
    assert [str(reason) for reason in duplicates["partner"]["reasons"]] == ["Same legal name", "Same contact mobile"]
    assert duplicates["application"]["id"] == earlier.pk
    assert [str(reason) for reason in duplicates["application"]["reasons"]] == ["Same contact mobile"]
    assert f'href="/partners/{world.dist_js.pk}/"' in content


def test_it_approves_an_application_from_its_page(world, page_client, uscc):
    # given a dealer application (one step: the channel manager)
    application = apply(uscc, 351)
    client = page_client(world.channel)
    page = client.get(f"/applications/{application.pk}/")
    assert 'data-testid="decision-form"' in page.content.decode()

    # when the channel manager approves it on the page
    response = client.post(
        f"/applications/{application.pk}/",
        {"decision": "approve", "comment": "", "expected_step_id": application.approval.current_step_id},
        follow=True,
    )

    # then the application is approved, the partner exists, and the page says so
    application.refresh_from_db()
    assert application.status == "approved"
    assert Partner.objects.filter(legal_name="申请公司351有限公司", pk=application.partner_id).exists()
    assert ApprovalRequest.objects.get(pk=application.approval_id).status == "approved"
    content = response.content.decode()
    assert f"{application.approval.number}: Approved." in content
    assert 'data-testid="decision-form"' not in content


def test_it_hides_the_decision_form_from_reviewers_not_at_the_current_step(world, page_client, uscc):
    # given a distributor application: the regional manager decides first
    application = apply(uscc, 361, partner_type="distributor", region="320100")

    channel = page_client(world.channel).get(f"/applications/{application.pk}/").content.decode()
    regional = page_client(world.regional_js).get(f"/applications/{application.pk}/").content.decode()

    assert 'data-testid="decision-form"' not in channel
    assert 'data-testid="decision-form"' in regional


def test_it_refuses_a_decision_posted_by_a_reviewer_who_may_not_decide(world, page_client, uscc):
    application = apply(uscc, 362, partner_type="distributor", region="320100")

    response = page_client(world.channel).post(
        f"/applications/{application.pk}/",
        {"decision": "approve", "expected_step_id": application.approval.current_step_id},
        follow=True,
    )

    assert "You are not an approver of this step." in response.content.decode()
    assert ApprovalDecision.objects.filter(request=application.approval).count() == 0
    assert PartnerApplication.objects.get(pk=application.pk).status == "submitted"
