"""API: the partner list, detail, create, edit (with If-Match), status, tier, histories, children
and the partner's audit trail."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qudao.core.models import ObjectChange, Region
from qudao.partners import services
from qudao.partners.models import Partner, PartnerContact, PartnerStatusChange, Tier, TierChange

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def english(settings):
    """Assert the English source messages, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"


def post_json(client, url, data, **headers):
    return client.post(url, data, content_type="application/json", headers=headers)


def patch_json(client, url, data, **headers):
    return client.patch(url, data, content_type="application/json", headers=headers)


def errors_of(response) -> dict:
    assert response["Content-Type"] == PROBLEM
    found = {}
    for error in response.json()["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def snapshot(partner):
    partner = Partner.objects.get(pk=partner.pk)
    return {field.attname: getattr(partner, field.attname) for field in Partner._meta.concrete_fields} | {
        "tags": sorted(partner.tags.values_list("name", flat=True)),
        "territories": sorted(partner.territories.values_list("code", flat=True)),
    }


# --- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["dist_js", "sub_js", "dealer_zj"]),
        ("finance", ["dist_js", "sub_js", "dealer_zj"]),
        ("regional_js", ["dist_js", "sub_js"]),
        ("regional_zj", ["dealer_zj"]),
        ("sales", ["dealer_zj"]),
        ("dist_admin", ["dist_js", "sub_js"]),
        ("dist_staff", ["dist_js", "sub_js"]),
        ("sub_admin", ["sub_js"]),
        ("zj_admin", ["dealer_zj"]),
    ],
)
def test_it_lists_only_the_partners_the_user_may_see(world, api_client, persona, expected):
    # when
    response = api_client(world.users[persona]).get("/api/v1/partners")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(expected)
    assert sorted(item["id"] for item in body["items"]) == sorted(world.partners[key].pk for key in expected)


def test_it_refuses_the_partner_list_without_credentials(world, api_client):
    response = api_client().get("/api/v1/partners")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "unauthenticated"


def test_it_lists_partners_with_their_references(world, api_client):
    # when
    response = api_client(world.admin).get("/api/v1/partners", {"sort": "code"})
    # then
    sub_js = world.sub_js
    item = next(item for item in response.json()["items"] if item["id"] == sub_js.pk)
    assert item == {
        "id": sub_js.pk,
        "code": sub_js.code,
        "partner_type": "dealer",
        "legal_name": "苏州姑苏电器经营部",
        "short_name": "姑苏电器",
        "credit_code": None,
        "status": "active",
        "tier": {"id": Tier.objects.get(code="silver").pk, "code": "silver", "name": "银牌"},
        "region": {"code": "320500", "name": "Suzhou"},
        "parent": {"id": world.dist_js.pk, "code": world.dist_js.code, "name": "金陵商贸"},
        "depth": 1,
        "channel_manager": None,
        "regional_owner": None,
        "created_at": item["created_at"],
    }
    zj = next(item for item in response.json()["items"] if item["id"] == world.dealer_zj.pk)
    assert zj["regional_owner"] == "sales"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"q": "金陵"}, ["dist_js"]),
        ({"q": "西湖家电"}, ["dealer_zj"]),
        ({"partner_type": "dealer"}, ["sub_js", "dealer_zj"]),
        ({"tier": "silver"}, ["sub_js"]),
        ({"status": "suspended"}, []),
        ({"region": "320000"}, ["dist_js", "sub_js"]),
        ({"region": "330100"}, ["dealer_zj"]),
        ({"region": "999999"}, []),
        ({"owner": "sales"}, ["dealer_zj"]),
        ({"tag": "重点"}, ["sub_js"]),
        ({"parent": "DIST"}, ["sub_js"]),
    ],
)
def test_it_filters_the_partner_list(world, api_client, filters, expected):
    # given a tag on sub_js
    services.update_partner(partner=world.sub_js, data={"tags": ["重点"]})
    if filters.get("parent") == "DIST":
        filters = {"parent": world.dist_js.pk}
    # when
    response = api_client(world.admin).get("/api/v1/partners", filters)
    # then
    assert response.status_code == 200
    assert sorted(item["id"] for item in response.json()["items"]) == sorted(world.partners[key].pk for key in expected)
    assert response.json()["count"] == len(expected)


