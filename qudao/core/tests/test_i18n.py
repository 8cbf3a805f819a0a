"""Languages: zh-Hans (the default), zh-Hant and en, for pages, API problem details, notifications
and e-mails; and the translation catalogues themselves (complete, no fuzzy entries, placeholders
kept). The rest of the suite runs in English (settings_test pins LANGUAGE_CODE = "en"); these tests
set the language they need."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qudao.core.models import Notification
from qudao.partners import services
from qudao.partners.models import Partner, PartnerApplication

LOCALE_DIR = Path(django_settings.BASE_DIR) / "qudao" / "locale"
CHINESE = ("zh_Hans", "zh_Hant")
PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


def application_data(uscc, seed: int, **extra) -> dict:
    """A dealer applying directly to the brand: one step, the channel manager's."""
    return {
        "partner_type": "dealer",
        "legal_name": f"常州{seed}号电器商行",
        "credit_code": uscc(900 + seed),
        "region": "320500",
        "contact_name": "吴八",
        "contact_mobile": f"1360000{seed:04d}",
        "contact_email": f"wu{seed}@example.cn",
    } | extra


def problem_errors(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_simplified_chinese_by_default(settings):
    # given the shipped default language
    settings.LANGUAGE_CODE = "zh-hans"

    # when a browser that names no language opens the log-in page
    response = Client().get("/login/")

    # then the page is in Simplified Chinese
    content = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in content
    assert "<title>登录 · Qudao</title>" in content
    assert '<button type="submit" class="btn btn-primary btn-block">登录</button>' in content
    assert "还不是渠道伙伴？" in content
    assert "Log in" not in content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "language", "title", "button", "prompt"),
    [
        ("zh-Hant", "zh-hant", "登入", "登入", "還不是渠道夥伴？"),
        ("zh-TW,zh;q=0.9", "zh-hant", "登入", "登入", "還不是渠道夥伴？"),
        ("zh-HK", "zh-hant", "登入", "登入", "還不是渠道夥伴？"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans", "登录", "登录", "还不是渠道伙伴？"),
        ("en-US,en;q=0.9", "en", "Log in", "Log in", "Not a partner yet?"),
    ],
)
def test_an_anonymous_visitor_gets_the_browsers_language(settings, accept_language, language, title, button, prompt):
    # given the default language is Simplified Chinese
    settings.LANGUAGE_CODE = "zh-hans"

    # when a browser asks for another language
    response = Client().get("/login/", headers={"Accept-Language": accept_language})

    # then the page is in that language
    content = response.content.decode()
    assert response["Content-Language"] == language
    assert f"<title>{title} · Qudao</title>" in content
    assert f'<button type="submit" class="btn btn-primary btn-block">{button}</button>' in content
    assert prompt in content


def test_a_users_own_language_wins_over_the_browsers_on_pages(world, settings):
    # given a channel manager who chose Traditional Chinese, on an English browser
    settings.LANGUAGE_CODE = "zh-hans"
    world.channel.language = "zh-hant"
    world.channel.save()
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world.channel)

    # when it opens its notifications
    response = client.get("/notifications/")

    # then the page is in Traditional Chinese
    content = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hant"
    assert "<title>通知 · Qudao</title>" in content
    assert "暫無通知。" in content
    assert ">登出<" in content


def test_a_user_without_a_language_follows_the_browser(world, settings):
    # given a user who left its language empty
    settings.LANGUAGE_CODE = "zh-hans"
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world.channel)

    # when it opens its notifications with an English browser
    response = client.get("/notifications/")

    # then the page is in English
    assert response["Content-Language"] == "en"
    assert "<title>Notifications · Qudao</title>" in response.content.decode()


