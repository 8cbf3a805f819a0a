"""The rebates API: policies (bad input, approval through the two-step flow, versions), runs as
jobs (preview, approve, post), lines with their explanation and sources, and who sees what."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

from qudao.core import approvals
from qudao.rebates.models import RebatePolicy, RebateRun, RebateTier
from qudao.rebates.tests.conftest import rebate_balance

POLICY = {
    "code": "Q-NET",
    "name": "季度净销售返利",
    "basis": "net_sales_shipped",
    "period_kind": "quarter",
    "tier_style": "retrospective",
    "effective_from": "2025-01-01",
    "target_tiers": ["gold"],
    "tiers": [
        {"lower_bound": "0", "value": "1"},
        {"lower_bound": "100000", "value": "2"},
        {"lower_bound": "300000", "value": "3"},
    ],
}


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_it_refuses_a_bad_policy_with_every_field_and_writes_nothing(api_client, books, world):
    # given overlapping and gapped tiers, a negative cap and no target
    body = {
        **POLICY,
        "cap": "-1",
        "returns_count_in": "whenever",
        "target_tiers": [],
        "tiers": [
            {"lower_bound": "0", "upper_bound": "90000", "value": "1"},
            {"lower_bound": "100000", "value": "2"},
            {"lower_bound": "100000", "value": "3"},
        ],
    }
    # when
    response = post(api_client(world.channel), "/api/v1/rebates/policies", body)
    # then
    assert response.status_code == 422
    assert {error["field"]: error["message"] for error in response.json()["errors"]} == {
        "cap": "Enter zero or more.",
        "returns_count_in": "Choose one of shipment_period, credit_note_period.",
        "targets": "Choose the partners: by tier, region, type or a list.",
        "tiers.0.upper_bound": "Gap: nothing covers 90,000 to 100,000.",
        "tiers.2.lower_bound": "Two tiers start at the same amount: the tiers overlap.",
    }
    assert (RebatePolicy.objects.count(), RebateTier.objects.count()) == (0, 0)


def test_it_takes_a_policy_through_approval_then_versions_it(api_client, books, world):
    channel, finance = api_client(world.channel), api_client(world.finance)
    # given a draft
    created = post(channel, "/api/v1/rebates/policies", POLICY)
    assert created.status_code == 201, created.content
    policy = created.json()
    assert (policy["status"], policy["version"], policy["returns_count_in"], policy["tiers"][1]) == (
        "draft",
        1,
        "shipment_period",
        {"lower_bound": "100000.00", "upper_bound": "300000.00", "reward": "rate", "value": "2"},
    )
    assert post(finance, "/api/v1/rebates/policies", {**POLICY, "code": "X"}).status_code == 403
    # when it is submitted: channel manager, then finance approve
    submitted = post(channel, f"/api/v1/rebates/policies/{policy['id']}/submit").json()
    assert submitted["status"] == "pending_approval"
    approvals.decide(request_id=submitted["approval_id"], actor=world.channel, decision="approve")
    assert RebatePolicy.objects.get().status == "pending_approval"
    approvals.decide(request_id=submitted["approval_id"], actor=world.finance, decision="approve")
    # then it is active and no longer editable
    assert channel.get(f"/api/v1/rebates/policies/{policy['id']}").json()["status"] == "active"
    patched = channel.patch(
        f"/api/v1/rebates/policies/{policy['id']}", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert patched.status_code == 409
    # when Q1 2025 is posted and a next version is written
    books.sale(world.dist_js, "hood_a", 100, "1000", date(2025, 2, 1))
    run = post(finance, "/api/v1/rebates/runs", {"policy": policy["id"], "period": "2025-02-01", "kind": "final"})
    assert run.status_code == 202, run.content
    number = run.json()["run"]["id"]
    assert post(finance, f"/api/v1/rebates/runs/{number}/approve").status_code == 200
    assert post(finance, f"/api/v1/rebates/runs/{number}/post").json()["run"]["status"] == "posted"
    version = post(channel, f"/api/v1/rebates/policies/{policy['id']}/versions")
    assert version.status_code == 201
    draft = version.json()
    assert (draft["version"], draft["supersedes"], draft["status"]) == (2, policy["id"], "draft")
    # then it may not take over inside the posted quarter
    channel.patch(
        f"/api/v1/rebates/policies/{draft['id']}",
        json.dumps({"effective_from": "2025-03-01", "tiers": [{"lower_bound": "0", "value": "5"}]}),
        content_type="application/json",
    )
    refused = post(channel, f"/api/v1/rebates/policies/{draft['id']}/submit")
    assert refused.status_code == 422
    assert {error["field"]: error["message"] for error in refused.json()["errors"]} == {
        "effective_from": "Version 1 posted rebates until 2025-03-31: this version can take effect from 2025-04-01."
    }
    # and from 1 April it does; once approved the first version is superseded the day before
    channel.patch(
        f"/api/v1/rebates/policies/{draft['id']}",
        json.dumps({"effective_from": "2025-04-01"}),
        content_type="application/json",
    )
    pending = post(channel, f"/api/v1/rebates/policies/{draft['id']}/submit").json()
    approvals.decide(request_id=pending["approval_id"], actor=world.channel, decision="approve")
    approvals.decide(request_id=pending["approval_id"], actor=world.finance, decision="approve")
    old = channel.get(f"/api/v1/rebates/policies/{policy['id']}").json()
    assert (old["status"], old["effective_to"]) == ("superseded", "2025-03-31")


def test_it_runs_posts_and_explains_a_line_to_whom_may_see_it(api_client, books, world):
    # given a policy over dist_js and sub_js, with sales and a return
    policy = books.policy(target_partners=[world.dist_js.code, world.sub_js.code])
    sold = books.sale(world.dist_js, "hood_a", 150, "1000", date(2025, 2, 1))
    books.credit(sold, 10, date(2025, 3, 1))
    finance = api_client(world.finance)
    # when finance computes a preview
    created = post(finance, "/api/v1/rebates/runs", {"policy": policy.pk, "period": "2025-01-01", "kind": "final"})
    # then
    assert created.status_code == 202
    run = created.json()["run"]
    assert (created.json()["job"]["status"], run["status"], run["amount_total"]) == ("succeeded", "preview", "2800.00")
    lines = finance.get(f"/api/v1/rebates/runs/{run['id']}/lines").json()
    line = next(item for item in lines["items"] if item["partner"]["code"] == world.dist_js.code)
    assert (line["basis"], line["tier_reached"], line["amount"], line["posted_amount"]) == (
        "140000.00",
        2,
        "2800.00",
        None,
    )
    # a partner does not see a preview's line
    assert api_client(world.dist_admin).get(f"/api/v1/rebates/lines/{line['id']}").status_code == 404
    # when approved and posted
    assert post(api_client(world.channel), f"/api/v1/rebates/runs/{run['id']}/approve").status_code == 403
    post(finance, f"/api/v1/rebates/runs/{run['id']}/approve")
    posted = post(finance, f"/api/v1/rebates/runs/{run['id']}/post").json()
    assert (posted["job"]["progress_done"], posted["run"]["posted_total"]) == (2, "2800.00")
    assert rebate_balance(world.dist_js) == D("2800.00")
    # then the partner sees its line and what it counted; another partner does not
    mine = api_client(world.dist_admin).get(f"/api/v1/rebates/lines/{line['id']}")
    assert (mine.status_code, mine.json()["posted_amount"]) == (200, "2800.00")
    assert api_client(world.zj_admin).get(f"/api/v1/rebates/lines/{line['id']}").status_code == 404
    assert api_client(world.zj_admin).get("/api/v1/rebates/lines").json()["count"] == 0
    sources = api_client(world.dist_admin).get(f"/api/v1/rebates/lines/{line['id']}/sources").json()
    assert (sources["kind"], sources["kinds"], sources["count"]) == ("shipments", ["shipments", "credit_notes"], 1)
    assert (sources["items"][0]["quantity"], sources["items"][0]["amount"]) == (150, "150000.00")
    credits = finance.get(f"/api/v1/rebates/lines/{line['id']}/sources", {"kind": "credit_notes"}).json()
    assert [(item["quantity"], item["amount"]) for item in credits["items"]] == [(10, "-10000.00")]
    assert finance.get(f"/api/v1/rebates/lines/{line['id']}/sources", {"kind": "payments"}).status_code == 404
    # and posting again is refused; partner users may not read runs
    assert post(finance, f"/api/v1/rebates/runs/{run['id']}/post").status_code == 409
    assert api_client(world.dist_admin).get("/api/v1/rebates/runs").status_code == 403
    assert RebateRun.objects.get().status == "posted"
