"""Benchmark: the channel dashboard's queries over the analytics store (DuckDB over Parquet
segments, qudao.analytics.store) at 5,000 partners and 10 million order lines, beside the same
SQL run directly in DuckDB and the same figures computed through the Django ORM on PostgreSQL.

    .venv/bin/python benchmarks/analytics.py            # 5,000 partners, 10,000,000 order lines
    .venv/bin/python benchmarks/analytics.py --quick    # 150 partners, 40,000 order lines (a smoke run)

Builds a throw-away PostgreSQL database (qudao_bench_analytics), seeds it with the demo generator
(`manage.py seed --partners N`), writes 24 months of order history set-based
(benchmarks/history.py: every order shipped, half of them paid), then, timed:

1. the full rebuild of the store (`store.rebuild()`): seconds, and the peak RSS of the process;
2. the three dashboard queries through the semantic layer (`semantic.query`, as the dashboards and
   the API call it, as the channel manager): net sales by 大区 x product line x month over the last
   12 months; the top 50 partners by net sales this year to date with their growth against the same
   days last year; payments collected and overdue by province (attainment by region is not in the
   store yet: see the note in docs/analytics.md). Best of three, warm;
3. the same SQL the semantic layer generates, run directly on a DuckDB connection over the same
   segments (the floor: the ratio to it is the semantic layer's own cost);
4. the same figures through the Django ORM on PostgreSQL (grouped querysets over shipment lines,
   credit note lines, payments and invoices);
5. 10,000 new order lines written and shipped, then `store.refresh()`: seconds.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "qudao_bench_analytics"
NEW_LINES = 10_000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="150 partners and 40,000 order lines (a smoke run).")
    parser.add_argument("--partners", type=int, help="Partners (default 5,000; 150 with --quick).")
    parser.add_argument("--lines", type=int, help="Order lines (default 10,000,000; 40,000 with --quick).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("QUDAO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database and the store afterwards.")
    args = parser.parse_args(argv)
    args.partners = args.partners or (150 if args.quick else 5000)
    args.lines = args.lines or (40_000 if args.quick else 10_000_000)
    return args


def prepare_environment(args, workdir: Path) -> str:
    from environment import prepare_postgres  # benchmarks/environment.py (sys.path has benchmarks/)

    return prepare_postgres(args.postgres_url, BENCH_DATABASE, workdir)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def best_of(times: int, action):
    best, result = None, None
    for _ in range(times):
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    return best, result


class DashboardQueries:
    """The three queries, each as (metrics, dimensions, start, end, grain) for the semantic layer."""

    def __init__(self, today: date):
        self.today = today
        self.year_start = date(today.year, 1, 1)
        twelve = today.replace(day=1)
        for _ in range(11):
            twelve = (twelve - timedelta(days=1)).replace(day=1)
        self.twelve_months = (twelve, today)
        last_year_today = (
            today.replace(year=today.year - 1) if (today.month, today.day) != (2, 29) else today - timedelta(days=366)
        )
        self.last_year = (date(today.year - 1, 1, 1), last_year_today)

    def specs(self) -> dict[str, list[dict]]:
        return {
            "region_line_month": [
                dict(
                    metrics=["net_sales"],
                    dimensions=["macro_region", "product_line"],
                    grain="month",
                    start=self.twelve_months[0],
                    end=self.twelve_months[1],
                ),
            ],
            "top50_growth": [
                dict(metrics=["net_sales"], dimensions=["partner"], start=self.year_start, end=self.today),
                dict(metrics=["net_sales"], dimensions=["partner"], start=self.last_year[0], end=self.last_year[1]),
            ],
            "collections_by_province": [
                dict(
                    metrics=["payments_collected", "overdue"],
                    dimensions=["province"],
                    start=self.year_start,
                    end=self.today,
                ),
            ],
        }


def through_semantic_layer(user, specs) -> tuple[float, int]:
    from qudao.analytics import semantic

    def run():
        rows = 0
        results = [semantic.query(user, **spec) for spec in specs]
        if len(results) == 2:  # top 50 by net sales with growth against last year
            last = {row["partner"]["key"]: row["net_sales"] for row in results[1].rows}
            ranked = sorted(results[0].rows, key=lambda row: row["net_sales"] or 0, reverse=True)[:50]
            growth = [(row["partner"]["key"], row["net_sales"], last.get(row["partner"]["key"])) for row in ranked]
            rows = len(growth)
        else:
            rows = sum(len(result.rows) for result in results)
        return rows

    return best_of(3, run)


def direct_duckdb(user, specs) -> float:
    """The SQL the semantic layer generates for these specs, run straight on one DuckDB connection
    (bucket ends registered as the layer does; no scope: the channel manager sees everything)."""
    import pyarrow as pa

    from qudao.analytics import semantic, store

    statements = []
    for spec in specs:
        metrics, dimensions, filters = semantic._clean(
            user, spec["metrics"], spec["dimensions"], {}, spec["start"], spec["end"], spec.get("grain")
        )
        dims = [semantic.DIMENSIONS[code] for code in dimensions]
        grain = next((dim.code for dim in dims if dim.grain), None)
        ends = semantic._bucket_ends(spec["start"], spec["end"], grain)
        for metric in semantic._base_metrics(metrics):
            sql, params = semantic._sql(metric, dims, filters, False)
            statements.append((sql, [spec["start"], spec["end"], *params], ends))
    con = store.reader()
    try:

        def run():
            for sql, params, ends in statements:
                con.register("bucket_ends", pa.table({"end_day": pa.array(ends, type=pa.date32())}))
                con.execute(sql, params).fetchall()

        seconds, _ = best_of(3, run)
    finally:
        con.close()
    return seconds


def through_orm(name: str, queries: DashboardQueries) -> float:
    """The same figures through grouped Django querysets on PostgreSQL."""
    from django.db.models import F, Sum
    from django.db.models.functions import TruncMonth

    from qudao.finance.models import Invoice, Payment
    from qudao.orders.models import CreditNoteLine, ShipmentLine

    def net_sales(start, end, *group):
        shipped = (
            ShipmentLine.objects.filter(shipment__shipped_at__date__gte=start, shipment__shipped_at__date__lte=end)
            .values(*[g[0] for g in group])
            .annotate(v=Sum(F("quantity") * F("order_line__net_unit_price")))
        )
        returned = (
            CreditNoteLine.objects.filter(credit_note__issued_on__gte=start, credit_note__issued_on__lte=end)
            .values(*[g[1] for g in group])
            .annotate(v=Sum("amount"))
        )
        return list(shipped), list(returned)

    def run():
        if name == "region_line_month":
            start, end = queries.twelve_months
            shipped = (
                ShipmentLine.objects.filter(shipment__shipped_at__date__gte=start, shipment__shipped_at__date__lte=end)
                .annotate(month=TruncMonth("shipment__shipped_at"))
                .values("month", "shipment__order__partner__region__parent", "order_line__sku__product__product_line")
                .annotate(v=Sum(F("quantity") * F("order_line__net_unit_price")))
            )
            returned = (
                CreditNoteLine.objects.filter(credit_note__issued_on__gte=start, credit_note__issued_on__lte=end)
                .annotate(month=TruncMonth("credit_note__issued_on"))
                .values("month", "credit_note__partner__region__parent", "order_line__sku__product__product_line")
                .annotate(v=Sum("amount"))
            )
            return len(list(shipped)) + len(list(returned))
        if name == "top50_growth":
            group = [("shipment__order__partner", "credit_note__partner")]
            this_year = net_sales(queries.year_start, queries.today, *group)
            last_year = net_sales(*queries.last_year, *group)
            return len(this_year[0]) + len(last_year[0])
        paid = (
            Payment.objects.filter(
                status="confirmed", received_on__gte=queries.year_start, received_on__lte=queries.today
            )
            .values("partner__region__parent")
            .annotate(v=Sum("amount"))
        )
        overdue = (
            Invoice.objects.filter(due_on__lt=queries.today)
            .exclude(status="void")
            .values("partner__region__parent")
            .annotate(v=Sum(F("amount") - F("settled")))
        )
        return len(list(paid)) + len(list(overdue))

    seconds, _ = best_of(3, run)
    return seconds


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-analytics-"))
    url = prepare_environment(args, workdir)

    import django

    django.setup()
    from io import StringIO

    import history
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from qudao.accounts.models import User
    from qudao.analytics import store

    print(f"Database: {connection.vendor} ({url}); store: {workdir}")
    call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    call_command("seed", partners=args.partners, seed=args.seed, stdout=StringIO())
    print(f"Seeded {args.partners} partners in {time.monotonic() - started:.1f} s.")
    today = timezone.localdate()
    first = date(today.year - 1, 1, 1)
    started = time.monotonic()
    counts = history.generate(lines=args.lines, first_day=first, last_day=today - timedelta(days=1))
    history_seconds = time.monotonic() - started
    print(f"Wrote the order history in {history_seconds:.1f} s: {counts}")

    rss_before = peak_rss_mb()
    started = time.monotonic()
    built = store.rebuild()
    rebuild_seconds = time.monotonic() - started
    print(f"Rebuilt the store in {rebuild_seconds:.1f} s: {built}")

    user = User.objects.filter(role_assignments__role="channel_manager", is_active=True).order_by("pk").first()
    queries = DashboardQueries(today)
    figures = {}
    for name, specs in queries.specs().items():
        semantic_seconds, rows = through_semantic_layer(user, specs)
        duckdb_seconds = direct_duckdb(user, specs)
        orm_seconds = through_orm(name, queries)
        figures[name] = {
            "rows": rows,
            "semantic_layer_s": round(semantic_seconds, 3),
            "duckdb_direct_s": round(duckdb_seconds, 3),
            "orm_postgres_s": round(orm_seconds, 3),
            "layer_vs_direct": round(semantic_seconds / duckdb_seconds, 2) if duckdb_seconds else None,
            "orm_vs_layer": round(orm_seconds / semantic_seconds, 1) if semantic_seconds else None,
        }
        print(f"{name}: {figures[name]}")

    history.generate(lines=NEW_LINES, first_day=today, last_day=today, prefix="BN")
    started = time.monotonic()
    refreshed = store.refresh()
    refresh_seconds = time.monotonic() - started
    print(f"Refresh after {NEW_LINES:,} new order lines: {refresh_seconds:.2f} s ({refreshed})")
    differences = store.reconcile()
    print(f"Reconciliation: {len(differences)} differences")

    connection.close()
    if not args.keep:
        import shutil

        import psycopg

        with psycopg.connect(args.postgres_url, autocommit=True) as maintenance:
            maintenance.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {
        "database": "postgresql",
        "partners": args.partners,
        "order_lines": counts.get("order_lines", 0),
        "history_seconds": round(history_seconds, 1),
        "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_peak_rss_mb": peak_rss_mb(),
        "rss_before_rebuild_mb": rss_before,
        "queries": figures,
        "refresh_after_new_lines_s": round(refresh_seconds, 2),
        "new_lines": NEW_LINES,
        "reconciliation_differences": len(differences),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if not differences else 1


if __name__ == "__main__":
    sys.exit(main())