def test_it_sorts_and_pages_the_partner_list(world, api_client):
    client = api_client(world.admin)
    # when
    by_tier = client.get("/api/v1/partners", {"sort": "tier"}).json()["items"]
    second_page = client.get("/api/v1/partners", {"sort": "-name", "limit": 1, "offset": 1}).json()
    # then gold (2) < silver (3) < registered (4)
    assert [item["id"] for item in by_tier] == [world.dist_js.pk, world.sub_js.pk, world.dealer_zj.pk]
    # names descending: 南京…, 杭州…, 苏州… in code-point order reversed
    names = sorted(["南京金陵商贸有限公司", "苏州姑苏电器经营部", "杭州西湖家电有限公司"], reverse=True)
    assert second_page["count"] == 3
    assert [item["legal_name"] for item in second_page["items"]] == [names[1]]


def test_it_refuses_bad_list_parameters(world, api_client):
    response = api_client(world.admin).get(
        "/api/v1/partners", {"limit": 0, "partner_type": "wholesaler", "sort": "size"}
    )
    assert response.status_code == 422
    assert sorted(errors_of(response)) == ["limit", "partner_type", "sort"]


def test_the_partner_list_takes_the_same_number_of_queries_for_more_partners(world, api_client):
    client = api_client(world.admin)
    client.get("/api/v1/partners")  # warm up (token last-used stamp, content types)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/partners")
    for index in range(6):
        services.create_partner(
            data={
                "partner_type": "dealer",
                "legal_name": f"无锡测试{index}",
                "region": "320200",
                "parent": world.dist_js.pk,
                "regional_owner": "sales",
                "channel_manager": "channel",
            }
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/partners")
    assert response.json()["count"] == 9
    assert len(many.captured_queries) == len(few.captured_queries)


# --- detail ----------------------------------------------------------------------------------


def test_it_shows_the_full_partner_record_with_an_etag(world, api_client):
    # given
    dist_js = world.dist_js
    services.update_partner(
        partner=dist_js,
        data={
            "tags": ["华东", "重点"],
            "address": "南京市玄武区中山路1号",
            "channel_manager": "channel",
            "regional_owner": "regional_js",
            "product_lines": ["厨电", "冰箱"],
        },
    )
    contact = services.add_contact(
        partner=dist_js, data={"name": "张三", "role": "总经理", "mobile": "13812345678", "is_primary": True}
    )
    services.request_credit_change(
        partner=dist_js, credit_limit="50000", payment_terms_days=30, reason="首次授信", actor=world.finance
    )
    dist_js.refresh_from_db()
    # when
    response = api_client(world.regional_js).get(f"/api/v1/partners/{dist_js.pk}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (
        response["ETag"]
        == '"' + dist_js.updated_at.astimezone(__import__("datetime").UTC).strftime("%Y%m%d%H%M%S%f") + '"'
    )
    assert {key: value for key, value in body.items() if key not in ("created_at", "updated_at")} == {
        "id": dist_js.pk,
        "code": dist_js.code,
        "partner_type": "distributor",
        "legal_name": "南京金陵商贸有限公司",
        "short_name": "金陵商贸",
        "credit_code": dist_js.credit_code,
        "status": "active",
        "tier": {"id": Tier.objects.get(code="gold").pk, "code": "gold", "name": "金牌"},
        "region": {"code": "320100", "name": "Nanjing"},
        "parent": None,
        "depth": 0,
        "channel_manager": "channel",
        "regional_owner": "regional_js",
        "address": "南京市玄武区中山路1号",
        "invoice_title": "",
        "invoice_address_phone": "",
        "bank_name": "",
        "bank_account": "",
        "product_lines": ["冰箱", "厨电"],
        "territories": [{"code": "320000", "name": "Jiangsu"}],
        "tags": ["华东", "重点"],
        "contacts": [
            {
                "id": contact.pk,
                "name": "张三",
                "role": "总经理",
                "mobile": "13812345678",
                "email": "",
                "is_primary": True,
            }
        ],
        "credit": {"credit_limit": "50000.00", "currency": "CNY", "payment_terms_days": 30},
        "path": f"/{dist_js.pk}/",
    }


def test_it_shows_a_sub_dealer_with_its_parent_and_depth(world, api_client):
    response = api_client(world.dist_staff).get(f"/api/v1/partners/{world.sub_js.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["parent"] == {"id": world.dist_js.pk, "code": world.dist_js.code, "name": "金陵商贸"}
    assert (body["depth"], body["path"]) == (1, f"/{world.dist_js.pk}/{world.sub_js.pk}/")


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("zj_admin", "dist_js"),
        ("dist_staff", "dealer_zj"),
        ("regional_zj", "sub_js"),
        ("sub_admin", "dist_js"),  # its own parent distributor
        ("sales", "dist_js"),
    ],
)
def test_it_answers_404_for_a_partner_outside_the_users_scope(world, api_client, persona, target):
    response = api_client(world.users[persona]).get(f"/api/v1/partners/{world.partners[target].pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "https://qudao.dev/problems/not_found",
        "title": "Not found.",
        "status": 404,
        "code": "not_found",
    }


