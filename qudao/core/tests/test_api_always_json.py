"""Every answer under /api is JSON problem details, never an HTML page: the bare /api address, and
an API request refused for a control character in its query when Qudao is served under a path
prefix (SCRIPT_NAME: request.path then starts with the prefix, request.path_info does not)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_bare_api_address_answers_json():
    response = Client().get("/api")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_a_control_character_in_an_api_query_is_json_under_a_path_prefix(world, api_client):
    client = api_client(world.admin)
    response = client.get("/api/v1/carriers", {"q": "a\x01"}, SCRIPT_NAME="/qudao")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == ["q"]


def test_pages_keep_their_html_answer(world, page_client):
    response = page_client(world.admin).get("/orders/", {"q": "a\x01"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
