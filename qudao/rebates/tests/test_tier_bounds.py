"""Tier bounds mean the same in both styles, through the API and real runs: "up to 200 units
2.00 a unit, from 201 units 5.00 a unit" typed once gives both styles right (issue 10); and the data
migrations that keep existing policies paying what they paid (units bounds, returns' period)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

from qudao.rebates import runs, services
from qudao.rebates.models import RebateLine, RebatePolicy

UNIT_TIERS = [
    {"lower_bound": "0", "upper_bound": "200", "reward": "per_unit", "value": "2"},
    {"lower_bound": "201", "reward": "per_unit", "value": "5"},
]


def test_it_settles_units_tiers_typed_as_users_say_them_in_both_styles(books, world, api_client):
    # given two quantity policies on hoods written through the API as "up to 200 / from 201", one
    # marginal and one retrospective, and 250 hoods shipped to dist_js in Q1 2025, 201 in Q2, 200 in Q3
    channel = api_client(world.channel)
    policies = {}
    for style in ("marginal", "retrospective"):
        body = {
            "code": f"HOODS-{style}",
            "name": "油烟机台数返利",
            "basis": "quantity",
            "product_lines": ["hoods"],
            "period_kind": "quarter",
            "tier_style": style,
            "effective_from": "2025-01-01",
            "target_partners": [world.dist_js.code],
            "tiers": UNIT_TIERS,
        }
        created = channel.post("/api/v1/rebates/policies", json.dumps(body), content_type="application/json")
        assert created.status_code == 201, created.content
        assert [(t["lower_bound"], t["upper_bound"]) for t in created.json()["tiers"]] == [
            ("0.00", "200.00"),
            ("201.00", None),
        ]
        policy = RebatePolicy.objects.get(pk=created.json()["id"])
        policies[style] = services.activate_policy(policy=policy, actor=world.channel)
    quarters = {date(2025, 2, 10): 250, date(2025, 5, 10): 201, date(2025, 8, 10): 200}
    for day, units in quarters.items():
        books.sale(world.dist_js, "hood_a", units, "100.00", day)
    # when every quarter is settled by both policies
    earned = {}
    for style, policy in policies.items():
        for day in quarters:
            run = runs.compute_run(policy=policy, period=day, kind="final", actor=world.finance)
            line = RebateLine.objects.get(run=run, partner=world.dist_js)
            earned[(style, int(line.basis))] = line.amount
    # then the 201st unit is in the second tier in both styles
    assert earned == {
        ("marginal", 250): D("650.00"),  # 200 x 2 + 50 x 5
        ("marginal", 201): D("405.00"),  # 200 x 2 + 1 x 5
        ("marginal", 200): D("400.00"),
        ("retrospective", 250): D("1250.00"),
        ("retrospective", 201): D("1005.00"),
        ("retrospective", 200): D("400.00"),
    }


def test_the_migration_keeps_what_existing_marginal_units_policies_pay(books, world):
    # given policies written before bounds counted whole units: a marginal quantity policy
    # "from 200" (its slice started after the 200th unit: 250 units paid 200 x 2 + 50 x 5), a
    # retrospective one and a marginal amount policy, whose meaning does not change
    import importlib

    from django.apps import apps

    from qudao.rebates.models import RebateTier

    migration = importlib.import_module("qudao.rebates.migrations.0004_units_tier_bounds")
    old_units = [
        {"lower_bound": "0", "reward": "per_unit", "value": "2"},
        {"lower_bound": "200", "reward": "per_unit", "value": "5"},
        {"lower_bound": "201", "reward": "per_unit", "value": "6"},
    ]
    quantity = {"basis": "quantity", "product_lines": ["hoods"], "tiers": old_units}
    marginal = books.policy(tier_style="marginal", **quantity)
    retro = books.policy(**quantity)
    amounts = books.policy(tier_style="marginal")
    # when the data migration runs
    migration.units_bounds_up(apps, None)
    # then only the marginal quantity policy's bounds moved, by one unit, from the top down
    bounds = {
        policy.code: [str(b) for b in RebateTier.objects.filter(policy=policy).values_list("lower_bound", flat=True)]
        for policy in (marginal, retro, amounts)
    }
    assert bounds == {
        marginal.code: ["0.0000", "201.0000", "202.0000"],
        retro.code: ["0.0000", "200.0000", "201.0000"],
        amounts.code: ["0.0000", "100000.0000", "300000.0000"],
    }
    # and it pays what it paid: 200 x 2 + 1 x 5 + 49 x 6 = 699.00 for 250 units
    books.sale(world.dist_js, "hood_a", 250, "100.00", date(2025, 2, 10))
    run = runs.compute_run(policy=marginal, period=date(2025, 2, 1), kind="final", actor=world.finance)
    assert RebateLine.objects.get(run=run, partner=world.dist_js).amount == D("699.00")
    # and it can be undone
    migration.units_bounds_down(apps, None)
    assert [str(b) for b in RebateTier.objects.filter(policy=marginal).values_list("lower_bound", flat=True)] == [
        "0.0000",
        "200.0000",
        "201.0000",
    ]


def test_existing_policies_keep_counting_returns_in_the_credit_note_s_period(books):
    # given a policy written before `returns_count_in` existed (the default is now the sale's period)
    import importlib

    from django.apps import apps

    migration = importlib.import_module("qudao.rebates.migrations.0005_returns_count_in")
    policy = books.policy()
    assert policy.returns_count_in == "shipment_period"
    # when the data migration runs
    migration.existing_keep_credit_note_period(apps, None)
    # then it keeps what it did: a return counts in the period of its credit note
    policy.refresh_from_db()
    assert policy.returns_count_in == "credit_note_period"
