"""Rebate progress of a past period: the portal, HQ's page and the API (?on=<a past day>), computed
with the runs' SQL - exact figures of a settled quarter a late return has since reduced, with what
was posted - scoped as the live progress, and a bad day refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from qudao.rebates import progress, runs
from qudao.rebates.models import RebateProgress

pytestmark = pytest.mark.django_db
URL = "/api/v1/rebates/progress"


@pytest.fixture
def q1(world, books):
    """dist_js under tiers 0 / 100,000 / 300,000 at 1 / 2 / 3 % (retrospective, quarterly): 300,000.00
    shipped in Q1 2025 and settled finally (9,000.00 posted); then 60,000.00 of it returned and
    credited on 15 April - the return reduces Q1 (the sale's period) but Q1 was not run again."""
    policy = books.policy(name="季度净销售")
    sale = books.sale(world.dist_js, "hood_a", 100, "3000.00", date(2025, 2, 10))
    run = runs.compute_run(policy=policy, period=date(2025, 2, 1), kind="final", actor=world.finance)
    runs.approve_run(run=run, actor=world.finance)
    runs.post_run(run=run, actor=world.finance)
    books.credit(sale, 20, date(2025, 4, 15))
    return policy


def test_it_computes_a_past_quarter_as_the_runs_do_with_what_was_posted(world, q1):
    # when dist_js's progress is read for a day of Q1 2025
    items = progress.progress_for(world.dist_js, date(2025, 3, 31))
    # then Q1 as a run would count it now: 240,000.00 at 2 % = 4,800.00, while 9,000.00 was posted
    (item,) = items
    assert (item.period_start, item.period_end, item.closed) == (date(2025, 1, 1), date(2025, 3, 31), True)
    assert (item.counted, item.basis, item.units, item.tier, item.earned, item.posted) == (
        D("240000"),
        D("240000"),
        D("80"),
        2,
        D("4800.00"),
        D("9000.00"),
    )
    assert (item.next_bound, item.missing, item.next_increase) == (D("300000"), D("60000"), D("4200.00"))
    assert item.sentence == "This period is over: ¥60,000 more would have lifted you to 3% (+¥4,200)."
    # and no progress row was written for it
    assert not RebateProgress.objects.filter(policy=q1, period_start=date(2025, 1, 1)).exists()
    # and the run of the period computes the same figures
    run = runs.compute_run(policy=q1, period=date(2025, 2, 1), kind="final", actor=world.finance)
    line = run.lines.get(partner=world.dist_js)
    assert (line.basis, line.amount, line.delta) == (D("240000"), D("4800.00"), D("-4200.00"))


def test_the_api_answers_a_past_period_in_scope_and_refuses_a_bad_day(world, q1, api_client):
    # when the partner asks for Q1 2025, and finance for dist_js
    own = api_client(world.dist_admin).get(URL, {"on": "2025-02-15"})
    hq = api_client(world.finance).get(URL, {"partner": world.dist_js.pk, "on": "2025-02-15"})
    # then both get the closed quarter's exact figures
    assert own.status_code == 200, own.content
    assert own.json() == hq.json()
    body = own.json()
    assert (body["partner"], body["on"]) == (world.dist_js.pk, "2025-02-15")
    (item,) = body["policies"]
    assert {key: item[key] for key in ("period_start", "period_end", "closed", "counted", "basis", "units")} == {
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "closed": True,
        "counted": "240000.00",
        "basis": "240000.00",
        "units": "80.00",
    }
    assert (item["tier"], item["earned"], item["posted"], item["next_increase"]) == (2, "4800.00", "9000.00", "4200.00")
    # and another partner's user naming dist_js, or a regional manager of another region: 404
    assert api_client(world.zj_admin).get(URL, {"partner": world.dist_js.pk, "on": "2025-02-15"}).status_code == 404
    assert api_client(world.regional_zj).get(URL, {"partner": world.dist_js.pk, "on": "2025-02-15"}).status_code == 404
    # and a day ahead or not a date: 422 on `on`
    for day, message in (
        ("2099-01-01", "Choose today or a day in the past."),
        ("2025-02-30", "Enter a date as YYYY-MM-DD."),
    ):
        response = api_client(world.dist_admin).get(URL, {"on": day})
        assert response.status_code == 422
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("on", message)]
    # and today's progress is still the live one (the current period is not closed)
    now = api_client(world.dist_admin).get(URL).json()
    assert [p["closed"] for p in now["policies"]] == [False]


def test_the_portal_and_hq_pages_show_a_past_quarter(world, q1, page_client):
    # when the partner opens its progress for 31 March 2025
    response = page_client(world.dist_admin).get("/portal/rebates/progress/", {"on": "2025-03-31"})
    html = response.content.decode()
    # then Q1's card as it closed, with what was posted
    assert response.status_code == 200
    assert html.count('data-testid="progress-card"') == 1
    assert 'data-testid="progress-basis">¥240,000<' in html
    assert 'data-testid="progress-earned">¥4,800.00<' in html
    assert "This period is over: ¥60,000 more would have lifted you to 3% (+¥4,200)." in html
    assert "Posted to your rebate fund for this period: 9,000.00" in html
    # and a day ahead is refused on the page
    refused = page_client(world.dist_admin).get("/portal/rebates/progress/", {"on": "2099-01-01"})
    assert refused.status_code == 422
    assert 'data-testid="error-on">Choose today or a day in the past.<' in refused.content.decode()
    # when finance opens dist_js's progress page for that day
    path = f"/rebates/partners/{world.dist_js.pk}/progress/"
    hq = page_client(world.finance).get(path, {"on": "2025-03-31"})
    html = hq.content.decode()
    # then the same figures
    assert hq.status_code == 200
    assert 'data-testid="progress-earned">¥4,800.00<' in html
    assert 'data-testid="progress-posted">9,000.00<' in html
    assert 'data-testid="progress-closed"' in html
    # and a regional manager of another region gets 404
    assert page_client(world.regional_zj).get(path, {"on": "2025-03-31"}).status_code == 404
