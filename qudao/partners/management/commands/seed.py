"""`manage.py seed [--partners N] [--seed S] [--force]`: deterministic demo data (see partners.demo)."""

import random

from django.core.management.base import BaseCommand, CommandError

from qudao.catalog import demo as catalog_demo
from qudao.finance import demo as finance_demo
from qudao.finance import demo_payments, demo_statements
from qudao.inventory import demo as inventory_demo
from qudao.orders import demo as orders_demo
from qudao.partners import demo
from qudao.pricing import demo as pricing_demo
from qudao.rebates import demo as rebates_demo


class Command(BaseCommand):
    help = "Build deterministic, realistic demo data: users for every role and a partner network of N partners."

    def add_arguments(self, parser):
        parser.add_argument(
            "--partners",
            type=int,
            default=demo.DEFAULT_PARTNERS,
            help=f"How many partners (default {demo.DEFAULT_PARTNERS}; 50000 for measuring).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"Random seed (default {demo.DEFAULT_SEED}); the same seed gives the same data.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add partners even though the database already has some (the demo users are kept).",
        )

    def handle(self, *args, partners, seed, force, verbosity=1, **options):
        if partners < 0:
            raise CommandError("--partners must be zero or more.")
        log = self.stdout.write if verbosity >= 1 else (lambda message: None)
        try:
            report = demo.seed_demo(partners=partners, seed=seed, force=force, log=log)
        except demo.SeedRefused:
            raise CommandError(
                "The database already has partners; nothing was seeded. Use --force to add more."
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        catalog_demo.seed_catalog(random.Random(seed), log=log)
        pricing_demo.seed_pricing(random.Random(seed), log=log)
        inventory_demo.seed_inventory(random.Random(seed), log=log)
        orders_demo.seed_orders(random.Random(seed), log=log)
        finance_demo.seed_finance(random.Random(seed), log=log)  # invoices of the shipped demo orders
        demo_payments.seed_payments(random.Random(seed), log=log)
        rebates_demo.seed_rebates(random.Random(seed), log=log)
        demo_statements.seed_statements(random.Random(seed), log=log)  # last: the months' entries
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded in {report.seconds:.1f} s: {report.partners} partners "
                    f"({report.distributors} distributors, {report.sub_dealers} under a parent), "
                    f"{report.applications} pending applications, {report.users} demo users."
                )
            )
            self.stdout.write("")
            self.stdout.write("Demo logins:")
            self.stdout.write(demo.format_logins(report.logins))
