"""Import: a clean file previews, commits all or nothing, and importing it again changes nothing."""

import io

import openpyxl
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from qudao.core.models import Job, ObjectChange, OutboxEvent
from qudao.partners.models import Partner, PartnerContact, TierChange

HEADER = [
    "伙伴编码",
    "类型",
    "公司名称",
    "简称",
    "统一社会信用代码",
    "地区",
    "地址",
    "等级",
    "上级经销商编码",
    "授权产品线",
    "标签",
    "渠道经理",
    "联系人",
    "联系人手机",
    "联系人邮箱",
]


def xlsx(rows, name="partners.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def clean_rows(uscc):
    return [
        HEADER,
        [
            "JS100",
            "经销商",
            "南京新街口电器有限公司",
            "新街口电器",
            uscc(101),
            "320100",
            "南京市玄武区中山路1号",
            "gold",
            "",
            "空调,冰箱",
            "重点客户",
            "channel",
            "王芳",
            "13912340001",
            "wang@example.cn",
        ],
        [
            "JS101",
            "分销商",
            "苏州观前电器经营部",
            "观前电器",
            uscc(102),
            "苏州市",
            "",
            "",
            "JS100",
            "空调",
            "",
            "",
            "李强",
            13912340002,
            "",
        ],
        [
            "ZJ200",
            "dealer",
            "杭州湖滨家电有限公司",
            "",
            uscc(103),
            "330100",
            "",
            "silver",
            "",
            "",
            "",
            "",
            "赵敏",
            "",
            "zhao@example.cn",
        ],
    ]


def upload(client, file):
    return client.post("/api/v1/partners/imports", {"file": file})


def test_it_previews_commits_and_reimports_a_clean_file_without_changes(world, api_client, uscc):
    # given: the channel manager and a clean 3-row workbook (a distributor, its sub-dealer, an independent dealer)
    client = api_client(world.channel)
    partners_before = Partner.objects.count()
    changes_before = ObjectChange.objects.count()

    # when: the file is previewed
    response = upload(client, xlsx(clean_rows(uscc)))

    # then: 3 creates, no errors, nothing written yet
    assert response.status_code == 201
    preview = response.json()
    assert [(row["row"], row["action"], row["errors"]) for row in preview["rows"]] == [
        (2, "create", {}),
        (3, "create", {}),
        (4, "create", {}),
    ]
    assert preview["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert preview["errors"] == []
    assert preview["can_commit"] is True
    assert Partner.objects.count() == partners_before
    assert ObjectChange.objects.count() == changes_before

    # when: it is committed
    response = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: the job ran and created exactly those 3 partners
    assert response.status_code == 202
    job = response.json()
    assert job["kind"] == "partners.import"
    job = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["status"] == "succeeded"
    assert job["result"] == {"preview_id": preview["id"], "total_rows": 3, "created": 3, "updated": 0, "unchanged": 0}
    assert job["percent"] == 100
    assert Partner.objects.count() == partners_before + 3
    dist = Partner.objects.get(code="JS100")
    sub = Partner.objects.get(code="JS101")
    dealer = Partner.objects.get(code="ZJ200")
    assert (dist.partner_type, dist.legal_name, dist.credit_code, dist.region.code, dist.tier.code) == (
        "distributor",
        "南京新街口电器有限公司",
        uscc(101),
        "320100",
        "gold",
    )
    assert dist.product_lines == ["冰箱", "空调"]
    assert [tag.name for tag in dist.tags.all()] == ["重点客户"]
    assert dist.channel_manager == world.channel
    assert (sub.partner_type, sub.region.code, sub.parent_id, sub.tier.code) == (
        "dealer",
        "320500",
        dist.pk,
        "registered",
    )
    assert dist.path == f"/{dist.pk}/"
    assert sub.path == f"/{dist.pk}/{sub.pk}/"
    assert (dealer.partner_type, dealer.parent_id, dealer.path) == ("dealer", None, f"/{dealer.pk}/")
    contacts = {
        c.partner.code: (c.name, c.mobile, c.email, c.is_primary)
        for c in PartnerContact.objects.filter(partner__in=[dist, sub, dealer]).select_related("partner")
    }
    assert contacts == {
        "JS100": ("王芳", "13912340001", "wang@example.cn", True),
        "JS101": ("李强", "13912340002", "", True),
        "ZJ200": ("赵敏", "", "zhao@example.cn", True),
    }
    # one audit entry per created record (3 partners, 3 contacts), plus one for the tags of each
    # partner that has some (a many-to-many change), all by the importing user
    new_changes = ObjectChange.objects.filter(pk__gt=0).order_by("pk")[changes_before:]
    partner_type = ContentType.objects.get_for_model(Partner)
    contact_type = ContentType.objects.get_for_model(PartnerContact)
    assert sorted((c.content_type_id, c.object_id, c.action) for c in new_changes) == sorted(
        [(partner_type.pk, str(p.pk), "create") for p in (dist, sub, dealer)]
        + [(partner_type.pk, str(p.pk), "update") for p in (dist, sub, dealer) if p.tags.exists()]
        + [
            (contact_type.pk, str(c.pk), "create")
            for c in PartnerContact.objects.filter(partner__in=[dist, sub, dealer])
        ]
    )
    assert {c.actor_id for c in new_changes} == {world.channel.pk}
    assert (
        OutboxEvent.objects.filter(
            event_type="partner.created", aggregate_id__in=[str(dist.pk), str(sub.pk), str(dealer.pk)]
        ).count()
        == 3
    )
    assert client.get(f"/api/v1/partners/imports/{preview['id']}").json()["commit_job"]["status"] == "succeeded"

    # when: the same file is imported again
    stamps = dict(Partner.objects.filter(code__in=["JS100", "JS101", "ZJ200"]).values_list("code", "updated_at"))
    changes_after_first = ObjectChange.objects.count()
    events_after_first = OutboxEvent.objects.count()
    again = upload(client, xlsx(clean_rows(uscc))).json()

    # then: every row is unchanged, and committing writes nothing
    assert [(row["row"], row["action"], row["code"]) for row in again["rows"]] == [
        (2, "unchanged", "JS100"),
        (3, "unchanged", "JS101"),
        (4, "unchanged", "ZJ200"),
    ]
    response = client.post(f"/api/v1/partners/imports/{again['id']}/commit")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["unchanged"] == 3
    assert ObjectChange.objects.count() == changes_after_first
    assert OutboxEvent.objects.count() == events_after_first
    assert Partner.objects.count() == partners_before + 3
    assert (
        dict(Partner.objects.filter(code__in=["JS100", "JS101", "ZJ200"]).values_list("code", "updated_at")) == stamps
    )


def test_it_processes_parents_first_whatever_the_row_order(world, api_client, uscc):
    # given: the sub-dealer's row comes before its distributor's row
    rows = clean_rows(uscc)
    rows = [rows[0], rows[2], rows[1]]
    client = api_client(world.admin)

    # when
    preview = upload(client, xlsx(rows)).json()
    response = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then
    assert response.status_code == 202
    assert Job.objects.get(pk=response.json()["id"]).status == Job.Status.SUCCEEDED
    dist = Partner.objects.get(code="JS100")
    assert Partner.objects.get(code="JS101").path == f"{dist.path}{Partner.objects.get(code='JS101').pk}/"


def test_it_updates_changed_rows_through_the_services(world, api_client, uscc):
    # given: the three partners imported, then a file that renames one, moves one tier and adds a contact
    client = api_client(world.channel)
    first = upload(client, xlsx(clean_rows(uscc))).json()
    client.post(f"/api/v1/partners/imports/{first['id']}/commit")
    rows = clean_rows(uscc)
    rows[1][3] = "新街口电器集团"  # short name
    rows[3][7] = "gold"  # tier silver -> gold
    rows[2][12:15] = ["周杰", "13912340009", ""]  # another contact for the sub-dealer
    changes_before = ObjectChange.objects.count()

    # when
    preview = upload(client, xlsx(rows)).json()

    # then: the preview says what changes
    assert [(row["row"], row["action"], row["changes"]) for row in preview["rows"]] == [
        (2, "update", ["short_name"]),
        (3, "update", ["contact_name"]),
        (4, "update", ["tier"]),
    ]

    # when
    response = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: one audit entry per changed record; the tier change is in the tier history with the reason
    assert Job.objects.get(pk=response.json()["id"]).status == Job.Status.SUCCEEDED
    dist = Partner.objects.get(code="JS100")
    dealer = Partner.objects.get(code="ZJ200")
    assert dist.short_name == "新街口电器集团"
    assert dealer.tier.code == "gold"
    tier_change = TierChange.objects.filter(partner=dealer).order_by("-pk").first()
    assert (tier_change.from_tier.code, tier_change.to_tier.code, tier_change.actor) == (
        "silver",
        "gold",
        world.channel,
    )
    assert tier_change.reason in ("Import", "导入")
    assert sorted(PartnerContact.objects.filter(partner__code="JS101").values_list("name", "is_primary")) == [
        ("周杰", False),
        ("李强", True),
    ]
    new_changes = list(ObjectChange.objects.order_by("pk")[changes_before:])
    assert sorted((c.object_repr, c.action) for c in new_changes) == sorted(
        [("新街口电器集团", "update"), ("周杰", "create"), (str(dealer), "update")]
    )


def test_it_creates_a_status_only_for_new_partners(world, api_client, uscc):
    # given: a file with a status column, for a new partner and for an existing one
    client = api_client(world.admin)
    header = ["code", "type", "legal_name", "credit_code", "region", "status"]
    rows = [
        header,
        ["NEW1", "agent", "无锡代理有限公司", uscc(301), "320200", "suspended"],
        [world.dealer_zj.code, "dealer", world.dealer_zj.legal_name, "", "330100", "terminated"],
    ]

    # when
    preview = upload(client, xlsx(rows)).json()
    client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: the new partner has the status; the existing one keeps its own (status is create-only)
    assert [(row["action"], row["changes"]) for row in preview["rows"]] == [("create", []), ("unchanged", [])]
    assert Partner.objects.get(code="NEW1").status == "suspended"
    world.dealer_zj.refresh_from_db()
    assert world.dealer_zj.status == "active"


def test_it_moves_and_detaches_sub_dealers(world, api_client, uscc):
    # given: a new distributor in the file, the existing sub-dealer moved under it, and an existing
    # sub-dealer of the new distributor's region detached (empty parent code)
    client = api_client(world.admin)
    sub = world.sub_js
    rows = [
        ["code", "type", "legal_name", "region", "parent_code"],
        [sub.code, "dealer", sub.legal_name, "320500", "SZ900"],
        ["SZ900", "distributor", "苏州新分销有限公司", "320500", ""],
    ]

    # when
    preview = upload(client, xlsx(rows)).json()
    response = client.post(f"/api/v1/partners/imports/{preview['id']}/commit")

    # then: parents first; the sub-dealer's path follows its new parent
    assert [(row["row"], row["action"], row["changes"]) for row in preview["rows"]] == [
        (2, "update", ["parent_code"]),
        (3, "create", []),
    ]
    assert Job.objects.get(pk=response.json()["id"]).status == Job.Status.SUCCEEDED
    new_parent = Partner.objects.get(code="SZ900")
    sub.refresh_from_db()
    assert (sub.parent_id, sub.path, sub.depth) == (new_parent.pk, f"/{new_parent.pk}/{sub.pk}/", 1)

    # when: the sub-dealer is detached
    detach = upload(client, xlsx([rows[0], [sub.code, "dealer", sub.legal_name, "320500", ""]])).json()
    client.post(f"/api/v1/partners/imports/{detach['id']}/commit")

    # then
    sub.refresh_from_db()
    assert (detach["rows"][0]["changes"], sub.parent_id, sub.path) == (["parent_code"], None, f"/{sub.pk}/")


def test_it_refuses_to_make_a_partner_its_own_descendant(world, api_client):
    # given: the distributor placed under its own sub-dealer turned distributor... through the file
    client = api_client(world.admin)
    rows = [
        ["code", "type", "legal_name", "region", "parent_code"],
        [world.sub_js.code, "distributor", world.sub_js.legal_name, "320500", world.dist_js.code],
        [world.dist_js.code, "distributor", world.dist_js.legal_name, "320100", world.sub_js.code],
    ]

    # when
    preview = upload(client, xlsx(rows)).json()

    # then: a cycle, found in the file, and nothing can be committed
    assert [sorted(row["errors"]) for row in preview["rows"]] == [["parent_code"], ["parent_code"]]
    assert preview["can_commit"] is False


def test_it_refuses_a_cycle_through_partners_that_are_not_in_the_file(world, api_client):
    # given: the sub-dealer is a distributor too; the file puts a new distributor under it and the
    # top distributor under the new one (the loop closes through the database)
    from qudao.partners import services

    services.update_partner(partner=world.sub_js, data={"partner_type": "distributor"})
    world.admin.language = "en"
    world.admin.save()
    client = api_client(world.admin)
    rows = [
        ["code", "type", "legal_name", "region", "parent_code"],
        ["LOOP1", "distributor", "苏州环路有限公司", "320500", world.sub_js.code],
        [world.dist_js.code, "distributor", world.dist_js.legal_name, "320100", "LOOP1"],
    ]

    # when
    preview = upload(client, xlsx(rows)).json()

    # then: the services' cycle rule, on the row that would close the loop
    assert [row["errors"] for row in preview["rows"]] == [
        {},
        {"parent_code": ["This would make a cycle: the parent is this partner or one of its sub-dealers."]},
    ]
