"""Reference data every installation needs: the regions of China, default tiers and default
approval flows. Loaded by a data migration (idempotent; safe to run again)."""

import json
from pathlib import Path

REGIONS_FILE = Path(__file__).parent / "data" / "regions_cn.json"

DEFAULT_TIERS = [
    ("strategic", "战略", 1, "战略伙伴：品牌最大的经销商"),
    ("gold", "金牌", 2, "金牌伙伴"),
    ("silver", "银牌", 3, "银牌伙伴"),
    ("registered", "注册", 4, "注册伙伴：新伙伴的起始等级"),
]

DEFAULT_FLOWS = [
    {
        "subject_kind": "partner_application",
        "name": "经销商准入（两级审批）",
        "conditions": {"partner_type": "distributor"},
        "priority": 10,
        "steps": [("区域经理初审", "regional_manager", True), ("渠道经理终审", "channel_manager", False)],
    },
    {
        "subject_kind": "partner_application",
        "name": "伙伴准入",
        "conditions": {},
        "priority": 0,
        "steps": [("渠道经理审批", "channel_manager", False)],
    },
    {
        "subject_kind": "credit_change",
        "name": "授信额度调整审批",
        "conditions": {},
        "priority": 0,
        "steps": [("渠道经理审核", "channel_manager", False), ("管理层审批", "admin", False)],
    },
    {
        "subject_kind": "order",
        "name": "订单审批",
        "conditions": {},
        "priority": 0,
        "steps": [("渠道经理审核", "channel_manager", False)],
    },
]


def load_regions(Region) -> int:
    data = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    country_data = data["country"]
    country, _ = Region.objects.update_or_create(
        code=country_data["code"],
        defaults={
            "name": country_data["name"],
            "name_en": country_data.get("name_en", ""),
            "name_hant": country_data.get("name_hant", ""),
            "level": "country",
            "parent": None,
            "path": f"{country_data['code']}/",
        },
    )
    count = 1
    for province_data in data["provinces"]:
        province, _ = Region.objects.update_or_create(
            code=province_data["code"],
            defaults={
                "name": province_data["name"],
                "name_en": province_data.get("name_en", ""),
                "name_hant": province_data.get("name_hant", ""),
                "level": "province",
                "parent": country,
                "path": f"{country.path}{province_data['code']}/",
            },
        )
        count += 1
        for city_data in province_data.get("cities", []):
            Region.objects.update_or_create(
                code=city_data["code"],
                defaults={
                    "name": city_data["name"],
                    "name_en": city_data.get("name_en", ""),
                    "name_hant": city_data.get("name_hant", ""),
                    "level": "city",
                    "parent": province,
                    "path": f"{province.path}{city_data['code']}/",
                },
            )
            count += 1
    return count


def load_tiers(Tier) -> None:
    for code, name, rank, description in DEFAULT_TIERS:
        if not Tier.objects.filter(code=code).exists() and not Tier.objects.filter(rank=rank).exists():
            Tier.objects.create(code=code, name=name, rank=rank, description=description)


def load_flows(ApprovalFlow, ApprovalStep) -> None:
    for flow_data in DEFAULT_FLOWS:
        if ApprovalFlow.objects.filter(subject_kind=flow_data["subject_kind"], name=flow_data["name"]).exists():
            continue
        flow = ApprovalFlow.objects.create(
            subject_kind=flow_data["subject_kind"],
            name=flow_data["name"],
            conditions=flow_data["conditions"],
            priority=flow_data["priority"],
        )
        for sequence, (name, role, match_region) in enumerate(flow_data["steps"], start=1):
            ApprovalStep.objects.create(
                flow=flow, sequence=sequence, name=name, approver_role=role, match_region=match_region
            )
