"""Benchmark: pricing a 50-line cart against 1,000 price lists and 300 active promotions.

    .venv/bin/python benchmarks/pricing.py              # SQLite file in a temporary directory
    .venv/bin/python benchmarks/pricing.py --quick      # fewer repeats (a smoke run)
    .venv/bin/python benchmarks/pricing.py --postgres   # a dedicated PostgreSQL database, qudao_bench_pricing

Builds a fresh database, migrates it, and creates a catalogue of 400 SKUs in a product-line tree,
a base list pricing all of them, floor prices, and 1,000 price lists of every audience kind (base
lists for other periods, region, tier, tier+region and partner lists for many tiers, regions and
partners, some pricing by item rows with quantity breaks, some by line rules), of which a few dozen
apply to the partner being priced, and 300 active promotions of every kind, audience and stacking
policy (about half of them eligible for the partner on the date).

Then prices a 50-line cart for one partner, repeatedly: one sample is the whole quote, loading
the inputs (a fixed number of queries) and running the pure engine. Then reserves up to 50 carts
as orders would (qudao.pricing.reservations.reserve: lock the limited promotions, price, write
the consumption ledger). Prints the figures, and as its last line one JSON object with the median
and p99 in milliseconds per cart and per reservation.
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
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "qudao_bench_pricing"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 repeats instead of 200 (a smoke run).")
    parser.add_argument("--lists", type=int, default=1000, help="How many price lists (default 1,000).")
    parser.add_argument("--promotions", type=int, default=300, help="Active promotions (default 300).")
    parser.add_argument("--lines", type=int, default=50, help="Cart lines (default 50).")
    parser.add_argument("--repeat", type=int, help="Timed carts (default 200; 20 with --quick).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", action="store_true", help=f"Use PostgreSQL (database {BENCH_DATABASE}).")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("QUDAO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (20 if args.quick else 200)
    return args


def prepare_environment(args, workdir: Path) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "qudao.settings"
    os.environ["QUDAO_VAR_DIR"] = str(workdir)
    os.environ["QUDAO_LOG_LEVEL"] = "WARNING"
    os.environ["QUDAO_EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ.pop("DATABASE_URL", None)
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
        url = args.postgres_url.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["QUDAO_DATABASE_URL"] = url
    return url


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def build(rng: random.Random, list_count: int, promotion_count: int):
    """The catalogue, partners and price lists; returns (partner, sku ids)."""
    from django.db import transaction

    from qudao.catalog.models import Lifecycle, Product, ProductLine, SalesScopeRule, Sku
    from qudao.core.models import Region
    from qudao.partners.models import Partner, Tier
    from qudao.pricing.models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion

    start = date(2026, 1, 1)
    with transaction.atomic():
        root = ProductLine.objects.create(code="home", name="家电")
        root.path = f"/{root.pk}/"
        root.save()
        lines = []
        for index in range(8):
            line = ProductLine.objects.create(code=f"line-{index}", name=f"品类{index}", parent=root)
            line.path, line.depth = f"{root.path}{line.pk}/", 1
            line.save()
            lines.append(line)
        SalesScopeRule.objects.create(effect="allow", product_line=root)
        skus = []
        for index in range(400):
            product = Product.objects.create(
                code=f"P{index:04d}", name=f"产品{index}", product_line=lines[index % 8], lifecycle=Lifecycle.ON_SALE
            )
            skus.append(
                Sku.objects.create(product=product, code=f"S{index:04d}", name=f"SKU{index}", lifecycle="on_sale")
            )
        tiers = list(Tier.objects.all())
        provinces = list(Region.objects.filter(level="province"))
        cities = list(Region.objects.filter(level="city"))
        nanjing = Region.objects.get(code="320100")
        gold = Tier.objects.get(code="gold")
        partner = Partner.objects.create(
            code="BENCH-1", partner_type="distributor", legal_name="南京基准商贸有限公司", region=nanjing, tier=gold
        )
        others = [
            Partner.objects.create(
                code=f"BENCH-O{index}",
                partner_type="dealer",
                legal_name=f"基准经销商{index}",
                region=rng.choice(cities),
                tier=rng.choice(tiers),
            )
            for index in range(200)
        ]
        base = PriceList.objects.create(code="base", name="基础价", valid_from=start, status="active")
        base_prices = {}
        items = []
        for sku in skus:
            base_prices[sku.pk] = Decimal(rng.randrange(100, 9000))
            items.append(PriceListItem(price_list=base, sku=sku, price=base_prices[sku.pk]))
            items.append(PriceListItem(price_list=base, sku=sku, min_qty=20, price=base_prices[sku.pk] * 97 / 100))
        PriceListItem.objects.bulk_create(items)
        FloorPrice.objects.bulk_create(
            FloorPrice(sku=sku, price=base_prices[sku.pk] * Decimal("0.8"), valid_from=start) for sku in skus
        )
        lists, rules = [], []
        for index in range(list_count - 1):
            kind = rng.choice(["base", "region", "tier", "tier_region", "partner"])
            audience = {}
            if kind == "region":
                audience["region"] = rng.choice(provinces + cities)
            elif kind == "tier":
                audience["tier"] = rng.choice(tiers)
            elif kind == "tier_region":
                audience["tier"], audience["region"] = rng.choice(tiers), rng.choice(provinces)
            elif kind == "partner":
                audience["partner"] = rng.choice([partner, *others[:60]])
            valid_from = start + timedelta(days=rng.randrange(-400, 400))
            lists.append(
                PriceList(
                    code=f"L{index:04d}",
                    name=f"价目表{index}",
                    kind=PriceList.kind_for(
                        getattr(audience.get("tier"), "pk", None),
                        getattr(audience.get("region"), "pk", None),
                        getattr(audience.get("partner"), "pk", None),
                    ),
                    valid_from=valid_from,
                    valid_to=rng.choice([None, valid_from + timedelta(days=rng.randrange(30, 700))]),
                    priority=index + 1,  # distinct priorities: no two lists can tie
                    status="active",
                    **audience,
                )
            )
        PriceList.objects.bulk_create(lists)
        items = []
        for price_list in PriceList.objects.exclude(pk=base.pk):
            for sku in rng.sample(skus, 25):
                price = base_prices[sku.pk] * Decimal(rng.randrange(85, 100)) / 100
                items.append(PriceListItem(price_list=price_list, sku=sku, price=price))
                if rng.random() < 0.3:
                    items.append(PriceListItem(price_list=price_list, sku=sku, min_qty=10, price=price * 98 / 100))
            if rng.random() < 0.3:
                rules.append(
                    PriceListRule(
                        price_list=price_list,
                        product_line=rng.choice([root, *lines]),
                        method="percent_of_base",
                        value=Decimal(rng.randrange(85, 99)),
                        rounding=rng.choice(["0.01", "0.1", "1"]),
                    )
                )
        PriceListItem.objects.bulk_create(items, batch_size=2000)
        PriceListRule.objects.bulk_create(rules)
        promotions = []
        for index in range(promotion_count):
            kind = rng.choice(
                [
                    "percent_off",
                    "amount_off",
                    "special_price",
                    "limited_special",
                    "threshold",
                    "tiered_threshold",
                    "buy_x_get_y",
                    "bundle",
                ]
            )
            limited = kind == "limited_special" or rng.random() < 0.1
            audience = rng.choice(
                [{}, {"tier": rng.choice(tiers)}, {"region": rng.choice(provinces)}, {"partner": rng.choice(others)}]
            )
            target = rng.choice(
                [{}, {"product_line": rng.choice([root, *lines])}, {"sku": rng.choice(skus)}, {"sku": rng.choice(skus)}]
            )
            if kind == "bundle":
                target = {}  # a bundle covers its own SKUs
            stackable = rng.random() < 0.7
            promotions.append(
                Promotion(
                    code=f"PR{index:04d}",
                    name=f"促销{index}",
                    kind=kind,
                    status="active",
                    stacking="stackable" if stackable else "exclusive",
                    stack_group=rng.choice(["A", "B", "C"]) if stackable else "",
                    priority=rng.randrange(0, 20),
                    valid_from=start + timedelta(days=rng.randrange(-200, 170)),
                    value=Decimal(rng.randrange(1, 30)) if kind == "percent_off" else Decimal(rng.randrange(5, 500)),
                    threshold=Decimal(rng.randrange(2000, 50000)),
                    per_each=rng.random() < 0.5,
                    tiers=[["5000", "100"], ["20000", "600"], ["50000", "2000"]],
                    buy_qty=rng.choice([2, 5, 10]),
                    gift_qty=1,
                    gift_sku=rng.choice([None, rng.choice(skus)]),
                    bundle_items=[[sku.pk, rng.randrange(1, 3)] for sku in rng.sample(skus, 2)]
                    if kind == "bundle"
                    else [],
                    partner_cap_qty=500 if limited else None,
                    budget_qty=100_000 if limited else None,
                    budget_amount=Decimal("10000000") if limited and rng.random() < 0.5 else None,
                    **audience,
                    **target,
                )
            )
        Promotion.objects.bulk_create(promotions)
    return partner, [sku.pk for sku in skus]


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-pricing-"))
    url = prepare_environment(args, workdir)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    from qudao.pricing.engine import CartLine, fetch_pricing_inputs, price_cart, quote
    from qudao.pricing.models import PriceList, PriceListItem

    database = connection.vendor
    print(f"Database: {database} ({url})")
    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    started = time.monotonic()
    partner, sku_ids = build(rng, args.lists, args.promotions)
    print(
        f"Built {PriceList.objects.count()} price lists, {PriceListItem.objects.count()} item rows "
        f"in {time.monotonic() - started:.1f} s."
    )
    if database == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    on = date(2026, 6, 30)
    carts = [
        [CartLine(sku=sku_id, quantity=rng.choice([1, 2, 5, 12, 24])) for sku_id in rng.sample(sku_ids, args.lines)]
        for _ in range(args.repeat)
    ]
    quote(partner, carts[0], on)  # warm up
    with CaptureQueriesContext(connection) as captured:
        first = quote(partner, carts[0], on)
    inputs = fetch_pricing_inputs(partner, [line.sku for line in carts[0]], on)
    samples, pure = [], []
    for cart in carts:
        started = time.perf_counter()
        result = quote(partner, cart, on)
        samples.append((time.perf_counter() - started) * 1000)
        assert len(result.lines) == args.lines
    for _ in range(args.repeat):
        started = time.perf_counter()
        price_cart(inputs, carts[0], on)
        pure.append((time.perf_counter() - started) * 1000)
    # Reserving (what placing an order does): lock the limited promotions, price, write the ledger.
    from qudao.pricing.reservations import reserve

    reserving = []
    for index, cart in enumerate(carts[: min(50, len(carts))]):
        started = time.perf_counter()
        reserved = reserve(partner=partner, lines=cart, on=on, reference=f"BENCH-{index:04d}")
        reserving.append((time.perf_counter() - started) * 1000)
    applying = len(inputs.lists)
    summary = {
        "database": database,
        "price_lists": PriceList.objects.count(),
        "lists_applying_to_partner": applying,
        "promotions": args.promotions,
        "promotions_for_partner": len(inputs.promotions),
        "promotions_applied_first_cart": len({item["promotion"] for line in first.lines for item in line.promotions}),
        "cart_lines": args.lines,
        "carts": args.repeat,
        "queries_per_cart": len(captured.captured_queries),
        "median_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
        "pure_engine_median_ms": round(statistics.median(pure), 3),
        "reserve_median_ms": round(statistics.median(reserving), 2),
        "reserve_p99_ms": round(percentile(reserving, 0.99), 2),
        "promotions_used_last_reservation": len(reserved.usage),
        "gift_lines_first_cart": len(first.gifts),
        "first_cart_total": str(first.total),
    }
    print(
        f"{args.repeat} carts of {args.lines} lines: median {summary['median_ms']} ms, p99 {summary['p99_ms']} ms "
        f"per cart ({summary['queries_per_cart']} queries; the pure engine alone {summary['pure_engine_median_ms']} ms)"
    )
    print(
        f"{len(reserving)} reservations: median {summary['reserve_median_ms']} ms, p99 {summary['reserve_p99_ms']} ms"
    )
    connections.close_all()
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres_url, autocommit=True) as maintenance:
            maintenance.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    for path in sorted(workdir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    workdir.rmdir()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
