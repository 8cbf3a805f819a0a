"""Benchmark: every active rebate policy computed for a quarter over 5,000 partners and 10 million
order lines, on PostgreSQL, next to the bare SQL aggregation of the same basis.

    .venv/bin/python benchmarks/rebates.py            # 5,000 partners, 10,000,000 order lines
    .venv/bin/python benchmarks/rebates.py --quick    # 300 partners, 200,000 order lines (a smoke run)

The quarter is the last one that has ended. Builds a throw-away PostgreSQL database
(qudao_bench_rebates), seeds it with the demo generator
(`manage.py seed --partners N`: partners, catalogue, prices, the demo orders, invoices, payments
and rebate policies), then writes the order history set-based (benchmarks/history.py): the lines
spread over the quarter and the same quarter a year before (growth policies read it), every order
shipped, half of them paid. Then, timed:

1. Qudao: a preview run (`qudao.rebates.services.compute_run`, the same code as the HQ page and
   the API) of every active policy for each of its periods in the quarter: the basis of every
   target partner, the tiers, caps and conditions, and the run's lines written. Reports seconds
   per policy and in all, and the peak memory of the Python process (tracemalloc) and its peak
   RSS.
2. The bare SQL: for the same quarter, the one grouped query of net sales shipped per partner
   (shipment lines x net unit price, by shipment date) - the floor for any basis over these lines.

The last line printed is one JSON object with both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "qudao_bench_rebates"


def last_full_quarter(today: date) -> tuple[date, date]:
    """The last quarter that has ended (the one the demo settles too)."""
    from datetime import timedelta

    end = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1) - timedelta(days=1)
    return end.replace(month=end.month - 2, day=1), end


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 partners and 200,000 order lines (a smoke run).")
    parser.add_argument("--partners", type=int, help="Partners (default 5,000; 300 with --quick).")
    parser.add_argument("--lines", type=int, help="Order lines (default 10,000,000; 200,000 with --quick).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("QUDAO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args(argv)
    args.partners = args.partners or (300 if args.quick else 5000)
    args.lines = args.lines or (200_000 if args.quick else 10_000_000)
    return args


def prepare_environment(args, workdir: Path) -> str:
    from environment import prepare_postgres  # benchmarks/environment.py (sys.path has benchmarks/)

    return prepare_postgres(args.postgres_url, BENCH_DATABASE, workdir)


def bare_sql_seconds(first_day: date, last_day: date) -> tuple[float, int]:
    """The one grouped query of net sales shipped per partner in the period; (seconds, partners)."""
    from django.db import connection

    sql = (
        "SELECT o.partner_id, sum(sl.quantity * ol.net_unit_price)"
        " FROM orders_shipmentline sl"
        " JOIN orders_shipment s ON s.id = sl.shipment_id"
        " JOIN orders_orderline ol ON ol.id = sl.order_line_id"
        " JOIN orders_order o ON o.id = ol.order_id"
        " WHERE s.shipped_at >= %s AND s.shipped_at < %s + interval '1 day'"
        " GROUP BY o.partner_id"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [first_day, last_day])
        rows = cursor.fetchall()
    return time.perf_counter() - started, len(rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-rebates-"))
    url = prepare_environment(args, workdir)

    import django

    django.setup()
    from io import StringIO

    import history
    from django.core.management import call_command
    from django.db import connection

    print(f"Database: {connection.vendor} ({url})")
    call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    call_command("seed", partners=args.partners, seed=args.seed, stdout=StringIO())
    print(f"Seeded {args.partners} partners in {time.monotonic() - started:.1f} s.")
    started = time.monotonic()
    from django.utils import timezone

    first, last = last_full_quarter(timezone.localdate())
    year_before = date(first.year - 1, first.month, first.day)
    counts = history.generate(lines=args.lines, first_day=year_before, last_day=last)
    generation_seconds = time.monotonic() - started
    print(f"Wrote the order history in {generation_seconds:.1f} s: {counts}")

    bare_seconds, bare_partners = bare_sql_seconds(first, last)
    bare_seconds = min(bare_seconds, bare_sql_seconds(first, last)[0])  # best of two: a warm cache
    print(f"Bare SQL (net sales shipped per partner, the quarter): {bare_seconds:.2f} s, {bare_partners} partners")

    qudao = run_policies(first, last)
    print(f"Qudao: {qudao}")

    connection.close()
    if not args.keep:
        import psycopg

        with psycopg.connect(args.postgres_url, autocommit=True) as maintenance:
            maintenance.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    summary = {
        "database": "postgresql",
        "partners": args.partners,
        "order_lines": counts["order_lines"] if counts else 0,
        "quarter": [first.isoformat(), last.isoformat()],
        "history_seconds": round(generation_seconds, 1),
        "qudao": qudao,
        "bare_sql": {"seconds": round(bare_seconds, 2), "partners": bare_partners},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if qudao.get("policies") else 1


def run_policies(first: date, last: date) -> dict:
    """A final preview run of every active policy for each of its periods in the quarter (a monthly
    policy has three), timed, with the peak memory."""
    from qudao.rebates import basis, runs
    from qudao.rebates.models import RebatePolicy

    policies = list(RebatePolicy.objects.filter(status="active").order_by("pk"))
    tracemalloc.start()
    started = time.perf_counter()
    per_policy: dict[str, float] = {}
    lines = runs_made = 0
    for policy in policies:
        policy_started = time.perf_counter()
        months = [date(first.year, first.month + offset, 1) for offset in range(3)]
        periods = sorted({basis.period_of(policy, day) for day in months})
        for period_start, period_end in periods:
            if period_end > last:
                continue  # a half or a year not over with the quarter: not settled here
            run = runs.compute_run(policy=policy, period=period_start, kind="final", actor=None)
            lines += run.lines.count()
            runs_made += 1
        per_policy[policy.code] = round(time.perf_counter() - policy_started, 2)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "policies": len(policies),
        "runs": runs_made,
        "rebate_lines": lines,
        "seconds": round(seconds, 2),
        "seconds_per_policy": per_policy,
        "peak_python_mb": round(peak / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
