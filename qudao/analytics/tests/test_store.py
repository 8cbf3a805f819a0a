"""The analytics store: incremental refresh as signed rows, reconciliation to the cent (a planted
difference found), compaction, the command, and a reader in another process during refreshes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from qudao.analytics import semantic, store
from qudao.analytics.store import storage
from qudao.analytics.store.reconcile import Difference
from qudao.pricing.tests.conftest import catalogue  # noqa: F401

from . import test_store_fixtures as fixtures
from .test_store_fixtures import END, START, figures

store_dir, trade = fixtures.store_dir, fixtures.trade  # the fixtures these tests use
D = Decimal
MONEY = ["net_sales", "payments_collected", "receivables"]


def test_it_refreshes_only_what_changed_as_signed_rows(trade, world):
    from qudao.finance.models import Payment

    # given a store built from the trade
    built = store.rebuild()
    assert built.rows == {
        "shipments": 5,
        "orders": 4,  # the gift's order was never submitted, the cancelled one does not count
        "returns": 1,
        "invoices": 2,
        "payments": 1,
        "allocations": 1,
        "rebates_posted": 0,
        "rebates_accrued": 0,
        "deliveries": 1,
    }
    before = figures(semantic.query(world.admin, MONEY, [], {}, START, END))[()]
    assert before == {"net_sales": D("6999.99"), "payments_collected": D("1000.00"), "receivables": D("3000.00")}
    # when a shipment is made, sub_js's invoice is made void and the payment bounces
    trade.books.sale(world.sub_js, "hood_a", 2, "1100.00", date(2025, 7, 1))
    trade.sub_invoice.status = "void"
    trade.sub_invoice.save()
    Payment.objects.filter(pk=trade.payment.pk).update(status="reversed", updated_at=timezone.now())
    result = store.refresh()
    # then only those rows were appended: the new shipment, a reversing row for the invoice and
    # one for the payment
    assert result.rows == {
        "shipments": 1,
        "orders": 0,
        "returns": 0,
        "invoices": 1,
        "payments": 1,
        "allocations": 0,
        "rebates_posted": 0,
        "rebates_accrued": 0,
        "deliveries": 0,
    }
    after = figures(semantic.query(world.admin, MONEY, [], {}, START, END))[()]
    # 6,999.99 + 2,200.00; no payment; 3,000 invoiced less the 1,000 allocation of the bounced payment
    # (finance undoes allocations with a reversing allocation; none was written here)
    assert after == {"net_sales": D("9199.99"), "payments_collected": D("0.00"), "receivables": D("2000.00")}
    # and a refresh with nothing new appends nothing
    assert sum(store.refresh().rows.values()) == 0
    assert store.reconcile() == []
    # and the invoice's history is in the ledger: the row and its reversal
    con = store.reader()
    try:
        rows = con.execute("SELECT sign, amount FROM invoices WHERE key = ? ORDER BY sign", [trade.sub_invoice.pk])
        assert rows.fetchall() == [(-1, D("1000.0000")), (1, D("1000.0000"))]
    finally:
        con.close()


def test_reconcile_is_clean_and_finds_a_planted_difference(trade, world, capsys):
    # given a store that agrees with the database
    store.rebuild()
    assert store.reconcile() == []
    call_command("analytics", "reconcile")
    assert capsys.readouterr().out == "reconcile: the store agrees with the database.\n"
    # when a source row is changed behind the store's back (raw SQL: no modification time moves)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE finance_payment SET amount = %s WHERE id = %s", ["1000.01", trade.payment.pk])
    # then reconcile names it, to the cent
    assert store.reconcile() == [Difference("payments", "2025-03", world.dist_js.code, D("1000.00"), D("1000.01"))]
    with pytest.raises(CommandError) as failed:
        call_command("analytics", "reconcile")
    assert failed.value.returncode == 1
    assert capsys.readouterr().out == f"payments 2025-03 {world.dist_js.code}: store 1,000.00, database 1,000.01\n"
    # and a rebuild repairs it
    store.rebuild()
    assert store.reconcile() == []


def test_reconcile_finds_a_tampered_segment(trade, world, store_dir):
    import pyarrow.parquet as pq

    # given a store whose shipment segment lost a row (a damaged file)
    store.rebuild()
    manifest = storage.read_manifest()
    [segment] = manifest["tables"]["shipments"]
    table = pq.read_table(store_dir / segment)
    pq.write_table(table.slice(1), store_dir / segment)
    # then reconcile finds the month and partner of the lost row
    differences = store.reconcile()
    assert [(d.source, d.period, d.partner) for d in differences] == [("shipments", "2025-03", world.dist_js.code)]
    assert differences[0].store == D("0.00") and differences[0].database == D("3000.00")


def test_compaction_merges_segments_and_keeps_every_figure(trade, world, monkeypatch):
    store.rebuild()
    monkeypatch.setattr(storage, "COMPACT_AT", 3)
    for day in (2, 3):
        trade.books.sale(world.dealer_zj, "wash_a", 1, "100.00", date(2025, 8, day))
        store.refresh()
    manifest = storage.read_manifest()
    assert len(manifest["tables"]["shipments"]) == 1  # the rebuilt segment and two refreshes merged into one
    assert len([name for name, _at in manifest["retired"] if name.startswith("shipments/")]) == 3  # kept a while
    row = figures(semantic.query(world.admin, ["net_sales", "units"], [], {}, START, END))[()]
    assert row == {"net_sales": D("7199.99"), "units": 8}
    assert store.reconcile() == []


def test_the_command_refreshes_and_rebuilds(trade, capsys):
    call_command("analytics", "rebuild")
    assert capsys.readouterr().out.startswith("rebuild: shipments 5, orders ")
    call_command("analytics", "refresh")
    assert capsys.readouterr().out.startswith("refresh: shipments 0, orders 0, returns 0, invoices 0, payments 0")


READER = r"""
import json, sys, time, os
import django
django.setup()
from pathlib import Path
from qudao.analytics.store import storage
from qudao.analytics.store.sync import ALL_TABLES
directory = Path(sys.argv[1])
deadline = time.monotonic() + float(sys.argv[2])
queries, errors, seen = 0, [], set()
while time.monotonic() < deadline:
    try:
        con = storage.connect(ALL_TABLES, directory=directory)
        total = con.execute("SELECT SUM(sign * net_amount) FROM shipments WHERE NOT gift").fetchone()[0]
        con.close()
        seen.add(str(total))
        queries += 1
    except Exception as error:
        errors.append(repr(error))
