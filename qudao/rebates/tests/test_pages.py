"""The rebate pages: the policy form with its tiers editor (bad input shown, nothing written),
submit, a run from preview to posted, a line's explanation and sources, and the partner portal."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

from qudao.rebates.models import RebateLine, RebatePolicy, RebateRun
from qudao.rebates.tests.conftest import rebate_balance

FORM = {
    "code": "PAGE-Q",
    "name": "页面季度返利",
    "basis": "net_sales_shipped",
    "period_kind": "quarter",
    "tier_style": "marginal",
    "effective_from": "2025-01-01",
    "target_partners": "",
    "tier_lower_0": "0",
    "tier_value_0": "1",
    "tier_lower_1": "100000",
    "tier_value_1": "2",
    "tier_lower_2": "300000",
    "tier_value_2": "3",
}


def test_it_writes_a_policy_from_the_form_and_shows_every_error_first(page_client, books, world):
    client = page_client(world.channel)
    # when the form has no partners, a negative cap and a first tier above 0
    bad = client.post("/rebates/policies/new/", {**FORM, "cap": "-5", "tier_lower_0": "10"})
    # then it is shown again with the errors, and nothing is written
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "Choose the partners: by tier, region, type or a list." in body
    assert "The first tier must start at 0." in body
    assert "Enter zero or more." in body
    assert RebatePolicy.objects.count() == 0
    # when it is right
    good = client.post(
        "/rebates/policies/new/", {**FORM, "target_partners": f"{world.dist_js.code}, {world.sub_js.code}"}
    )
    # then a draft with three tiers, submitted from its page into the approval flow
    policy = RebatePolicy.objects.get()
    assert (good.status_code, good["Location"]) == (302, f"/rebates/policies/{policy.pk}/")
    assert (policy.tier_style, policy.target_partners, policy.tiers.count()) == (
        "marginal",
        sorted([world.dist_js.code, world.sub_js.code]),
        3,
    )
    assert client.get(f"/rebates/policies/{policy.pk}/").status_code == 200
    assert client.get(f"/rebates/policies/{policy.pk}/edit/").status_code == 200
    client.post(f"/rebates/policies/{policy.pk}/submit/")
    policy.refresh_from_db()
    assert (policy.status, policy.approval.flow.name) == ("pending_approval", "返利政策审批")
    assert client.get("/rebates/policies/").status_code == 200


def test_it_takes_a_run_from_preview_to_posted_and_explains_it(page_client, books, world):
    # given an active marginal policy and 350,000.00 shipped by dist_js in Q1 2025
    policy = books.policy(tier_style="marginal")
    books.sale(world.dist_js, "hood_a", 350, "1000", date(2025, 2, 1))
    finance = page_client(world.finance)
    # when finance computes the preview from the page
    response = finance.post("/rebates/runs/new/", {"policy": policy.pk, "period": "2025-03-31", "kind": "final"})
    run = RebateRun.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/rebates/runs/{run.number}/")
    page = finance.get(f"/rebates/runs/{run.number}/").content.decode()
    assert "6,500.00" in page and 'data-testid="approve-run"' in page
    # and approves and posts it
    finance.post(f"/rebates/runs/{run.number}/approve/")
    finance.post(f"/rebates/runs/{run.number}/post/")
    run.refresh_from_db()
    assert (run.status, run.posted_total) == ("posted", D("6500.00"))
    assert rebate_balance(world.dist_js) == D("6500.00")
    # then the line explains the slices and lists the shipment it counted
    line = RebateLine.objects.get(run=run)
    explained = finance.get(f"/rebates/runs/{run.number}/lines/{line.pk}/").content.decode()
    # every figure with thousands separators: the basis, the slices, the next tier, the unit price
    assert "350,000.00" in explained and "350000.00" not in explained
    assert "tier 3: 50,000.00 → 1,500.00" in explained
    assert 'data-label="Net unit price">1,000.00</td>' in explained  # the shipment's net unit price
    assert explained.count('data-testid="source-row"') == 1
    # and the partner sees its fund and the line in the portal; another partner does not
    portal = page_client(world.dist_admin).get("/portal/rebates/").content.decode()
    assert 'data-testid="rebate-balance">CNY 6,500.00' in portal
    portal_line = page_client(world.dist_admin).get(f"/portal/rebates/{line.pk}/")
    assert portal_line.status_code == 200
    # on a phone the rows are stacked cards: every cell says what it is
    row = re.search(r'<tr data-testid="source-row">(.*?)</tr>', portal_line.content.decode(), re.S).group(1)
    assert row.count("<td") == 7 and row.count("data-label=") == 7
    assert page_client(world.zj_admin).get(f"/portal/rebates/{line.pk}/").status_code == 404
    # a bad request for a run is shown with its error
    refused = finance.post("/rebates/runs/new/", {"policy": policy.pk, "period": "2025-03-31", "kind": "interim"})
    assert refused.status_code == 422
    assert "This policy has no interim settlements." in refused.content.decode()
