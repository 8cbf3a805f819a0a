"""Exports of rebate lines (qudao.core.exports): a run's lines on its page for HQ in its scope, a
partner's posted lines in its portal - exact cells."""

from __future__ import annotations

import datetime
from datetime import date

from qudao.core.tests.export_reading import column, rows_of, sheet_of
from qudao.rebates import runs

Q1 = date(2025, 2, 1)


def test_it_exports_a_run_s_lines_and_a_partner_s_posted_lines(books, world, page_client):
    # given Q1 2025: dist_js shipped 150,000.00 (2 % = 3,000.00), sub_js 50,000.00 (1 % = 500.00)
    policy = books.policy(target_partners=[world.dist_js.code, world.sub_js.code])
    books.sale(world.dist_js, "hood_a", 100, "1500.00", date(2025, 2, 10))
    books.sale(world.sub_js, "hood_a", 50, "1000.00", date(2025, 2, 11))
    run = runs.compute_run(policy=policy, period=Q1, kind="final", actor=world.finance)
    # when finance exports the run's page
    response = page_client(world.finance).get(f"/rebates/runs/{run.number}/", {"format": "xlsx"})
    rows = rows_of(response)
    # then one row per partner, with the figures of the run
    assert rows[0][:8] == [
        "Run number",
        "Policy code",
        "Policy",
        "Partner code",
        "Partner",
        "Period from",
        "Period to",
        "Basis",
    ]
    by_partner = {row[3]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_partner) == {world.dist_js.code, world.sub_js.code}
    dist = by_partner[world.dist_js.code]
    assert (dist["Run number"], dist["Policy code"], dist["Basis"], dist["Rebate tier reached"]) == (
        run.number,
        policy.code,
        150000,
        2,
    )
    assert (dist["Rate or value"], dist["Rebate"], dist["To post"], dist["Posted"]) == (2, 3000, 3000, None)
    assert dist["Conditions met"] == "yes"
    assert dist["Period to"] == datetime.datetime(2025, 3, 31)
    assert by_partner[world.sub_js.code]["Rebate"] == 500
    assert sheet_of(response).cell(row=2, column=8).number_format == "#,##0.00"
    # the Zhejiang regional manager sees the run but none of its lines
    assert rows_of(page_client(world.regional_zj).get(f"/rebates/runs/{run.number}/", {"format": "xlsx"}))[1:] == []
    # a partner sees nothing before posting, then only its own posted line
    assert rows_of(page_client(world.sub_admin).get("/portal/rebates/", {"format": "xlsx"}))[1:] == []
    runs.approve_run(run=run, actor=world.finance)
    runs.post_run(run=run, actor=world.finance)
    rows = rows_of(page_client(world.sub_admin).get("/portal/rebates/", {"format": "xlsx"}))
    assert column(rows, "Partner code") == [world.sub_js.code]
    assert column(rows, "Posted") == [500]
    assert isinstance(column(rows, "Posted at")[0], datetime.datetime)
    rows = rows_of(page_client(world.dist_admin).get("/portal/rebates/", {"format": "xlsx"}))
    assert column(rows, "Partner code") == [world.dist_js.code]
