"""Benchmark: placing orders from 16 concurrent clients against PostgreSQL.

    .venv/bin/python benchmarks/orders.py            # PostgreSQL (a throw-away database qudao_bench_orders)
    .venv/bin/python benchmarks/orders.py --quick    # fewer orders (a smoke run)

Builds a fresh database with the demo generator (partners, catalogue, price policies and
promotions), stock for every SKU in one HQ warehouse and ample credit, then:

1. Qudao: 16 client processes, each its own database connection and its own partner, place orders
   of 5 lines through qudao.orders.services.place_order: priced by the pricing engine, promotions
   reserved, stock reserved (the 5 SKUs are shared by all clients, so stock rows are contended),
   credit checked, status history and outbox event written. Reports orders per second and the
   p50/p99 latency of one order.
2. The ceiling: the same 16 clients issue, for each order, the raw SQL of the same essential
   writes and row locks directly (lock the partner row, insert the order and its 5 lines, lock
   the 5 stock rows in SKU order, update them, insert 5 stock entries, commit), with no pricing
   and no Python model layer. Each INSERT copies a row Qudao wrote in step 1 (columns read from
   the database), so the ceiling follows the schema. Reports the same figures.

The last line printed is one JSON object with both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "qudao_bench_orders"
CLIENTS = 16
LINES = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 orders per client instead of 40 (a smoke run).")
    parser.add_argument("--orders", type=int, help="Orders per client (default 40; 10 with --quick).")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("QUDAO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    args.orders = args.orders or (10 if args.quick else 40)
    return args


def prepare_environment(args, workdir: Path) -> str:
    import psycopg

    os.environ["DJANGO_SETTINGS_MODULE"] = "qudao.settings"
    os.environ["QUDAO_VAR_DIR"] = str(workdir)
    os.environ["QUDAO_LOG_LEVEL"] = "WARNING"
    os.environ["QUDAO_EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ["QUDAO_JOBS_IMMEDIATE"] = "0"  # a separate worker sends the news; orders only queue it
    os.environ.pop("DATABASE_URL", None)
    with psycopg.connect(args.postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    url = args.postgres_url.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"
    os.environ["QUDAO_DATABASE_URL"] = url
    return url


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def build(rng: random.Random, clients: int):
    """Demo data, a stocked HQ warehouse, ample credit; returns [(partner, user, [5 sku ids])]."""
    from decimal import Decimal
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from qudao.catalog.models import Sku
    from qudao.catalog.scope import allowed_sku_q
    from qudao.inventory import services as inventory
    from qudao.inventory.models import Warehouse
    from qudao.partners.models import Partner, PartnerMember
    from qudao.pricing.engine import CartLine, quote

    call_command("seed", partners=max(60, clients * 3), seed=42, stdout=StringIO())
    warehouse, _ = Warehouse.objects.get_or_create(code="BENCH-HQ", defaults={"name": "基准总仓", "kind": "hq"})
    sku_ids = list(Sku.objects.filter(lifecycle="on_sale", product__lifecycle="on_sale").values_list("pk", flat=True))
    inventory.receive_stock(warehouse_id=warehouse.pk, lines=[(pk, 1_000_000) for pk in sku_ids], note="benchmark")
    Partner.objects.update(credit_limit=Decimal("1000000000"))
    today = timezone.localdate()
    plans = []
    users = {member.partner_id: member.user for member in PartnerMember.objects.filter(is_active=True)}
    for partner in Partner.objects.filter(status="active").select_related("region", "tier").order_by("pk"):
        allowed = list(Sku.objects.filter(allowed_sku_q(partner), pk__in=sku_ids).values_list("pk", flat=True))
        priced = []
        for pk in allowed:
            try:
                quote(partner, [CartLine(pk, Sku.objects.get(pk=pk).min_order_qty)], today)
            except Exception:  # noqa: BLE001 - no price for this partner: not in its carts
                continue
            priced.append(pk)
            if len(priced) == 12:
                break
        if len(priced) >= LINES:
            plans.append((partner, users.get(partner.pk), priced))
        if len(plans) == clients:
            break
    return plans


def run_clients(plans, orders_per_client, place_one):
    """Run one client per process (as a web server's workers would: Python threads in one process
    would share one interpreter lock), all starting at once; returns (wall seconds, latencies in
    ms, errors)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(plans) + 1)
    results = context.Queue()

    def client(index, plan):
        from django.db import connections

        connections.close_all()  # never share the parent's connection
        rng = random.Random(index)
        latencies, errors = [], []
        start.wait()
        for number in range(orders_per_client):
            started = time.perf_counter()
            try:
                place_one(plan, rng, f"{index}-{number}")
            except Exception as error:  # noqa: BLE001 - counted and reported
                errors.append(type(error).__name__ + ": " + str(error)[:100])
                continue
            latencies.append((time.perf_counter() - started) * 1000)
        connections.close_all()
        results.put((latencies, errors))

    processes = [context.Process(target=client, args=(index, plan)) for index, plan in enumerate(plans)]
    for process in processes:
        process.start()
    start.wait()
    started = time.perf_counter()
    latencies, errors = [], []
    for _process in processes:
        got_latencies, got_errors = results.get()
        latencies += got_latencies
        errors += got_errors
    wall = time.perf_counter() - started
    for process in processes:
        process.join()
    return wall, latencies, errors


