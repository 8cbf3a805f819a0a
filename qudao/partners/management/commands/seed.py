"""`manage.py seed [--partners N] [--seed S] [--force]`: the whole deterministic demo (qudao.demo)."""

from django.core.management.base import BaseCommand, CommandError

from qudao import demo as full_demo
from qudao.partners import demo


class Command(BaseCommand):
    help = "Build the whole deterministic demo: users for every role, N partners, and a year of their trade."

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
            report = full_demo.seed_everything(partners=partners, seed=seed, force=force, log=log)
        except demo.SeedRefused:
            raise CommandError(
                "The database already has partners; nothing was seeded. Use --force to add more."
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        network = report.network
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded in {report.seconds:.1f} s: {network.partners} partners "
                    f"({network.distributors} distributors, {network.sub_dealers} under a parent), "
                    f"{network.applications} pending applications, {network.users} demo users."
                )
            )
            self.stdout.write("")
            self.stdout.write("Demo logins:")
            self.stdout.write(demo.format_logins(network.logins))