# --- API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("zh-hans", "部分字段无效。", "不是有效的统一社会信用代码（应为 18 位，且校验位正确）。"),
        ("zh-hant", "部分欄位無效。", "不是有效的統一社會信用代碼（應為 18 碼，且檢查碼正確）。"),
        (
            "en",
            "Some fields are not valid.",
            "Not a valid unified social credit code (18 characters, check character).",
        ),
    ],
)
def test_api_problem_details_speak_the_users_language(world, api_client, settings, uscc, language, title, message):
    # given an administrator with its own language, calling from an HTTP client that asks for another
    settings.LANGUAGE_CODE = "zh-hans"
    world.admin.language = language
    world.admin.save()
    client = api_client(world.admin)
    bad_code = uscc(77)[:-1] + ("0" if uscc(77)[-1] != "0" else "1")
    before = Partner.objects.count()

    # when it creates a partner with a wrong credit code
    response = client.post(
        "/api/v1/partners",
        {"partner_type": "dealer", "legal_name": "无锡新吴电器有限公司", "credit_code": bad_code, "region": "320500"},
        content_type="application/json",
        headers={"Accept-Language": "en" if language != "en" else "zh-Hant"},
    )

    # then the problem and its field message are in the user's language, and nothing was created
    assert response.status_code == 422
    assert response.json()["title"] == title
    assert problem_errors(response) == {"credit_code": [message]}
    assert response["Content-Language"] == language
    assert Partner.objects.count() == before


def test_api_problem_details_follow_the_browser_for_a_user_without_a_language(world, api_client, settings):
    # given an administrator who left its language empty
    settings.LANGUAGE_CODE = "en"
    client = api_client(world.admin)

    # when it asks for a partner that does not exist, in Traditional Chinese
    response = client.get("/api/v1/partners/999999", headers={"Accept-Language": "zh-Hant"})

    # then the problem is in Traditional Chinese
    assert response.status_code == 404
    assert response.json()["title"] == "未找到。"


def test_a_session_users_language_wins_in_the_api_too(world, page_client, settings):
    # given a finance user who chose Simplified Chinese, on an English browser
    settings.LANGUAGE_CODE = "en"
    world.finance.language = "zh-hans"
    world.finance.save()
    client = page_client(world.finance)

    # when the page calls the API for a partner that does not exist
    response = client.get("/api/v1/partners/999999", headers={"Accept-Language": "en"})

    # then the problem is in Simplified Chinese
    assert response.status_code == 404
    assert response.json()["title"] == "未找到。"


# --- notifications ---------------------------------------------------------------------------


def test_a_notification_is_written_in_its_recipients_language(
    world, settings, uscc, django_capture_on_commit_callbacks
):
    # given the approver (the channel manager) reads Traditional Chinese, the admin English
    settings.LANGUAGE_CODE = "zh-hans"
    world.channel.language = "zh-hant"
    world.channel.save()
    world.admin.language = "en"
    world.admin.save()

    # when an application arrives and waits for the channel manager's decision
    with django_capture_on_commit_callbacks(execute=True):
        application = services.submit_application(
            data=application_data(uscc, 1), licence=SimpleUploadedFile("l.pdf", PDF)
        )

    # then the channel manager's notification is in Traditional Chinese
    approval = application.approval
    notification = Notification.objects.get(user=world.channel, kind="approval.requested")
    assert notification.title == f"待您審批：{approval.title}"
    assert notification.body == f"夥伴准入申請 {approval.number} 正在「{approval.current_step.name}」環節等待您審批。"


def test_the_notifications_api_shows_the_text_as_written(
    world, api_client, settings, uscc, django_capture_on_commit_callbacks
):
    # given an approval notification written in Traditional Chinese
    settings.LANGUAGE_CODE = "zh-hans"
    world.channel.language = "zh-hant"
    world.channel.save()
    with django_capture_on_commit_callbacks(execute=True):
        application = services.submit_application(
            data=application_data(uscc, 2), licence=SimpleUploadedFile("l.pdf", PDF)
        )

    # when the channel manager lists its notifications through the API, from an English client
    items = api_client(world.channel).get("/api/v1/notifications", headers={"Accept-Language": "en"}).json()["items"]

    # then it reads them as written
    assert [item["title"] for item in items] == [f"待您審批：{application.approval.title}"]