def template_inserts(connection, warehouse_id: int) -> tuple[str, str, str]:
    """The ceiling's three INSERTs, each copying a row Qudao itself wrote in the first phase
    (`INSERT INTO t (columns) SELECT columns FROM t WHERE id = <template>`) with the few columns
    that differ per order replaced by named parameters. The column lists are read from the database, so a column added
    to the schema later is filled as Qudao fills it and the ceiling never goes stale (it once did:
    a hand-written column list missed a new NOT NULL column and every ceiling order failed)."""

    def columns(table: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s AND column_name <> 'id'"
                " ORDER BY ordinal_position",
                [table],
            )
            return [row[0] for row in cursor.fetchall()]

    def copy(table: str, template_id: int, replaced: dict[str, str]) -> str:
        names = columns(table)
        missing = set(replaced) - set(names)
        if missing:
            raise SystemExit(f"benchmark out of date: {table} has no column {sorted(missing)}")
        values = [replaced.get(name, name) for name in names]
        return (
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM {table}"
            f" WHERE id = {int(template_id)}" + (" RETURNING id" if table == "orders_order" else "")
        )

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM orders_order WHERE idempotency_key LIKE 'bench-%' ORDER BY id LIMIT 1")
        order_id = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM orders_orderline WHERE order_id = %s ORDER BY id LIMIT 1", [order_id])
        line_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM inventory_stockentry WHERE warehouse_id = %s AND kind = 'reserve' ORDER BY id LIMIT 1",
            [warehouse_id],
        )
        entry_id = cursor.fetchone()[0]
    now = "now()"
    order_sql = copy(
        "orders_order",
        order_id,
        {
            "number": "%(number)s",
            "partner_id": "%(partner_id)s",
            "idempotency_key": "NULL",
            "created_at": now,
            "updated_at": now,
            "submitted_at": now,
        },
    )
    line_sql = copy(
        "orders_orderline", line_id, {"order_id": "%(order_id)s", "line_no": "%(line_no)s", "sku_id": "%(sku_id)s"}
    )
    entry_sql = copy(
        "inventory_stockentry",
        entry_id,
        {
            "warehouse_id": str(int(warehouse_id)),
            "sku_id": "%(sku_id)s",
            "reference": "%(reference)s",
            "created_at": now,
        },
    )
    return order_sql, line_sql, entry_sql


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-orders-"))
    url = prepare_environment(args, workdir)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from qudao.catalog.models import Sku
    from qudao.orders.services import place_order

    print(f"Database: {connection.vendor} ({url})")
    call_command("migrate", interactive=False, verbosity=0)
    started = time.monotonic()
    plans = build(random.Random(args.seed), args.clients)
    print(f"Built the demo data and {len(plans)} clients in {time.monotonic() - started:.1f} s.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    minimum = dict(Sku.objects.values_list("pk", "min_order_qty"))
    multiple = dict(Sku.objects.values_list("pk", "order_multiple"))

    def quantity(pk, rng):
        wanted = max(minimum[pk], rng.randint(1, 6))
        return wanted + (-wanted % multiple[pk])

    def place_with_qudao(plan, rng, key):
        partner, user, skus = plan
        lines = [{"sku": pk, "quantity": quantity(pk, rng)} for pk in rng.sample(skus, LINES)]
        place_order(partner=partner, lines=lines, actor=user, idempotency_key=f"bench-{key}")

    wall, latencies, errors = run_clients(plans, args.orders, place_with_qudao)
    qudao = {
        "orders": len(latencies),
        "errors": len(errors),
        "orders_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
    }
    print(f"Qudao: {qudao}")
    if errors:
        print("First errors:", errors[:3])

    warehouse_id = (
        connection.cursor().execute("SELECT id FROM inventory_warehouse WHERE code = 'BENCH-HQ'").fetchone()[0]
    )
    copy_order, copy_line, copy_entry = template_inserts(connection, warehouse_id)

    def place_raw(plan, rng, key):
        partner, _user, skus = plan
        chosen = sorted(rng.sample(skus, LINES))
        number = f"RAW{key}"[:20]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT id FROM partners_partner WHERE id = %s FOR UPDATE", [partner.pk])
            cursor.execute(copy_order, {"number": number, "partner_id": partner.pk})
            order_id = cursor.fetchone()[0]
            for line_no, pk in enumerate(chosen, start=1):
                cursor.execute(copy_line, {"order_id": order_id, "line_no": line_no, "sku_id": pk})
            cursor.execute(
                "SELECT id FROM inventory_stocklevel WHERE warehouse_id = %s AND sku_id = ANY(%s)"
                " ORDER BY sku_id FOR UPDATE",
                [warehouse_id, chosen],
            )
            cursor.execute(
                "UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now()"
                " WHERE warehouse_id = %s AND sku_id = ANY(%s) AND on_hand - reserved >= 1",
                [warehouse_id, chosen],
            )
            for pk in chosen:
                cursor.execute(copy_entry, {"sku_id": pk, "reference": number})

    wall, latencies, errors = run_clients(plans, args.orders, place_raw)
    ceiling = {
        "orders": len(latencies),
        "errors": len(errors),
        "orders_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
    }
    print(f"Raw SQL ceiling: {ceiling}")
    if errors:
        print("First errors:", errors[:3])
    connection.close()
    import psycopg

    with psycopg.connect(args.postgres_url, autocommit=True) as maintenance:
        maintenance.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    summary = {
        "database": "postgresql",
        "clients": len(plans),
        "lines_per_order": LINES,
        "orders_per_client": args.orders,
        "qudao": qudao,
        "raw_sql_ceiling": ceiling,
    }
    print(json.dumps(summary, ensure_ascii=False))
    # A run in which orders failed measured something else: say so in the exit status.
    return 1 if qudao["errors"] or ceiling["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
