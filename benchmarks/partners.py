"""Benchmark: the partner list at 50,000 partners, as each role sees it.

    .venv/bin/python benchmarks/partners.py              # SQLite file in a temporary directory
    .venv/bin/python benchmarks/partners.py --quick      # 2,000 partners, fewer repeats
    .venv/bin/python benchmarks/partners.py --postgres   # a dedicated PostgreSQL database, qudao_bench

Builds a fresh database, migrates it, seeds it with the demo generator (qudao.partners.demo, the same
data as `manage.py seed --partners N`), then times the queries behind the partner list for each
role's scope: COUNT, page 1 and a deep page (the console reads a page's ids, then those rows), the
API's page (one sliced SELECT with its joins), search, a tier+region filter, a sort by name, and a
distributor's sub-dealers (the scoping rule's path prefix). Prints a table, and as its last line
one JSON object with the figures. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = 50
BENCH_DATABASE = "qudao_bench"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 partners and 5 repeats (a smoke run).")
    parser.add_argument("--partners", type=int, help="How many partners (default 50,000; 2,000 with --quick).")
    parser.add_argument("--repeat", type=int, help="Timed runs per query (default 15; 5 with --quick).")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", action="store_true", help=f"Use PostgreSQL (database {BENCH_DATABASE}).")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("QUDAO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="A maintenance database URL on the server (the benchmark database is created next to it).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards (and print where).")
    args = parser.parse_args(argv)
    args.partners = args.partners or (2000 if args.quick else 50000)
    args.repeat = args.repeat or (5 if args.quick else 15)
    return args


def prepare_environment(args, workdir: Path) -> str:
    """Point the settings at a fresh database before Django starts; returns its description."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "qudao.settings"
    os.environ["QUDAO_VAR_DIR"] = str(workdir)
    os.environ["QUDAO_JOBS_IMMEDIATE"] = "1"
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


def drop_postgres_database(args) -> None:
    import psycopg

    with psycopg.connect(args.postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def timed(function, repeat: int) -> tuple[list[float], object]:
    """Run once to warm up, then `repeat` times; the samples in milliseconds and the last result."""
    result = function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-"))
    url = prepare_environment(args, workdir)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from qudao.accounts.models import User
    from qudao.accounts.roles import PartnerRole
    from qudao.accounts.services import create_user
    from qudao.partners import demo, selectors
    from qudao.partners.models import Partner, PartnerMember
    from qudao.partners.scoping import visible_partners

    database = connection.vendor
    print(f"Database: {database} ({url})")
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = time.monotonic() - started
    report = demo.seed_demo(partners=args.partners, seed=args.seed)
    print(f"Migrated in {migrate_seconds:.1f} s; seeded {report.partners} partners in {report.seconds:.1f} s.")
    if database == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum would have done by the time anyone looks
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Partner._meta.db_table)}")

    # The distributor with the most direct sub-dealers, with a partner user to see through its eyes.
    biggest = (
        Partner.objects.filter(parent__isnull=False)
        .values("parent")
        .annotate(children=Count("id"))
        .order_by("-children", "parent")
        .first()
    )
    distributor = Partner.objects.get(pk=biggest["parent"])
    distributor_user = create_user(username="bench_distributor", password=None)
    PartnerMember.objects.create(user=distributor_user, partner=distributor, role=PartnerRole.ADMIN)
    personas = {
        "admin": User.objects.get(username="admin"),  # channel manager, finance, operations: the same scope
        "regional_east": User.objects.get(username="regional_east"),
        "regional_south": User.objects.get(username="regional_south"),
        "sales": User.objects.get(username="sales"),
        "distributor": User.objects.get(pk=distributor_user.pk),
        "dealer": User.objects.get(username="dealer_admin"),
    }

    def console_page(queryset, offset: int) -> list:
        """The HQ console's page: the page's ids from the narrow query, then those rows."""
        ids = list(queryset.values_list("pk", flat=True)[offset : offset + PAGE])
        rows = Partner.objects.select_related(
            "tier", "region__parent", "parent", "channel_manager", "regional_owner"
        ).in_bulk(ids)
        return [rows[pk] for pk in ids]

    def api_page(queryset, offset: int) -> list:
        """The API's page: one sliced SELECT with its joins (after its COUNT)."""
        return list(queryset.select_related("regional_owner")[offset : offset + PAGE])

    results: dict[str, dict[str, dict]] = {}
    samples_by_kind: dict[str, list[float]] = {}
    for role, user in personas.items():
        user.role_codes(), user.region_paths(), user.partner  # noqa: B018  (load the user's roles once)
        total = selectors.partner_list(user, {}).count()
        deep = max(0, (total // 2) // PAGE * PAGE)
        listing = lambda filters, user=user: selectors.partner_list(user, filters)  # noqa: E731
        if user.is_partner_user:
            below = lambda user=user: visible_partners(user).exclude(pk=user.partner.pk)  # noqa: E731
        else:
            below = lambda user=user: selectors.partner_list(user, {"parent": distributor.pk})  # noqa: E731
        queries = {
            "count": lambda listing=listing: listing({}).count(),
            "page_1": lambda listing=listing: console_page(listing({}), 0),
            "deep_page": lambda listing=listing, deep=deep: console_page(listing({}), deep),
            "api_deep_page": lambda listing=listing, deep=deep: api_page(listing({}), deep),
            "search": lambda listing=listing: (listing({"q": "华联"}).count(), console_page(listing({"q": "华联"}), 0)),
            "tier_region": lambda listing=listing: (
                listing({"tier": "gold", "region": "320000"}).count(),
                console_page(listing({"tier": "gold", "region": "320000"}), 0),
            ),
            "sort_name": lambda listing=listing: console_page(listing({"sort": "-name"}), 0),
            "sub_dealers": lambda below=below: (below().count(), console_page(below().order_by("path", "pk"), 0)),
        }
        results[role] = {"visible": total}
        for kind, query in queries.items():
            samples, _result = timed(query, args.repeat)
            samples_by_kind.setdefault(kind, []).extend(samples)
            results[role][kind] = {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(p95(samples), 2)}

    kinds = list(samples_by_kind)
    width = max(len(role) for role in results) + 2
    print()
    print(f"Partner list, {report.partners} partners, {database}; median / p95 in ms over {args.repeat} runs")
    print("role".ljust(width) + "visible".rjust(8) + "".join(kind.rjust(17) for kind in kinds))
    for role, figures in results.items():
        cells = "".join(f"{figures[kind]['median_ms']:.1f} / {figures[kind]['p95_ms']:.1f}".rjust(17) for kind in kinds)
        print(role.ljust(width) + str(figures["visible"]).rjust(8) + cells)
    overall = {
        kind: {"median_ms": round(statistics.median(values), 2), "p95_ms": round(p95(values), 2)}
        for kind, values in samples_by_kind.items()
    }
    print(
        "all roles".ljust(width)
        + "".rjust(8)
        + "".join(f"{overall[kind]['median_ms']:.1f} / {overall[kind]['p95_ms']:.1f}".rjust(17) for kind in kinds)
    )
    print(f"(sub_dealers: the distributor {distributor.code} with {biggest['children']} direct sub-dealers)")

    summary = {
        "database": database,
        "partners": report.partners,
        "seed_seconds": round(report.seconds, 1),
        "repeat": args.repeat,
        "page_size": PAGE,
        "queries": overall,
        "by_role": results,
    }
    from django.db import connections

    connections.close_all()
    if args.postgres and not args.keep:
        drop_postgres_database(args)
    if args.keep:
        print(f"Kept the database: {url}")
    else:
        for path in sorted(workdir.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        workdir.rmdir()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