def test_it_answers_404_for_a_partner_that_does_not_exist(world, api_client):
    assert api_client(world.admin).get("/api/v1/partners/999999999").status_code == 404
    # an id that no record can have (ids run from 1 to 2^63 - 1) is bad input
    assert api_client(world.admin).get("/api/v1/partners/-1").status_code == 422


# --- create ----------------------------------------------------------------------------------


def test_a_channel_manager_creates_a_partner_with_contacts(world, api_client, uscc):
    # when
    response = post_json(
        api_client(world.channel),
        "/api/v1/partners",
        {
            "partner_type": "dealer",
            "legal_name": "无锡太湖电器有限公司",
            "short_name": "太湖电器",
            "credit_code": uscc(301),
            "region": "320200",
            "tier": "silver",
            "parent": world.dist_js.pk,
            "tags": ["新签"],
            "product_lines": ["厨电"],
            "channel_manager": "channel",
            "contacts": [{"name": "李四", "role": "店长", "mobile": "+86 139-0000-0301", "email": "LISI@example.cn"}],
        },
    )
    # then
    assert response.status_code == 201
    partner = Partner.objects.get(legal_name="无锡太湖电器有限公司")
    body = response.json()
    assert body["id"] == partner.pk
    assert response["ETag"]
    assert (body["code"], body["status"], body["tier"]["code"], body["region"]) == (
        partner.code,
        "active",
        "silver",
        {"code": "320200", "name": "Wuxi"},
    )
    assert body["parent"]["id"] == world.dist_js.pk
    assert (body["depth"], body["path"]) == (1, f"/{world.dist_js.pk}/{partner.pk}/")
    assert body["tags"] == ["新签"]
    assert body["channel_manager"] == "channel"
    contact = PartnerContact.objects.get(partner=partner)
    assert body["contacts"] == [
        {
            "id": contact.pk,
            "name": "李四",
            "role": "店长",
            "mobile": "13900000301",
            "email": "lisi@example.cn",
            "is_primary": False,
        }
    ]
    assert body["credit"] == {"credit_limit": "0.00", "currency": "CNY", "payment_terms_days": 0}
    assert list(PartnerStatusChange.objects.filter(partner=partner).values_list("to_status", "actor__username")) == [
        ("active", "channel")
    ]
    created = ObjectChange.objects.get(content_type__model="partner", object_id=str(partner.pk), action="create")
    assert created.actor_name == "channel"