# --- e-mails ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "language", "received", "approved", "approved_body"),
    [
        (
            "zh-Hant",
            "zh-hant",
            "已收到申請 {number}",
            "申請 {number} 已通過",
            "您的申請 {number} 已通過。請使用使用者名稱 {username}（或手機號碼、電子郵件）登入。請在此設定密碼：",
        ),
        (
            "",
            "zh-hans",
            "已收到申请 {number}",
            "申请 {number} 已通过",
            "您的申请 {number} 已通过。请使用用户名 {username}（或手机号、邮箱）登录。请在此设置密码：",
        ),
        (
            "en",
            "en",
            "Application {number} received",
            "Application {number} approved",
            "Your application {number} was approved. Log in with the user name {username} "
            "(or your mobile number or e-mail). Choose your password here: ",
        ),
    ],
)
def test_the_applicant_is_written_to_in_the_language_it_applied_in(
    world,
    api_client,
    settings,
    uscc,
    django_capture_on_commit_callbacks,
    accept_language,
    language,
    received,
    approved,
    approved_body,
):
    # given Simplified Chinese is the default, and the channel manager works in another language
    settings.LANGUAGE_CODE = "zh-hans"
    world.channel.language = "en" if language != "en" else "zh-hant"
    world.channel.save()
    headers = {"Accept-Language": accept_language} if accept_language else {}

    # when a company applies from a browser in its language
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/applications",
            application_data(uscc, 3) | {"licence": SimpleUploadedFile("licence.pdf", PDF, "application/pdf")},
            headers=headers,
        )
    assert response.status_code == 201
    application = PartnerApplication.objects.get()

    # then the application remembers the language and the receipt is written in it
    assert application.language == language
    assert [message.subject for message in mail.outbox] == [received.format(number=application.number)]

    # when the channel manager approves it
    with django_capture_on_commit_callbacks(execute=True):
        decided = api_client(world.channel).post(
            f"/api/v1/approvals/{application.approval_id}/decision",
            {"decision": "approve", "comment": ""},
            content_type="application/json",
        )
    assert decided.status_code == 200

    # then the welcome e-mail is in the applicant's language too, not the approver's
    application.refresh_from_db()
    message = mail.outbox[-1]
    expected_start = approved_body.format(number=application.number, username=application.admin_user.username)
    link = message.body[len(expected_start) :]
    assert message.subject == approved.format(number=application.number)
    assert message.body == expected_start + link
    assert link.startswith("http://testserver/set-password/")


def test_an_application_made_by_a_service_takes_the_callers_language_when_given(world, settings, uscc):
    # given the default language
    settings.LANGUAGE_CODE = "zh-hans"

    # when a caller submits an application and names its language
    application = services.submit_application(
        data=application_data(uscc, 4), licence=SimpleUploadedFile("l.pdf", PDF), language="zh-Hant"
    )

    # then that language is kept (as one of the site's languages)
    assert application.language == "zh-hant"


@pytest.mark.parametrize(
    ("inviter_language", "invited_language", "subject", "body"),
    [
        ("zh-hant", "", "您受邀加入 Qudao 上的 {partner}", "您的使用者名稱是 jl_chen。請在此設定密碼：{link}"),
        (
            "zh-hant",
            "en",
            "You are invited to {partner} on Qudao",
            "Your user name is jl_chen. Choose your password here: {link}",
        ),
        ("en", "zh-hans", "您受邀加入 Qudao 上的 {partner}", "您的用户名是 jl_chen。请在此设置密码：{link}"),
    ],
)
def test_an_invitation_is_written_in_the_invited_users_language_or_else_the_inviters(
    world, api_client, settings, django_capture_on_commit_callbacks, inviter_language, invited_language, subject, body
):
    # given a partner admin working in its language
    settings.LANGUAGE_CODE = "zh-hans"
    world.dist_admin.language = inviter_language
    world.dist_admin.save()

    # when it invites a user (who may have a language of its own)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(world.dist_admin).post(
            f"/api/v1/partners/{world.dist_js.pk}/members",
            {
                "display_name": "仓库小陈",
                "email": "chen@jinling.cn",
                "username": "jl_chen",
                "language": invited_language,
            },
            content_type="application/json",
        )

    # then the e-mail is in the invited user's language, or else in the inviter's
    assert response.status_code == 201
    link = response.json()["set_password_link"]
    (message,) = mail.outbox
    assert message.subject == subject.format(partner=world.dist_js)
    assert message.body == body.format(link=link)