print(json.dumps({"queries": queries, "errors": errors[:3], "seen": sorted(seen)}))
"""


def test_a_reader_in_another_process_queries_while_the_store_refreshes(trade, world, store_dir):
    # given a built store and a reader process querying it in a loop
    store.rebuild()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qudao.settings_test"}
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store_dir), "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    # when the store refreshes (and rebuilds) many times meanwhile
    for day in range(1, 9):
        trade.books.sale(world.dealer_zj, "wash_a", 1, "100.00", date(2025, 9, day))
        store.refresh()
        if day == 4:
            store.rebuild()
    out, err = reader.communicate(timeout=120)
    # then the reader never failed and only ever saw whole refreshes
    report = json.loads(out)
    assert report["errors"] == [], err.decode()[-2000:]
    assert report["queries"] > 0
    allowed = {f"{D('7999.99') + 100 * n:.4f}" for n in range(0, 9)}
    assert set(report["seen"]) <= allowed


def test_a_refresh_picks_up_a_tier_change_for_the_facts_after_it(trade, world):
    from qudao.partners import services

    # given a built store; then sub_js is promoted to gold today and ships today
    store.rebuild()
    services.change_tier(partner=world.sub_js, tier="gold", reason="升级")
    today = timezone.localdate()
    trade.books.sale(world.sub_js, "hood_b", 1, "500.00", today)
    # when the store refreshes
    result = store.refresh()
    # then the partner history was rewritten, and today's sale counts as gold, March's as silver
    assert "partner_history" in result.dimensions
    rows = figures(semantic.query(world.admin, ["net_sales"], ["tier"], {"partner": [world.sub_js.code]}, START, today))
    assert rows == {("silver",): {"net_sales": D("1000.00")}, ("gold",): {"net_sales": D("500.00")}}


def test_the_periodic_task_refreshes_the_store(trade, world):
    from qudao.analytics.tasks import refresh_analytics_store

    # given a built store and a new shipment
    store.rebuild()
    trade.books.sale(world.dealer_zj, "wash_a", 1, "100.00", date(2025, 10, 1))
    # when the worker's periodic task runs
    result = refresh_analytics_store.call_local()
    # then the shipment is in the store
    assert result["rows"]["shipments"] == 1
    assert store.reconcile() == []


def test_a_store_written_with_other_tables_is_rebuilt_by_the_next_refresh(trade):
    # given a store whose manifest says it was written by code with other tables or columns
    store.rebuild()
    manifest = storage.read_manifest()
    manifest["schema"] = "older"
    storage.write_manifest(manifest)
    # when it refreshes, then it is rebuilt whole
    result = store.refresh()
    assert result.rebuilt is True
    assert result.rows["shipments"] == 5
    assert storage.read_manifest()["schema"] != "older"