@pytest.mark.parametrize("persona", ["regional_js", "finance", "sales", "dist_admin"])
def test_it_refuses_to_create_a_partner_without_the_role(world, api_client, persona, uscc):
    before = Partner.objects.count()
    response = post_json(
        api_client(world.users[persona]),
        "/api/v1/partners",
        {"partner_type": "dealer", "legal_name": "越权创建", "region": "320200"},
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert Partner.objects.count() == before


def test_it_lists_every_mistake_of_a_new_partner_and_creates_nothing(world, api_client, uscc):
    # given
    client = api_client(world.admin)
    before = (Partner.objects.count(), PartnerContact.objects.count(), ObjectChange.objects.count())
    bad_code = uscc(302)[:-1] + ("0" if uscc(302)[-1] != "0" else "1")
    # when
    response = post_json(
        client,
        "/api/v1/partners",
        {
            "partner_type": "dealer",
            "legal_name": "",
            "credit_code": bad_code,
            "region": "999999",
            "tier": "platinum",
            "parent": 999999,
            "channel_manager": "nobody",
            "contacts": [
                {"name": "好联系人", "mobile": "13900000302"},
                {"name": "坏联系人", "mobile": "12345", "email": "not-an-email"},
            ],
        },
    )
    # then
    assert response.status_code == 422
    assert errors_of(response) == {
        "legal_name": ["This field is required."],
        "credit_code": ["Not a valid unified social credit code (18 characters, check character)."],
        "region": ["Unknown region: 999999."],
        "tier": ["Unknown tier: platinum."],
        "channel_manager": ["Unknown HQ user: nobody."],
        "parent": ["Unknown parent distributor: 999999."],
        "contacts.1.mobile": ["Enter a valid mainland China mobile number (11 digits, starting with 1)."],
        "contacts.1.email": ["Enter a valid e-mail address."],
    }
    assert (Partner.objects.count(), PartnerContact.objects.count(), ObjectChange.objects.count()) == before


def test_it_refuses_a_credit_code_another_partner_has(world, api_client):
    response = post_json(
        api_client(world.admin),
        "/api/v1/partners",
        {
            "partner_type": "dealer",
            "legal_name": "重复代码",
            "region": "320200",
            "credit_code": world.dist_js.credit_code,
        },
    )
    assert response.status_code == 422
    assert errors_of(response) == {"credit_code": [f"Partner {world.dist_js.code} already has this credit code."]}


def test_it_refuses_wrong_types_and_unknown_fields(world, api_client):
    before = Partner.objects.count()
    response = post_json(
        api_client(world.admin),
        "/api/v1/partners",
        {
            "partner_type": "wholesaler",
            "legal_name": 12,
            "region": "320200",
            "parent": "abc",
            "payment_terms_days": "thirty",
            "credit_limit": "5000",
        },
    )
    assert response.status_code == 422
    assert errors_of(response) == {
        "partner_type": ["Choose one of the allowed values."],
        "legal_name": ["Enter text."],
        "parent": ["Enter a whole number."],
        "payment_terms_days": ["Enter a whole number."],
        "credit_limit": ["This field is not accepted here."],
    }
    assert Partner.objects.count() == before


def test_it_refuses_a_parent_that_is_not_a_distributor_or_outside_its_territory(world, api_client):
    client = api_client(world.admin)
    under_dealer = post_json(
        client,
        "/api/v1/partners",
        {"partner_type": "dealer", "legal_name": "挂在经销商下", "region": "330100", "parent": world.dealer_zj.pk},
    )
    outside = post_json(
        client,
        "/api/v1/partners",
        {"partner_type": "dealer", "legal_name": "区域外", "region": "330100", "parent": world.dist_js.pk},
    )
    assert under_dealer.status_code == 422
    assert errors_of(under_dealer) == {"parent": ["Only a distributor can have sub-dealers."]}
    assert outside.status_code == 422
    assert errors_of(outside) == {"parent": ["金陵商贸 does not cover the region Zhejiang Hangzhou."]}
    assert not Partner.objects.filter(legal_name__in=["挂在经销商下", "区域外"]).exists()


# --- edit ------------------------------------------------------------------------------------


def test_a_regional_manager_edits_a_partner_of_its_region(world, api_client):
    # given
    client = api_client(world.regional_js)
    etag = client.get(f"/api/v1/partners/{world.sub_js.pk}")["ETag"]
    # when
    response = patch_json(
        client,
        f"/api/v1/partners/{world.sub_js.pk}",
        {"address": "苏州市姑苏区人民路8号", "tags": ["华东"], "bank_name": "中国银行苏州分行"},
        **{"If-Match": etag},
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["address"], body["tags"], body["bank_name"]) == ("苏州市姑苏区人民路8号", ["华东"], "中国银行苏州分行")
    sub_js = Partner.objects.get(pk=world.sub_js.pk)
    assert sub_js.address == "苏州市姑苏区人民路8号"
    assert response["ETag"] != etag
    # one audit row for the fields, one for the tags (a many-to-many change)
    tags_change, change = ObjectChange.objects.filter(object_id=str(sub_js.pk), content_type__model="partner")[:2]
    assert change.actor_name == tags_change.actor_name == "regional_js"
    assert {item["field"] for item in change.changed_fields} == {"address", "bank_name"}
    assert tags_change.changed_fields == [{"field": "tags", "before": [], "after": ["华东"]}]


def test_a_partial_edit_changes_only_the_fields_sent(world, api_client):
    before = snapshot(world.dist_js)
    response = patch_json(api_client(world.admin), f"/api/v1/partners/{world.dist_js.pk}", {"short_name": "金陵"})
    assert response.status_code == 200
    after = snapshot(world.dist_js)
    assert after.pop("short_name") == "金陵"
    before.pop("short_name")
    after.pop("updated_at")
    before.pop("updated_at")
    assert after == before


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("regional_js", "dealer_zj", 404),
        ("zj_admin", "dist_js", 404),
        ("sub_admin", "dist_js", 404),
        ("finance", "dist_js", 403),
        ("sales", "dealer_zj", 403),
        ("dist_admin", "dist_js", 403),
        ("dist_admin", "sub_js", 403),
    ],
)
def test_it_refuses_edits_outside_scope_or_role(world, api_client, persona, target, status):
    partner = world.partners[target]
    before = snapshot(partner)
    response = patch_json(api_client(world.users[persona]), f"/api/v1/partners/{partner.pk}", {"address": "改"})
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert snapshot(partner) == before


