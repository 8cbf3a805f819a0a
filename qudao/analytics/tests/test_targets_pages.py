"""Targets through the API and the pages: create, break down (exact figures, refusals as problem
details per field), roll up, submit, versions, the plan page, the .xlsx export and the portal."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl

from qudao.analytics import targets as svc
from qudao.analytics.models import Target, TargetPlan
from qudao.core.models import ApprovalFlow


def approved_plan(world):
    """Brand 1,200.00 -> Jiangsu -> dist_js, every year into quarters, approved."""
    ApprovalFlow.objects.filter(subject_kind="target_plan").update(is_active=False)
    year = date.today().year
    plan = svc.create_plan(
        data={"code": "P", "name": "销售目标", "year": year, "metric": "net_sales_shipped", "amount": "1200.00"},
        actor=world.channel,
    )
    brand = svc.brand_target(plan)
    js = world.regions["jiangsu"].pk
    svc.break_down(target=brand, into="regions", method="even", subjects=[js])
    region = Target.objects.get(plan=plan, subject_key=f"region:{js}")
    svc.break_down(target=region, into="partners", method="even", subjects=[world.dist_js.pk])
    for target in Target.objects.filter(plan=plan, period_kind="year"):
        svc.break_down(target=target, into="quarters", method="even")
    return svc.submit_plan(plan=plan, actor=world.channel)


def test_it_writes_and_breaks_down_a_plan_through_the_api(world, api_client):
    client = api_client(world.channel)
    # when a plan is created
    response = client.post(
        "/api/v1/analytics/targets",
        {"code": "API", "name": "接口目标", "year": 2025, "metric": "payments", "amount": "90000.00"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount"], len(body["targets"])) == ("draft", "90000.00", 1)
    plan_id, brand_id = body["id"], body["targets"][0]["id"]
    # a breakdown by hand that does not sum: 422 at "amounts", nothing changed
    response = client.post(
        f"/api/v1/analytics/targets/{plan_id}/breakdown",
        {
            "target": brand_id,
            "into": "quarters",
            "method": "by_hand",
            "amounts": {"2025-01-01": "30000", "2025-04-01": "30000", "2025-07-01": "20000", "2025-10-01": "9999.99"},
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {error["field"]: error["message"] for error in response.json()["errors"]} == {
        "amounts": "The amounts sum to CNY 89,999.99; they must sum to the target, CNY 90,000.00."
    }
    assert Target.objects.filter(plan_id=plan_id).count() == 1
    # evenly: 22,500.00 a quarter
    response = client.post(
        f"/api/v1/analytics/targets/{plan_id}/breakdown",
        {"target": brand_id, "into": "quarters", "method": "even"},
        content_type="application/json",
    )
    assert response.status_code == 200
    quarters = [row for row in response.json()["targets"] if row["period_kind"] == "quarter"]
    assert [(row["period"], row["target"]) for row in quarters] == [
        ("Q1 2025", "22500.00"),
        ("Q2 2025", "22500.00"),
        ("Q3 2025", "22500.00"),
        ("Q4 2025", "22500.00"),
    ]
    # bad input: a 1e30 target and an unknown field
    response = client.post(
        "/api/v1/analytics/targets",
        {"code": "X", "name": "x", "year": 2025, "metric": "payments", "amount": "1e30", "extra": 1},
        content_type="application/json",
    )
    assert response.status_code == 422
    # a plan that does not sum cannot be submitted: 422 at the row, per row
    Target.objects.filter(plan_id=plan_id, period_start="2025-10-01").update(amount=Decimal("1.00"))
    response = client.post(f"/api/v1/analytics/targets/{plan_id}/submit")
    assert response.status_code == 422
    assert {error["field"]: error["message"] for error in response.json()["errors"]} == {
        f"targets.{brand_id}": "Whole brand 2025: its periods sum to CNY 67,501.00, not CNY 90,000.00."
    }
    response = client.post(f"/api/v1/analytics/targets/{plan_id}/roll-up")
    assert [row["target"] for row in response.json()["targets"] if row["level"] == "brand"][0] == "67501.00"
    # submitted: pending the administrator's approval
    response = client.post(f"/api/v1/analytics/targets/{plan_id}/submit")
    assert (response.status_code, response.json()["status"]) == (200, "pending_approval")
    # finance reads but does not write; a partner user is refused
    assert api_client(world.finance).get(f"/api/v1/analytics/targets/{plan_id}").status_code == 200
    assert api_client(world.finance).post(f"/api/v1/analytics/targets/{plan_id}/versions").status_code == 403
    # a regional manager reads the plan, not the brand's target
    assert api_client(world.regional_js).get(f"/api/v1/analytics/targets/{plan_id}").json()["amount"] is None
    assert api_client(world.finance).get("/api/v1/analytics/targets").json()["items"][0]["amount"] == "67501.00"
    assert api_client(world.dist_admin).get("/api/v1/analytics/targets").status_code == 403


def test_the_plan_page_export_and_portal(world, page_client):
    plan = approved_plan(world)
    assert plan.status == TargetPlan.Status.APPROVED
    # the HQ page shows the tree for the year with the status words
    response = page_client(world.channel).get(f"/analytics/targets/{plan.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-testid="target-row"') == 3
    assert "1,200.00" in text
    # a quarter
    response = page_client(world.regional_js).get(f"/analytics/targets/{plan.pk}/?period=quarter:{plan.year}-04-01")
    assert response.content.decode().count('data-testid="target-row"') == 2  # Jiangsu and dist_js, no brand
    # the export
    response = page_client(world.channel).get(f"/analytics/targets/{plan.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 15
    assert values[0][:6] == ("Brand", None, "Whole brand", str(plan.year), 1200, 0)
    assert values[1][:5] == ("Region", "320000", "Jiangsu", str(plan.year), 1200)
    assert values[3][:5] == ("Brand", None, "Whole brand", f"{plan.year}-Q1", 300)
    # the portal: dist_js's own year and quarters
    response = page_client(world.dist_admin).get("/portal/targets/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="portal-target-row"') == 5
    response = page_client(world.zj_admin).get("/portal/targets/")
    assert response.content.decode().count('data-testid="portal-target-row"') == 0
    # the breakdown form of an approved plan is refused (read-only): the manager is sent back
    brand = svc.brand_target(plan)
    response = page_client(world.channel).post(
        f"/analytics/targets/{plan.pk}/targets/{brand.pk}/breakdown/", {"into": "quarters", "method": "even"}
    )
    assert response.status_code == 302
    assert Target.objects.filter(plan=plan).count() == 15


def test_the_breakdown_form_by_hand(world, page_client):
    plan = svc.create_plan(
        data={"code": "F", "name": "表单", "year": 2025, "metric": "new_partners", "amount": "10"}, actor=world.channel
    )
    brand = svc.brand_target(plan)
    client = page_client(world.channel)
    url = f"/analytics/targets/{plan.pk}/targets/{brand.pk}/breakdown/"
    grid = client.get(url + "?into=quarters&method=by_hand")
    assert grid.status_code == 200
    assert 'name="amount_2025-01-01" inputmode="decimal" value="3"' in grid.content.decode()  # 3 + 3 + 2 + 2
    data = {"into": "quarters", "method": "by_hand", "amount_2025-01-01": "4", "amount_2025-04-01": "3"}
    data |= {"amount_2025-07-01": "2", "amount_2025-10-01": "2"}
    response = client.post(url, data)
    assert response.status_code == 422
    assert "The amounts sum to 11; they must sum to the target, 10." in response.content.decode()
    data["amount_2025-10-01"] = "1"
    response = client.post(url, data)
    assert response.status_code == 302
    assert [t.amount for t in Target.objects.filter(plan=plan, period_kind="quarter").order_by("period_start")] == [
        Decimal("4"),
        Decimal("3"),
        Decimal("2"),
        Decimal("1"),
    ]


def test_the_api_bounds_its_inputs(world, api_client):
    client = api_client(world.channel)
    plan = svc.create_plan(
        data={"code": "B", "name": "边界", "year": 2025, "metric": "payments", "amount": "100.00"}, actor=world.channel
    )
    brand = svc.brand_target(plan)
    url = f"/api/v1/analytics/targets/{plan.pk}/breakdown"
    too_many = {str(i): "0" for i in range(svc.MAX_CHILDREN + 1)}
    for body, field in (
        ({"target": brand.pk, "into": "quarters", "method": "by_hand", "amounts": too_many}, "amounts"),
        ({"target": brand.pk, "into": "quarters", "method": "sideways"}, "method"),
        ({"target": brand.pk, "into": "weeks", "method": "even"}, "into"),
        ({"target": 10**15, "into": "quarters", "method": "even"}, "target"),
    ):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 422, body
        assert field in {error["field"] for error in response.json()["errors"]}
    assert client.get(f"/api/v1/analytics/targets/{plan.pk}?as_of=2025-13-01").status_code == 422
    assert client.get("/api/v1/analytics/targets/99999999").status_code == 404
    assert Target.objects.filter(plan=plan).count() == 1


def test_a_draft_that_does_not_sum_names_its_rows_to_its_writers_only(world, page_client):
    plan = svc.create_plan(
        data={"code": "S", "name": "未平", "year": 2025, "metric": "payments", "amount": "100.00"}, actor=world.channel
    )
    zj = world.regions["zhejiang"].pk
    svc.break_down(target=svc.brand_target(plan), into="regions", method="even", subjects=[zj])
    Target.objects.filter(plan=plan, level="region").update(amount=Decimal("90.00"))
    message = "Whole brand 2025: the targets below it sum to CNY 90.00, not CNY 100.00."
    assert message in page_client(world.channel).get(f"/analytics/targets/{plan.pk}/").content.decode()
    page = page_client(world.regional_js).get(f"/analytics/targets/{plan.pk}/").content.decode()
    assert "target-plan-problems" not in page and "Zhejiang" not in page
