"""A plan's targets back in from the export: preview (every row checked, then the plan as the file
would leave it), commit all or nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import openpyxl

from qudao.analytics import targets as svc
from qudao.analytics import targets_import
from qudao.analytics.models import Target
from qudao.analytics.views_targets import export_xlsx


def draft(world):
    plan = svc.create_plan(
        data={"code": "IM", "name": "导入", "year": 2025, "metric": "net_sales_shipped", "amount": "1000.00"},
        actor=world.channel,
    )
    js = world.regions["jiangsu"].pk
    svc.break_down(target=svc.brand_target(plan), into="regions", method="even", subjects=[js])
    region = Target.objects.get(plan=plan, subject_key=f"region:{js}")
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk, world.sub_js.pk])
    return plan


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_export_goes_back_in_and_changes_by_hand_must_sum(world):
    plan = draft(world)
    content = export_xlsx(plan, world.channel, date(2025, 6, 1))
    # the export as it is: nothing to change, no errors
    payload = targets_import.preview(plan, "targets.xlsx", content)
    assert payload["total_rows"] == 4
    assert all(not row["errors"] for row in payload["rows"]) and payload["plan_errors"] == []
    # a file moving 100.00 from sub_js to dist_js: the plan still sums
    header = ["层级", "编码", "期间", "目标"]
    moved = workbook(
        [header, ["partner", world.dist_js.code, "2025", "600.00"], ["Partner", world.sub_js.code, "2025", "400"]]
    )
    payload = targets_import.preview(plan, "t.xlsx", moved)
    assert payload["plan_errors"] == [] and len(payload["amounts"]) == 2
    assert targets_import.commit(plan, payload, actor=world.channel) == 2
    assert Target.objects.get(plan=plan, partner=world.dist_js).amount == D("600.00")
    # a file that would break the sums: refused with the row that would not sum, nothing written
    broken = workbook([header, ["partner", world.dist_js.code, "2025", "700.00"]])
    payload = targets_import.preview(plan, "t.xlsx", broken)
    assert payload["plan_errors"] == ["Jiangsu 2025: the targets below it sum to CNY 1,100.00, not CNY 1,000.00."]
    # bad rows: each at its column
    bad = workbook(
        [
            header,
            ["partner", "NOPE", "2025", "1.00"],
            ["city", world.dist_js.code, "2025-13", "1.001"],
            ["brand", "", "2025-Q1", "-5"],
        ]
    )
    payload = targets_import.preview(plan, "t.csv.xlsx", bad)
    assert [row["errors"] for row in payload["rows"]] == [
        {"code": ["This plan has no such target; break the plan down first."]},
        {
            "level": ["Use brand, region, owner or partner."],
            "period": ["Write the period as 2026, 2026-Q1 or 2026-01."],
            "target": ["Enter at most two decimal places."],
        },
        {
            "target": ["A target cannot be negative."],
            "code": ["This plan has no such target; break the plan down first."],
        },
    ]
    assert payload["amounts"] == {} and payload["plan_errors"] == []
    assert Target.objects.get(plan=plan, partner=world.dist_js).amount == D("600.00")