def test_it_refuses_a_stale_if_match_and_changes_nothing(world, api_client):
    # given a client read the partner, then someone else changed it
    client = api_client(world.channel)
    etag = client.get(f"/api/v1/partners/{world.dist_js.pk}")["ETag"]
    assert patch_json(client, f"/api/v1/partners/{world.dist_js.pk}", {"address": "先改"}).status_code == 200
    before = snapshot(world.dist_js)
    # when the first client writes with its old version
    response = patch_json(client, f"/api/v1/partners/{world.dist_js.pk}", {"address": "后改"}, **{"If-Match": etag})
    # then
    assert response.status_code == 412
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "precondition_failed"
    assert snapshot(world.dist_js) == before


def test_if_match_star_or_the_current_weak_tag_is_accepted(world, api_client):
    client = api_client(world.channel)
    etag = client.get(f"/api/v1/partners/{world.dist_js.pk}")["ETag"]
    weak = patch_json(client, f"/api/v1/partners/{world.dist_js.pk}", {"address": "一"}, **{"If-Match": f"W/{etag}"})
    star = patch_json(client, f"/api/v1/partners/{world.dist_js.pk}", {"address": "二"}, **{"If-Match": "*"})
    assert (weak.status_code, star.status_code) == (200, 200)
    assert Partner.objects.get(pk=world.dist_js.pk).address == "二"


def test_it_refuses_a_cycle_in_the_hierarchy(world, api_client):
    # given sub_js becomes a distributor itself
    client = api_client(world.admin)
    assert patch_json(client, f"/api/v1/partners/{world.sub_js.pk}", {"partner_type": "distributor"}).status_code == 200
    before = snapshot(world.dist_js)
    # when dist_js is put under its own sub-dealer
    response = patch_json(client, f"/api/v1/partners/{world.dist_js.pk}", {"parent": world.sub_js.pk})
    # then
    assert response.status_code == 422
    assert errors_of(response) == {
        "parent": ["This would make a cycle: the parent is this partner or one of its sub-dealers."]
    }
    assert snapshot(world.dist_js) == before


