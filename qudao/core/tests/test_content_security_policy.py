"""Every response carries a Content-Security-Policy: pages allow scripts and styles from Qudao's
own origin or with the request's nonce only, the Swagger UI has its own policy, and uploaded files
keep theirs. The templates hold nothing that such a policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{24})'")


def page_policy(nonce: str) -> str:
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def test_every_page_gets_a_policy_with_a_fresh_nonce_given_to_its_scripts(world, page_client):
    # when: the log-in page twice, an HQ page and a portal page
    first = page_client().get("/login/")
    second = page_client().get("/login/")
    hq = page_client(world.channel).get("/partners/")
    portal = page_client(world.dist_admin).get("/portal/")

    # then: each has the page policy with its own nonce, which its script tags carry
    nonces = []
    for response in (first, second, hq, portal):
        assert response.status_code == 200
        nonce = NONCE.search(response["Content-Security-Policy"]).group(1)
        assert response["Content-Security-Policy"] == page_policy(nonce)
        html = response.content.decode()
        assert f'<script src="/static/django_htmx/htmx-2.min.js" defer nonce="{nonce}"></script>' in html
        assert f'<script src="/static/qudao/qudao.js" defer nonce="{nonce}"></script>' in html
        nonces.append(nonce)
    assert len(set(nonces)) == 4


def test_the_api_and_its_swagger_ui_get_a_policy_too(world, api_client, client):
    # when
    answer = api_client(world.channel).get("/api/v1/partners")
    docs = client.get("/api/v1/docs")

    # then: JSON answers get the page policy; the Swagger UI its own (its style attributes, data: icons)
    assert answer.status_code == 200
    assert NONCE.search(answer["Content-Security-Policy"])
    assert docs.status_code == 200
    assert docs["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    html = docs.content.decode()
    assert '<script src="/static/ninja/swagger-ui-bundle.js"></script>' in html


# What the page policy blocks: an inline event handler, a javascript: URL, a style attribute, an
# inline <style> or <script> without the nonce.
BLOCKED = [
    ("an inline event handler", re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)),
    ("a javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
    ("a style attribute", re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)),
    ("an inline <style>", re.compile(r"<style(?![^>]*nonce=)", re.IGNORECASE)),
    ("an inline <script>", re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*nonce=)", re.IGNORECASE)),
]


@pytest.mark.parametrize(("what", "pattern"), BLOCKED, ids=[what for what, _pattern in BLOCKED])
def test_no_template_holds_what_the_policy_blocks(what, pattern):
    templates = sorted(ROOT.glob("qudao/**/templates/**/*.html"))
    tags = re.compile(r"{%.*?%}|{#.*?#}")  # template tags and comments are not markup
    offenders = [str(path.relative_to(ROOT)) for path in templates if pattern.search(tags.sub("", path.read_text()))]
    assert len(templates) > 150
    assert offenders == [], f"{what} in {offenders}"
