"""The log-in lock-out counts failures per account, however it was named (user name with spaces
or in capitals, e-mail, mobile), on the pages and the API alike; failures on names that are no
account lock no account; the client address is read from X-Forwarded-For only when the request
comes through a configured proxy, so one client guessing behind the proxy locks out nobody else."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import RequestFactory

from conftest import PASSWORD
from qudao.accounts.models import LoginFailure, User
from qudao.core.proxies import client_address

WRONG = "The user name or password is wrong."
LOCKED = "Too many failed log-ins. Wait 15 minutes and try again."
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _english_and_limits(settings):
    settings.LANGUAGE_CODE = "en"
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "fd00::/8"]


def page_login(client, identifier: str, password: str, **meta):
    response = client.post("/login/", {"identifier": identifier, "password": password}, **meta)
    if response.status_code == 302:
        return "logged in"
    return response.context["form"].non_field_errors()[0]


def api_login(client, identifier: str, password: str, **meta):
    response = client.post(
        "/api/v1/auth/tokens",
        json.dumps({"name": "script", "username": identifier, "password": password}),
        content_type="application/json",
        **meta,
    )
    return response.status_code


def test_every_spelling_of_an_account_shares_one_counter(world, client):
    # given: the sales user has a mobile number
    User.objects.filter(pk=world.sales.pk).update(mobile="13912345678")

    # when: five wrong passwords, each spelling the account differently, on the page and the API
    answers = [
        api_login(client, " sales", "wrong1"),
        page_login(client, "SALES", "wrong2"),
        api_login(client, "Sales@HQ.example.cn", "wrong3"),
        page_login(client, "+86 139-1234-5678", "wrong4"),
        page_login(client, "sales@hq.example.cn ", "wrong5"),
    ]

    # then: the fifth locks the account; the right password, spelled any way, is refused for now
    assert answers == [401, WRONG, 401, WRONG, LOCKED]
    assert page_login(client, "sales", PASSWORD) == LOCKED
    assert api_login(client, "13912345678", PASSWORD) == 429
    assert SESSION_KEY not in client.session
    assert LoginFailure.objects.filter(user=world.sales).count() == 5
    # and: another account is not affected
    assert page_login(client, "channel", PASSWORD) == "logged in"


def test_failures_on_unknown_names_lock_no_account(world, client):
    # when: twenty wrong guesses of names that are no account, from one address
    answers = [page_login(client, f"nobody{n}", "guess") for n in range(20)]
    # and: five more of one unknown name, spelled two ways
    more = [page_login(client, name, "guess") for name in ["ghost", " GHOST", "ghost", "Ghost", "ghost"]]

    # then: each is "wrong", except that the one unknown name is now as locked as an account would be
    assert answers == [WRONG] * 20
    assert more == [WRONG] * 4 + [LOCKED]
    assert LoginFailure.objects.filter(user__isnull=True).count() == 25
    # and: from the same address, real accounts still log in
    assert page_login(client, "finance", PASSWORD) == "logged in"
    assert api_login(client, "channel", PASSWORD) == 201


def test_one_client_behind_the_proxy_guessing_names_locks_out_nobody_else(world, client):
    # given: every request comes through the reverse proxy (10.0.0.5); one client guesses
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    colleague = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    for n in range(20):
        page_login(client, f"made-up-{n}", "guess", **attacker)

    # when: another client logs in through the same proxy
    answer = page_login(client, "channel", PASSWORD, **colleague)

    # then: it is logged in; the failures were the attacker's address, not the proxy's
    assert answer == "logged in"
    assert set(LoginFailure.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_an_address_trying_passwords_across_accounts_is_stopped_and_only_that_address(world, client):
    # given: one client behind the proxy tries four wrong passwords on each of five real accounts
    spray = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    accounts = ["channel", "finance", "operations", "regional_js", "regional_zj"]
    answers = [page_login(client, name, f"wrong{n}", **spray) for name in accounts for n in range(4)]

    # then: the twentieth failure from that address stops it, even with a right password
    assert answers == [WRONG] * 19 + [LOCKED]
    assert page_login(client, "sales", PASSWORD, **spray) == LOCKED
    # and: no account is locked for anyone else (four failures each)
    assert page_login(client, "channel", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.9") == (
        "logged in"
    )


def test_the_forwarded_header_is_ignored_unless_the_request_comes_from_a_configured_proxy(world, client):
    # when: a client that is no proxy claims another address in X-Forwarded-For
    page_login(client, "channel", "wrong", REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="198.51.100.1")

    # then: its own address is counted
    assert list(LoginFailure.objects.values_list("ip_address", flat=True)) == ["203.0.113.50"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.50", "198.51.100.1", "203.0.113.50"),  # not through a proxy: the header is ignored
        ("10.0.0.5", "", "10.0.0.5"),  # the proxy itself, nothing forwarded
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "1.1.1.1, 198.51.100.1", "198.51.100.1"),  # a forged left part is never read
        ("10.0.0.5", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # two proxies of ours
        ("10.0.0.5", "10.0.0.7, 10.0.0.9", "10.0.0.7"),  # from inside: the leftmost
        ("10.0.0.5", "garbage, 198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "198.51.100.1, garbage", "10.0.0.5"),  # our proxy would never write that
        ("10.0.0.5", "198.51.100.1:4711", "198.51.100.1"),
        ("10.0.0.5", "[2001:db8::1]:4711", "2001:db8::1"),
        ("::ffff:10.0.0.5", "198.51.100.1", "198.51.100.1"),
        ("fd00::1", "2001:db8::2", "2001:db8::2"),
    ],
)
def test_the_client_address_is_the_rightmost_hop_that_is_not_our_proxy(settings, remote, forwarded, client):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "fd00::/8"]
    meta = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    assert client_address(RequestFactory().get("/", **meta)) == client
