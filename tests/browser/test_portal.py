"""The partner portal on a phone (375 px wide) in a real browser: a distributor's admin sees its
sub-dealer and never another partner; the language switch changes the page's language and the
choice follows the user to its next log-in."""

from __future__ import annotations

from playwright.sync_api import expect

from conftest import PASSWORD
from qudao.accounts.models import User

from .ui import assert_fits_phone, assert_no_partner_shown, login, partner_marks, texts


def test_it_shows_a_distributor_admin_its_sub_dealer_and_never_another_partner_on_a_phone(
    live_server, open_page, world
):
    # given the distributor dist_js with its sub-dealer sub_js, and dealer_zj, a partner of nobody's
    base = live_server.url
    dist, sub = world.dist_js, world.sub_js
    elsewhere = partner_marks([world.dealer_zj])
    phone = open_page("phone")

    # when the distributor's admin logs in on its phone
    login(phone, base, "dist_admin", PASSWORD)

    # then it lands on its home page, under its own partner's name
    assert phone.url == f"{base}/portal/"
    expect(phone.locator("[data-testid=partner-name]")).to_have_text("南京金陵商贸有限公司")
    expect(phone.locator("[data-testid=portal-home]")).to_be_visible()

    # and its profile ("me", then "our profile") shows its own partner, with one sub-dealer
    phone.click("[data-testid=nav-me]")
    phone.click("[data-testid=me-profile]")
    assert phone.url == f"{base}/portal/profile/"
    expect(phone.locator("[data-testid=partner-code]")).to_have_text(dist.code)
    expect(phone.locator("[data-testid=profile-region]")).to_have_text("Jiangsu Nanjing")
    expect(phone.locator("[data-testid=stat-sub-dealers] strong")).to_have_text("1")
    assert_fits_phone(phone)
    assert_no_partner_shown(phone, elsewhere)

    # when it opens its sub-dealers (from the "me" tab: the tab bar holds the five main sections)
    phone.click("[data-testid=nav-me]")
    phone.click("[data-testid=me-sub-dealers]")

    # then the list holds exactly its sub-dealer, row by row, cell by cell
    rows = phone.locator("[data-testid=sub-dealer-row]")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-code", sub.code)
    assert texts(phone, "[data-testid=sub-dealer-row] td") == [
        "苏州姑苏电器经营部",
        sub.code,
        "Dealer / reseller",
        "银牌",
        "Suzhou",
        "Us",
        "Active",
    ]
    expect(phone.locator("[data-testid=sub-dealer-count]")).to_have_text("1 sub-dealer")
    assert_fits_phone(phone)
    assert_no_partner_shown(phone, elsewhere)

    # when it searches for the other partner by name (htmx, as it types)
    phone.fill("#id_q", "西湖家电")

    # then nothing is found: the other partner is not in its network
    expect(phone.locator("[data-testid=empty-state]")).to_have_text("No sub-dealer matches “西湖家电”.")
    expect(rows).to_have_count(0)
    zj = world.dealer_zj
    assert_no_partner_shown(phone, {zj.code: [zj.legal_name, zj.code]})  # the short name typed is echoed back

    # when it searches for its sub-dealer and opens it
    phone.fill("#id_q", "姑苏")
    expect(rows).to_have_count(1)
    with phone.expect_navigation():
        phone.click("[data-testid=sub-dealer-link]")

    # then it sees the sub-dealer's record, under itself
    assert phone.url == f"{base}/portal/sub-dealers/{sub.pk}/"
    expect(phone.locator("[data-testid=sub-dealer-name]")).to_have_text("苏州姑苏电器经营部")
    expect(phone.locator("[data-testid=sub-dealer-code]")).to_have_text(sub.code)
    expect(phone.locator("[data-testid=partner-name]")).to_have_text("南京金陵商贸有限公司")
    assert_fits_phone(phone)
    assert_no_partner_shown(phone, elsewhere)

    # when it types the other partner's address into the browser
    response = phone.goto(f"{base}/portal/sub-dealers/{world.dealer_zj.pk}/")

    # then that partner does not exist for it
    assert response.status == 404
    assert_no_partner_shown(phone, elsewhere)

    # and its applications page lists none of the other partner's either
    phone.goto(f"{base}/portal/applications/")
    expect(phone.locator("[data-testid=empty-state]")).to_have_text("No applications.")
    assert_fits_phone(phone)
    assert_no_partner_shown(phone, elsewhere)


def test_it_switches_the_page_language_and_keeps_the_users_choice(live_server, open_page, world):
    base = live_server.url
    phone = open_page("phone")  # the browser asks for English

    # given a visitor on the public application page, in English
    phone.goto(f"{base}/apply/")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("#id_province option[value='320000']")).to_have_text("Jiangsu")

    # when it chooses Simplified Chinese in the language switch
    with phone.expect_navigation():
        phone.select_option("[data-testid=language-select]", "zh-hans")

    # then the same page comes back in Simplified Chinese
    assert phone.url == f"{base}/apply/"
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(phone.locator("#id_province option[value='320000']")).to_have_text("江苏省")
    expect(phone.locator("[data-testid=language-select] option:checked")).to_have_text("简体中文")
    assert_fits_phone(phone)

    # when the sub-dealer's admin logs in from that phone
    login(phone, base, "sub_admin", PASSWORD)

    # then its portal is in Simplified Chinese too
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(phone.locator("[data-testid=partner-name]")).to_have_text("苏州姑苏电器经营部")
    phone.goto(f"{base}/portal/profile/")  # the profile, from "me"
    expect(phone.locator("[data-testid=profile-region]")).to_have_text("江苏省 苏州市")

    # when it switches to Traditional Chinese (on its "me" tab)
    phone.click("[data-testid=nav-me]")
    with phone.expect_navigation():
        phone.select_option("[data-testid=language-select]", "zh-hant")

    # then the page comes back in Traditional Chinese, and the choice is saved on the user
    assert phone.url == f"{base}/portal/me/"
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hant")
    phone.click("[data-testid=nav-me]")
    phone.click("[data-testid=me-profile]")
    expect(phone.locator("[data-testid=profile-region]")).to_have_text("江蘇省 蘇州市")
    assert_fits_phone(phone)
    assert User.objects.get(username="sub_admin").language == "zh-hant"

    # when it logs in later from another device whose browser asks for English
    other_device = open_page("phone")
    login(other_device, base, "sub_admin", PASSWORD)

    # then its own choice wins over the browser's
    expect(other_device.locator("html")).to_have_attribute("lang", "zh-hant")
    other_device.goto(f"{base}/portal/profile/")  # the profile, from "me"
    expect(other_device.locator("[data-testid=profile-region]")).to_have_text("江蘇省 蘇州市")

    # when it switches to English there
    other_device.click("[data-testid=nav-me]")
    with other_device.expect_navigation():
        other_device.select_option("[data-testid=language-select]", "en")

    # then the page is in English
    expect(other_device.locator("html")).to_have_attribute("lang", "en")
    expect(other_device.locator("[data-testid=nav-home]")).to_have_text("Home")
    other_device.click("[data-testid=nav-me]")
    other_device.click("[data-testid=me-profile]")
    expect(other_device.locator("[data-testid=profile-region]")).to_have_text("Jiangsu Suzhou")
    assert User.objects.get(username="sub_admin").language == "en"