def test_it_refuses_a_parent_outside_the_territory_on_edit(world, api_client):
    before = snapshot(world.dealer_zj)
    response = patch_json(
        api_client(world.admin), f"/api/v1/partners/{world.dealer_zj.pk}", {"parent": world.dist_js.pk}
    )
    assert response.status_code == 422
    assert errors_of(response) == {"parent": ["金陵商贸 does not cover the region Zhejiang Hangzhou."]}
    assert snapshot(world.dealer_zj) == before


def test_it_moves_a_sub_dealer_to_the_top_with_a_null_parent(world, api_client):
    response = patch_json(api_client(world.admin), f"/api/v1/partners/{world.sub_js.pk}", {"parent": None})
    assert response.status_code == 200
    assert (response.json()["parent"], response.json()["path"]) == (None, f"/{world.sub_js.pk}/")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"credit_code": "91320000ABCDEFGHIJ"},
            {"credit_code": ["Not a valid unified social credit code (18 characters, check character)."]},
        ),
        ({"region": "000000"}, {"region": ["Unknown region: 000000."]}),
        ({"region": None}, {"region": ["This field is required."]}),
        ({"tier": "gold"}, {"tier": ["This field is not accepted here."]}),
        ({"status": "suspended"}, {"status": ["This field is not accepted here."]}),
        ({"credit_limit": "1"}, {"credit_limit": ["This field is not accepted here."]}),
        ({"territories": ["320000", "nowhere"]}, {"territories": ["Unknown region: nowhere."]}),
        ({"parent": "abc"}, {"parent": ["Enter a whole number."]}),
    ],
)
def test_it_refuses_bad_edits_with_field_errors(world, api_client, data, errors):
    before = snapshot(world.dist_js)
    response = patch_json(api_client(world.admin), f"/api/v1/partners/{world.dist_js.pk}", data)
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert snapshot(world.dist_js) == before


# --- status and tier -------------------------------------------------------------------------


def test_a_channel_manager_suspends_a_partner_with_a_reason(world, api_client):
    response = post_json(
        api_client(world.channel),
        f"/api/v1/partners/{world.dealer_zj.pk}/status",
        {"status": "suspended", "reason": "逾期未回款"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    change = PartnerStatusChange.objects.filter(partner=world.dealer_zj).first()
    assert (change.from_status, change.to_status, change.reason, change.actor.username) == (
        "active",
        "suspended",
        "逾期未回款",
        "channel",
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"status": "suspended", "reason": "  "}, {"reason": ["Give a reason."]}),
        ({"status": "active", "reason": "无变化"}, {"status": ["The partner already has this status."]}),
        ({"status": "frozen", "reason": "x"}, {"status": ["Choose one of the allowed values."]}),
        ({"status": "suspended"}, {"reason": ["This field is required."]}),
    ],
)
def test_it_refuses_bad_status_changes(world, api_client, data, errors):
    response = post_json(api_client(world.channel), f"/api/v1/partners/{world.dealer_zj.pk}/status", data)
    assert response.status_code == 422
    assert errors_of(response) == errors
    assert Partner.objects.get(pk=world.dealer_zj.pk).status == "active"
    assert PartnerStatusChange.objects.filter(partner=world.dealer_zj).count() == 1


def test_a_terminated_partner_cannot_be_reactivated(world, api_client):
    client = api_client(world.admin)
    url = f"/api/v1/partners/{world.dealer_zj.pk}/status"
    assert post_json(client, url, {"status": "terminated", "reason": "解约"}).status_code == 200
    response = post_json(client, url, {"status": "active", "reason": "恢复"})
    assert response.status_code == 422
    assert errors_of(response) == {"status": ["A Terminated partner cannot become Active."]}


