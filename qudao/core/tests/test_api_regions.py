"""API: the geography (country > province > city). Public, because the application form uses it."""

import pytest
from django.test import Client

from qudao.core.models import Region

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_anyone_lists_the_cities_of_a_province(db):
    # when
    response = Client().get("/api/v1/regions", {"parent": "320000", "limit": 2})
    # then
    assert response.status_code == 200
    assert response.json() == {
        "count": 13,
        "items": [
            {
                "code": "320100",
                "name": "Nanjing",
                "name_hant": "南京市",
                "name_en": "Nanjing",
                "full_name": "Jiangsu Nanjing",
                "level": "city",
                "parent": "320000",
            },
            {
                "code": "320200",
                "name": "Wuxi",
                "name_hant": "無錫市",
                "name_en": "Wuxi",
                "full_name": "Jiangsu Wuxi",
                "level": "city",
                "parent": "320000",
            },
        ],
    }


def test_it_lists_the_provinces_in_one_page(db):
    response = Client().get("/api/v1/regions", {"level": "province", "limit": 500})
    body = response.json()
    assert body["count"] == 34 == len(body["items"])
    assert {
        "code": "330000",
        "name": "Zhejiang",
        "name_hant": "浙江省",
        "name_en": "Zhejiang",
        "full_name": "Zhejiang",
        "level": "province",
        "parent": "CN",
    } in body["items"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("苏州", ["320500"]),
        ("suzhou", ["320500", "341300"]),
        ("蘇州", ["320500"]),
        ("3205", ["320500"]),
        ("不存在", []),
    ],
)
def test_it_finds_regions_by_name_in_any_language_or_by_code(db, q, expected):
    response = Client().get("/api/v1/regions", {"q": q})
    assert [item["code"] for item in response.json()["items"]] == expected


def test_region_names_follow_the_requested_language(db):
    response = Client().get("/api/v1/regions/320500", headers={"Accept-Language": "zh-hant"})
    assert (response.json()["name"], response.json()["full_name"]) == ("蘇州市", "江蘇省 蘇州市")


def test_it_shows_a_province_with_its_cities(db):
    response = Client().get("/api/v1/regions/330000")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["level"], body["parent"]) == ("330000", "province", "CN")
    assert len(body["children"]) == 11
    assert body["children"][0] == {"code": "330100", "name": "Hangzhou"}


def test_an_unknown_region_answers_404(db):
    response = Client().get("/api/v1/regions/999999")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    ("params", "field"), [({"level": "district"}, "level"), ({"limit": 501}, "limit"), ({"offset": -1}, "offset")]
)
def test_it_refuses_bad_region_filters(db, params, field):
    response = Client().get("/api/v1/regions", params)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_listing_regions_takes_a_fixed_number_of_queries(db, django_assert_num_queries):
    assert Region.objects.filter(level="city").count() > 300
    with django_assert_num_queries(2):
        response = Client().get("/api/v1/regions", {"level": "city", "limit": 500})
    assert response.json()["count"] == len(response.json()["items"])
