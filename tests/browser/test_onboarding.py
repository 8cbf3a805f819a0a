"""Onboarding in a real browser: a company applies on the public page (on a phone), HQ approves it
in two steps (the regional manager, then the channel manager), and the new partner's admin sets
its password from the e-mailed link, logs in and sees only its own data on a 375 px wide screen."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.core.models import ApprovalRequest
from qudao.partners.models import Partner, PartnerApplication

from .ui import assert_fits_phone, assert_no_partner_shown, login, partner_marks, texts, tiny_pdf

LEGAL_NAME = "无锡太湖机电贸易有限公司"
SHORT_NAME = "太湖机电"
MOBILE = "13951234567"
EMAIL = "zhou.min@taihu-jidian.example.cn"
NEW_PASSWORD = "Taihu-Portal-2026!"
FIRST_STEP, SECOND_STEP = "区域经理初审", "渠道经理终审"  # the default distributor flow's two steps


def apply_as_distributor(page, base_url: str, credit_code: str) -> None:
    page.goto(f"{base_url}/apply/")
    expect(page.locator("h1")).to_have_text("Apply to become a partner")
    assert_fits_phone(page)
    page.select_option("#id_partner_type", "distributor")
    page.fill("#id_legal_name", LEGAL_NAME)
    page.fill("#id_short_name", SHORT_NAME)
    page.fill("#id_credit_code", credit_code)
    page.fill("#id_product_lines", "空调, 冰箱")
    page.select_option("#id_province", "320000")
    # the cities of the province arrive through htmx
    expect(page.locator("#id_city option[value='320200']")).to_have_count(1)
    page.select_option("#id_city", "320200")
    page.fill("#id_address", "无锡市梁溪区人民中路 88 号")
    page.fill("#id_contact_name", "周敏")
    page.fill("#id_contact_mobile", MOBILE)
    page.fill("#id_contact_email", EMAIL)
    page.set_input_files("#id_licence", {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf()})
    page.fill("#id_message", "我们在无锡有三家门店。")
    assert_fits_phone(page)
    with page.expect_navigation():
        page.click("[data-testid=apply-submit]")


def decide_current_step(page, comment: str) -> None:
    page.check("input[name=decision][value=approve]")
    page.fill("#id_comment", comment)
    with page.expect_navigation():
        page.click("[data-testid=decision-form] button[type=submit]")


def test_it_takes_a_distributor_from_its_application_to_its_first_login_through_two_approval_steps(
    live_server, open_page, world, uscc
):
    base = live_server.url
    credit_code = uscc(501)
    marks = partner_marks(world.partners.values())  # the world's partners: none of them is this one's

    # --- 1. a company applies on the public page, on its phone --------------------------------------
    applicant = open_page("phone")
    apply_as_distributor(applicant, base, credit_code)

    # then it lands on its application's private status page, showing the number the system gave it
    application = PartnerApplication.objects.get(credit_code=credit_code)
    assert applicant.url == f"{base}/apply/status/{application.access_token}/"
    expect(applicant.locator("[data-testid=application-number]")).to_have_text(application.number)
    expect(applicant.locator("[data-testid=application-legal-name]")).to_have_text(LEGAL_NAME)
    expect(applicant.locator("[data-testid=application-status]")).to_have_text("In review")
    expect(applicant.locator("[data-testid=current-step]")).to_have_text(f"Current step: {FIRST_STEP}")
    expect(applicant.locator(".messages")).to_contain_text(f"Your application {application.number} was received.")
    assert_fits_phone(applicant)
    assert application.status == PartnerApplication.Status.SUBMITTED
    assert application.licence.read().startswith(b"%PDF-1.4")
    approval = ApprovalRequest.objects.get(pk=application.approval_id)
    status_url = applicant.url

    # --- 2a. the regional manager of Jiangsu approves the first step in the HQ console ---------------
    regional = open_page("desktop")
    login(regional, base, "regional_js", PASSWORD, next_path="/approvals/")
    expect(regional.locator("[data-testid=approvals-waiting]")).to_have_text("1")
    rows = regional.locator("[data-testid=approval-row]")
    expect(rows).to_have_count(1)
    expect(rows.locator("td").nth(0)).to_have_text(approval.number)
    expect(rows.locator("td").nth(1)).to_contain_text(LEGAL_NAME)
    expect(rows.locator("td").nth(2)).to_have_text(FIRST_STEP)
    with regional.expect_navigation():
        rows.locator("td").nth(0).locator("a").click()
    assert regional.url == f"{base}/approvals/{approval.pk}/"
    assert texts(regional, "[data-testid=approval-steps] .step-name") == [FIRST_STEP, SECOND_STEP]
    expect(regional.locator("[data-testid=current-step] .step-name")).to_have_text(FIRST_STEP)
    decide_current_step(regional, "营业执照与信用代码核对无误。")

    # then the request moves on to the channel manager, and the regional manager may decide no more
    expect(regional.locator(".messages")).to_have_text(
        f"{approval.number}: approved at this step; now at “{SECOND_STEP}”."
    )
    expect(regional.locator("[data-testid=current-step] .step-name")).to_have_text(SECOND_STEP)
    expect(regional.locator("[data-testid=decision-form]")).to_have_count(0)
    expect(regional.locator("[data-testid=approval-status]")).to_have_text("Pending")
    applicant.goto(status_url)
    expect(applicant.locator("[data-testid=current-step]")).to_have_text(f"Current step: {SECOND_STEP}")
    assert not Partner.objects.filter(credit_code=credit_code).exists()
    assert [m.subject for m in mail.outbox] == [f"Application {application.number} received"]

    # --- 2b. the channel manager gives the final approval from the application review page ----------
    channel = open_page("desktop")
    login(channel, base, "channel", PASSWORD, next_path="/applications/")
    row = channel.locator("[data-testid=application-row]", has_text=application.number)
    expect(row.locator("td").nth(5)).to_have_text(SECOND_STEP)
    with channel.expect_navigation():
        row.locator("a", has_text=application.number).click()
    assert channel.url == f"{base}/applications/{application.pk}/"
    expect(channel.locator("[data-testid=application-name]")).to_have_text(LEGAL_NAME)
    expect(channel.locator("[data-testid=licence-link]")).to_have_text(application.licence.name.rsplit("/", 1)[-1])
    expect(channel.locator("[data-testid=current-step] .step-name")).to_have_text(SECOND_STEP)
    decide_current_step(channel, "同意准入。")

    # then the application is approved, both decisions are on record, and the partner exists
    expect(channel.locator(".messages")).to_have_text(f"{approval.number}: Approved.")
    expect(channel.locator("[data-testid=application-status]")).to_have_text("Approved")
    expect(channel.locator("[data-testid=approval-status]")).to_have_text("Approved")
    decisions = channel.locator("[data-testid=decision]")
    expect(decisions).to_have_count(2)
    expect(decisions.nth(0)).to_contain_text(FIRST_STEP)
    expect(decisions.nth(0)).to_contain_text("regional_js")
    expect(decisions.nth(0).locator(".comment")).to_have_text("营业执照与信用代码核对无误。")
    expect(decisions.nth(1)).to_contain_text(SECOND_STEP)
    expect(decisions.nth(1)).to_contain_text("channel")
    expect(decisions.nth(1).locator(".comment")).to_have_text("同意准入。")
    application.refresh_from_db()
    partner = Partner.objects.get(credit_code=credit_code)
    assert (application.status, application.partner_id) == (PartnerApplication.Status.APPROVED, partner.pk)
    admin_username = application.admin_user.username

    # and the applicant's status page tells it its user name
    applicant.goto(status_url)
    expect(applicant.locator("[data-testid=application-status]")).to_have_text("Approved")
    expect(applicant.locator("[data-testid=admin-username]")).to_have_text(admin_username)
    assert_fits_phone(applicant)

    # --- 3. the new partner admin sets its password from the e-mailed link and logs in ---------------
    approved_mails = [m for m in mail.outbox if m.subject == f"Application {application.number} approved"]
    assert len(approved_mails) == 1
    assert [m.to for m in mail.outbox] == [[EMAIL], [EMAIL]]  # received, then approved: nothing else
    assert approved_mails[0].to == [EMAIL]
    assert f"Log in with the user name {admin_username}" in approved_mails[0].body
    link = re.search(r"http://testserver(/set-password/[^/\s]+/[^/\s]+/)", approved_mails[0].body).group(1)

    applicant.goto(base + link)
    expect(applicant.locator("main strong")).to_have_text(admin_username)
    assert_fits_phone(applicant)
    applicant.fill("#id_new_password1", NEW_PASSWORD)
    applicant.fill("#id_new_password2", NEW_PASSWORD)
    with applicant.expect_navigation():
        applicant.click("main form button[type=submit]")
    assert applicant.url == f"{base}/login/"
    expect(applicant.locator(".messages")).to_have_text("Your password is set. Log in with it now.")

    login(applicant, base, MOBILE, NEW_PASSWORD)  # the contact's mobile number works as a log-in

    # then it lands on its own portal's home page, and its profile (from "me") shows its own partner
    # only, on a 375 px wide screen
    assert applicant.url == f"{base}/portal/"
    assert_fits_phone(applicant)
    applicant.click("[data-testid=nav-me]")
    applicant.click("[data-testid=me-profile]")
    assert applicant.url == f"{base}/portal/profile/"
    expect(applicant.locator("[data-testid=partner-name]")).to_have_text(LEGAL_NAME)
    expect(applicant.locator("[data-testid=partner-code]")).to_have_text(partner.code)
    expect(applicant.locator("[data-testid=partner-status]")).to_have_text("Active")
    expect(applicant.locator("[data-testid=profile-type]")).to_have_text("Distributor")
    expect(applicant.locator("[data-testid=profile-region]")).to_have_text("Jiangsu Wuxi")
    expect(applicant.locator("[data-testid=stat-sub-dealers] strong")).to_have_text("0")
    assert_fits_phone(applicant)
    assert_no_partner_shown(applicant, marks)

    applicant.click("[data-testid=nav-me]")
    applicant.click("[data-testid=me-users]")
    expect(applicant.locator("[data-testid=user-row]")).to_have_count(1)
    expect(applicant.locator("[data-testid=user-row]")).to_have_attribute("data-username", admin_username)
    assert_fits_phone(applicant)
    assert_no_partner_shown(applicant, marks)

    applicant.click("[data-testid=nav-me]")
    applicant.click("[data-testid=me-sub-dealers]")
    expect(applicant.locator("[data-testid=empty-state]")).to_contain_text("You have no sub-dealers yet.")
    expect(applicant.locator("[data-testid=sub-dealer-row]")).to_have_count(0)
    assert_fits_phone(applicant)
    assert_no_partner_shown(applicant, marks)

    applicant.click("[data-testid=nav-me]")
    applicant.click("[data-testid=me-applications]")
    expect(applicant.locator("[data-testid=application-row]")).to_have_count(1)
    expect(applicant.locator("[data-testid=application-row]")).to_have_attribute("data-number", application.number)
    expect(applicant.locator("[data-testid=application-row] [data-testid=application-status]")).to_have_text("Approved")
    assert_fits_phone(applicant)
    assert_no_partner_shown(applicant, marks)

    # and another partner's record is simply not there
    response = applicant.goto(f"{base}/portal/sub-dealers/{world.dist_js.pk}/")
    assert response.status == 404
    assert_no_partner_shown(applicant, marks)