@pytest.mark.parametrize(("persona", "status"), [("regional_zj", 403), ("zj_admin", 403), ("regional_js", 404)])
def test_it_refuses_status_changes_without_the_role(world, api_client, persona, status):
    response = post_json(
        api_client(world.users[persona]),
        f"/api/v1/partners/{world.dealer_zj.pk}/status",
        {"status": "suspended", "reason": "x"},
    )
    assert response.status_code == status
    assert Partner.objects.get(pk=world.dealer_zj.pk).status == "active"


def test_a_channel_manager_changes_the_tier_and_the_history_shows_it(world, api_client):
    client = api_client(world.channel)
    response = post_json(
        client, f"/api/v1/partners/{world.dist_js.pk}/tier", {"tier": "strategic", "reason": "年度升级"}
    )
    assert response.status_code == 200
    assert response.json()["tier"]["code"] == "strategic"
    history = client.get(f"/api/v1/partners/{world.dist_js.pk}/tier-history").json()
    gold, strategic = Tier.objects.get(code="gold"), Tier.objects.get(code="strategic")
    assert history["count"] == 2
    newest, created = history["items"]
    assert {key: newest[key] for key in ("from_tier", "to_tier", "reason", "actor")} == {
        "from_tier": {"id": gold.pk, "code": "gold", "name": "金牌"},
        "to_tier": {"id": strategic.pk, "code": "strategic", "name": "战略"},
        "reason": "年度升级",
        "actor": "channel",
    }
    assert (created["from_tier"], created["to_tier"]["code"], created["actor"]) == (None, "gold", None)


def test_it_refuses_bad_tier_changes(world, api_client):
    client = api_client(world.channel)
    url = f"/api/v1/partners/{world.dist_js.pk}/tier"
    unknown = post_json(client, url, {"tier": "platinum", "reason": "x"})
    same = post_json(client, url, {"tier": "gold", "reason": "x"})
    denied = post_json(api_client(world.finance), url, {"tier": "silver", "reason": "x"})
    assert (unknown.status_code, same.status_code, denied.status_code) == (422, 422, 403)
    assert errors_of(unknown) == {"tier": ["Unknown tier: platinum."]}
    assert errors_of(same) == {"tier": ["The partner is already in this tier."]}
    assert TierChange.objects.filter(partner=world.dist_js).count() == 1
    assert Partner.objects.get(pk=world.dist_js.pk).tier.code == "gold"


def test_it_shows_the_status_history_newest_first(world, api_client):
    client = api_client(world.admin)
    post_json(client, f"/api/v1/partners/{world.sub_js.pk}/status", {"status": "suspended", "reason": "整改"})
    post_json(client, f"/api/v1/partners/{world.sub_js.pk}/status", {"status": "active", "reason": "整改完成"})
    # when
    response = api_client(world.dist_staff).get(f"/api/v1/partners/{world.sub_js.pk}/status-history")
    # then
    assert response.status_code == 200
    rows = [
        (item["from_status"], item["to_status"], item["reason"], item["actor"]) for item in response.json()["items"]
    ]
    assert rows == [
        ("suspended", "active", "整改完成", "admin"),
        ("active", "suspended", "整改", "admin"),
        ("", "active", "Partner created", None),
    ]
    assert api_client(world.zj_admin).get(f"/api/v1/partners/{world.sub_js.pk}/status-history").status_code == 404


# --- hierarchy -------------------------------------------------------------------------------


