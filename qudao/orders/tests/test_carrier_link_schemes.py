"""A carrier's tracking link is only ever an http(s) address: a configured template with another
scheme (javascript:, data:, a relative path) gives no link, on the pages and in GET /carriers."""

from __future__ import annotations

import pytest

from qudao.orders.carriers import carriers, tracking_link

HOSTILE = [
    {"code": "JS", "name": "Evil", "tracking_url": "javascript:alert(1)//{number}"},
    {"code": "JS2", "name": "Evil2", "tracking_url": " JavaScript:alert('{number}')"},
    {"code": "DATA", "name": "Data", "tracking_url": "data:text/html,<script>alert(1)</script>{number}"},
    {"code": "REL", "name": "Relative", "tracking_url": "//evil.example/{number}"},
    {"code": "OK", "name": "Fine", "tracking_url": "https://track.example.cn/?n={number}"},
]


def test_a_tracking_template_with_another_scheme_gives_no_link(settings):
    settings.QUDAO_CARRIERS = HOSTILE
    for code in ("JS", "JS2", "DATA", "REL"):
        assert tracking_link(code, "SF123") is None, code
    assert tracking_link("OK", "SF 1/2") == "https://track.example.cn/?n=SF%201%2F2"


@pytest.mark.django_db
def test_the_carriers_api_never_lists_a_non_http_template(settings, world, api_client):
    settings.QUDAO_CARRIERS = HOSTILE
    listed = api_client(world.operations).get("/api/v1/carriers")
    assert listed.status_code == 200
    urls = {item["code"]: item["tracking_url"] for item in listed.json()}
    assert urls == {"JS": "", "JS2": "", "DATA": "", "REL": "", "OK": "https://track.example.cn/?n={number}"}
    assert [c.tracking_url for c in carriers()][-1] == "https://track.example.cn/?n={number}"
