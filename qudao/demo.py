"""The whole demo in one call: `seed_everything()`, used by `qudao seed` and by `qudao serve` on an
empty database (so `make run` on a fresh clone shows the whole product, not only a partner list).

Each bounded context seeds its own part (its `demo.py`), lowest first; this module, in the project
package above every context, runs them in order, so no context imports a higher one:

1. partners.demo: the demo users, the named demo partners and the bulk of the network;
2. catalog.demo: product lines, products with pictures, SKUs (HOOD-A and HOOD-B of the README);
3. pricing.demo: price lists of every audience, floor prices, promotions of every kind;
4. inventory.demo: warehouses and opening stock;
5. qudao.demo_history: twelve months of orders in every status, shipped, delivered, invoiced, paid,
   returned and disputed, through the real services under the demo clock (qudao.core.demo_clock);
   each month's statements issued on the 1st (confirmed by the partners; last month's one disputed);
6. rebates.demo: policies through their approval flow, posted runs of the past quarters, live
   progress, a manual deposit waiting for approval;
7. analytics.demo: the year's target plan (brand > provinces > partners by their last twelve months,
   year > quarters > months), approved, so attainment shows everywhere.

Deterministic for a given seed (every step draws from its own `random.Random(seed)`)."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from qudao.partners import demo as partners_demo

DEFAULT_PARTNERS = partners_demo.DEFAULT_PARTNERS
DEFAULT_SEED = partners_demo.DEFAULT_SEED
SeedRefused = partners_demo.SeedRefused


@dataclass
class DemoReport:
    """What one seeding built (the partner network's report, and each later step's counts)."""

    network: partners_demo.SeedReport
    steps: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def partners(self) -> int:
        return self.network.partners

    @property
    def logins(self) -> list[dict]:
        return self.network.logins


UNREAD_KEPT = 10


def read_old_news(rng=None, log: Callable[[str], None] = lambda message: None) -> dict:
    """A year of trade leaves every demo user hundreds of notifications; people read theirs, so
    all but each user's newest UNREAD_KEPT are marked read (at the time they arrived). What the
    later demo steps send (approvals waiting) stays unread."""
    from django.db.models import F

    from qudao.core.models import Notification

    marked = 0
    users = Notification.objects.filter(read_at__isnull=True).values_list("user_id", flat=True).distinct()
    for user_id in list(users):
        newest = Notification.objects.filter(user_id=user_id, read_at__isnull=True).order_by("-created_at", "-pk")
        kept = list(newest.values_list("pk", flat=True)[:UNREAD_KEPT])
        marked += (
            Notification.objects.filter(user_id=user_id, read_at__isnull=True)
            .exclude(pk__in=kept)
            .update(read_at=F("created_at"))
        )
    log(f"Inbox: {marked} older notifications marked read ({UNREAD_KEPT} newest kept unread per user).")
    return {"read": marked}


@contextlib.contextmanager
def _history_tasks_inline():
    """While the demo is written, the tasks its services enqueue (order news, progress, jobs) run
    inline, as the year they belong to happens (under the demo clock), and `read_old_news` then
    ages them like the rest. Left to the worker, a year of news would arrive at once when `serve`
    starts, dated today and unread (the channel manager found 941 unread notifications). Their
    e-mails are not sent: they are history. The test suite runs tasks inline anyway (immediate
    mode), so this is the path its demo tests take."""
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    immediate, email_backend = HUEY.immediate, settings.EMAIL_BACKEND
    HUEY.immediate = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    try:
        yield
    finally:
        HUEY.immediate = immediate
        settings.EMAIL_BACKEND = email_backend


def seed_everything(
    *,
    partners: int = DEFAULT_PARTNERS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> DemoReport:
    """Build the whole demo. Every step after the partners does nothing when its data exists
    already (so `--force` adds partners only).

    :raises SeedRefused: the database has partners and `force` is False.
    :raises ValueError: fewer partners than the named demo partners."""
    from qudao import demo_extras, demo_history
    from qudao.analytics import demo as analytics_demo
    from qudao.analytics.demo_alerts import seed_alerts
    from qudao.analytics.demo_reports import seed_reports
    from qudao.catalog import demo as catalog_demo
    from qudao.inventory import demo as inventory_demo
    from qudao.pricing import demo as pricing_demo
    from qudao.rebates import demo as rebates_demo

    started = time.monotonic()
    # One transaction: a seeding that fails halfway (a bug, Ctrl+C, a full disk) leaves the database
    # as empty as it found it, so the next `serve` seeds again instead of showing half a demo (it
    # seeds only when there are no partners). On SQLite it is also much faster: one commit, not one
    # per service call.
    with _history_tasks_inline(), transaction.atomic():
        network = partners_demo.seed_demo(partners=partners, seed=seed, force=force, log=log)
        report = DemoReport(network=network)
        steps = (
            ("catalog", catalog_demo.seed_catalog),
            ("pricing", pricing_demo.seed_pricing),
            ("inventory", inventory_demo.seed_inventory),
            ("history", demo_history.seed_history),
            ("rebates", rebates_demo.seed_rebates),
            ("targets", analytics_demo.seed_targets),
            ("inbox", read_old_news),
            ("extras", demo_extras.seed_extras),
            ("alerts", seed_alerts),
            ("reports", seed_reports),
        )
        for name, step in steps:
            report.steps[name] = step(random.Random(seed), log=log) or {}
    # The analytics store, built once the trade is committed, so the first run has figures (the
    # worker's refresh keeps it up to date from then on).
    from qudao.analytics import store

    report.steps["analytics"] = store.rebuild().as_dict()
    log(f"analytics store built in {report.steps['analytics']['seconds']:.1f} s")
    # and the alert rules read it at once, as the worker does after each refresh, so the first run
    # shows the alerts open today (not only the "no order for N days" ones the seeding evaluated)
    from qudao.analytics import alerts

    outcome = alerts.evaluate_after_refresh()
    report.steps["alerts"]["open"] = outcome.opened if outcome else 0
    report.seconds = time.monotonic() - started
    return report