# --- the catalogues --------------------------------------------------------------------------


def _unquote(text: str) -> str:
    return text[1:-1].encode("raw_unicode_escape").decode("unicode_escape") if "\\" in text else text[1:-1]


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with msgctxt, msgid, msgid_plural, msgstr[n] and flags."""
    entries, entry, key = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            finish()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = _unquote(line)
            if isinstance(key, tuple):
                entry["msgstr"][key[1]] += value
            else:
                entry[key] += value
        else:
            word, _space, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", word)
            if match:
                key = ("msgstr", int(match.group(1)))
                entry["msgstr"][key[1]] = _unquote(rest)
            elif word == "msgstr":
                key = ("msgstr", 0)
                entry["msgstr"][0] = _unquote(rest)
            else:
                key = word
                entry[key] = _unquote(rest)
    return entries


PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def catalogue(language: str) -> list[dict]:
    return [entry for entry in parse_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po") if entry["msgid"]]


def test_every_language_has_a_catalogue_with_the_same_messages():
    keys = {
        language: {(entry.get("msgctxt"), entry["msgid"]) for entry in catalogue(language)}
        for language in ("zh_Hans", "zh_Hant", "en")
    }
    assert len(keys["zh_Hans"]) > 600
    assert keys["zh_Hant"] == keys["zh_Hans"]
    assert keys["en"] == keys["zh_Hans"]


def test_the_catalogue_headers_name_the_language_and_one_plural_form_for_chinese():
    for language in ("zh_Hans", "zh_Hant", "en"):
        header = parse_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")[0]
        assert header["msgid"] == ""
        assert "fuzzy" not in header["flags"]
        assert f"Language: {language}\n" in header["msgstr"][0]
    for language in CHINESE:
        header = parse_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")[0]
        assert "Plural-Forms: nplurals=1; plural=0;\n" in header["msgstr"][0]


@pytest.mark.parametrize("language", CHINESE)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    entries = catalogue(language)
    assert [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]] == []
    assert [entry["msgid"] for entry in entries if not all(entry["msgstr"].values())] == []
    assert [entry["msgid"] for entry in entries if entry.get("msgid_plural") and set(entry["msgstr"]) != {0}] == []


@pytest.mark.parametrize("language", CHINESE)
def test_every_translation_keeps_the_placeholders_and_markup_of_its_source(language):
    wrong = []
    for entry in catalogue(language):
        sources = [entry["msgid"]] + ([entry["msgid_plural"]] if entry.get("msgid_plural") else [])
        for translated in entry["msgstr"].values():
            if not any(placeholders(translated) == placeholders(source) for source in sources):
                wrong.append((entry["msgid"], translated))
            if sorted(TAG.findall(translated)) != sorted(TAG.findall(entry["msgid"])):
                wrong.append((entry["msgid"], translated))
    assert wrong == []


def test_english_falls_back_to_the_source_text():
    assert [entry["msgid"] for entry in catalogue("en") if any(entry["msgstr"].values())] == []


@pytest.mark.parametrize("language", CHINESE)
def test_the_compiled_catalogue_matches_its_source(language):
    # the .mo files are committed (a machine without GNU gettext still gets the translations)
    directory = LOCALE_DIR / language / "LC_MESSAGES"
    with open(directory / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = []
    for entry in catalogue(language):
        if entry.get("msgid_plural"):
            found = (
                translations.npgettext(entry["msgctxt"], entry["msgid"], entry["msgid_plural"], 1)
                if entry.get("msgctxt")
                else translations.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            )
        elif entry.get("msgctxt"):
            found = translations.pgettext(entry["msgctxt"], entry["msgid"])
        else:
            found = translations.gettext(entry["msgid"])
        if found != entry["msgstr"][0]:
            stale.append(entry["msgid"])
    assert stale == []