def test_it_lists_the_sub_dealers_below_a_distributor(world, api_client):
    # given a second-level distributor under dist_js with a dealer of its own
    nanjing_sub = services.create_partner(
        data={
            "partner_type": "distributor",
            "legal_name": "南京二级分销",
            "region": "320100",
            "parent": world.dist_js.pk,
        }
    )
    grandchild = services.create_partner(
        data={"partner_type": "dealer", "legal_name": "南京三级门店", "region": "320100", "parent": nanjing_sub.pk}
    )
    client = api_client(world.dist_admin)
    # when
    everything = client.get(f"/api/v1/partners/{world.dist_js.pk}/children").json()
    direct = client.get(f"/api/v1/partners/{world.dist_js.pk}/children", {"depth": "1"}).json()
    below_second = api_client(world.admin).get(f"/api/v1/partners/{nanjing_sub.pk}/children").json()
    # then
    assert sorted(item["id"] for item in everything["items"]) == sorted(
        [world.sub_js.pk, nanjing_sub.pk, grandchild.pk]
    )
    assert everything["count"] == 3
    assert sorted(item["id"] for item in direct["items"]) == sorted([world.sub_js.pk, nanjing_sub.pk])
    assert [(item["id"], item["depth"]) for item in below_second["items"]] == [(grandchild.pk, 2)]


def test_the_children_of_a_partner_are_scoped(world, api_client):
    assert api_client(world.sub_admin).get(f"/api/v1/partners/{world.dist_js.pk}/children").status_code == 404
    assert api_client(world.regional_zj).get(f"/api/v1/partners/{world.dist_js.pk}/children").status_code == 404
    response = api_client(world.sub_admin).get(f"/api/v1/partners/{world.sub_js.pk}/children")
    assert response.json() == {"count": 0, "items": []}


# --- audit trail of a partner ----------------------------------------------------------------


def test_it_shows_the_audit_trail_of_a_partner_and_its_records(world, api_client):
    # given
    client = api_client(world.channel)
    patch_json(client, f"/api/v1/partners/{world.dist_js.pk}", {"address": "新地址"})
    post_json(client, f"/api/v1/partners/{world.dist_js.pk}/contacts", {"name": "王五", "mobile": "13700000001"})
    # when
    response = api_client(world.dist_admin).get(f"/api/v1/partners/{world.dist_js.pk}/changes")
    # then
    assert response.status_code == 200
    items = response.json()["items"]
    contact_change, partner_change = items[0], items[1]
    assert (contact_change["action"], contact_change["model"], contact_change["actor"]) == (
        "create",
        "partners.partnercontact",
        "channel",
    )
    assert (partner_change["action"], partner_change["model"], partner_change["actor"]) == (
        "update",
        "partners.partner",
        "channel",
    )
    assert partner_change["changes"] == [{"field": "address", "before": "", "after": "新地址"}]
    assert all(item["partner_id"] == world.dist_js.pk for item in items)
    assert response.json()["count"] == ObjectChange.objects.filter(partner_id=world.dist_js.pk).count()


@pytest.mark.parametrize(("persona", "status"), [("dist_staff", 403), ("zj_admin", 404), ("regional_zj", 404)])
def test_the_audit_trail_of_a_partner_needs_the_role_and_the_scope(world, api_client, persona, status):
    response = api_client(world.users[persona]).get(f"/api/v1/partners/{world.dist_js.pk}/changes")
    assert response.status_code == status


def test_region_names_follow_the_users_language(world, api_client):
    world.admin.language = "zh-hant"
    world.admin.save()
    response = api_client(world.admin).get(f"/api/v1/partners/{world.sub_js.pk}")
    assert response.json()["region"] == {"code": "320500", "name": Region.objects.get(code="320500").name_hant}


def test_a_partner_user_sending_another_partners_id_is_refused_field_by_field(world, api_client):
    # given dist_admin may add contacts to its own partner
    client = api_client(world.dist_admin)
    # when it names dealer_zj in the body
    response = post_json(
        client,
        f"/api/v1/partners/{world.dist_js.pk}/contacts",
        {"name": "张三", "mobile": "13812345678", "partner": world.dealer_zj.pk},
    )
    # then nothing is written anywhere
    assert response.status_code == 422
    assert errors_of(response) == {"partner": ["This field is not accepted here."]}
    assert PartnerContact.objects.count() == 0
    # and filtering by another partner's id finds nothing rather than its sub-dealers
    assert client.get("/api/v1/partners", {"parent": world.dealer_zj.pk}).json() == {"count": 0, "items": []}
    assert api_client(world.zj_admin).get("/api/v1/partners", {"parent": world.dist_js.pk}).json()["count"] == 0
