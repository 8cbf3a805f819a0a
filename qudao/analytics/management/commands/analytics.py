"""`python manage.py analytics refresh|rebuild|reconcile`: feed the analytics store, or compare
it with the database (exit status 1 and the differences printed when they do not agree)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refresh, rebuild or reconcile the analytics store."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh", "rebuild", "reconcile"])

    def handle(self, *args, action, **options):
        from qudao.analytics import store

        if action in ("refresh", "rebuild"):
            result = store.refresh() if action == "refresh" else store.rebuild()
            rows = ", ".join(f"{name} {count}" for name, count in result.rows.items())
            self.stdout.write(f"{action}: {rows} ({result.seconds:.2f} s)")
            return
        differences = store.reconcile()
        if not differences:
            self.stdout.write("reconcile: the store agrees with the database.")
            return
        for difference in differences:
            self.stdout.write(str(difference))
        raise CommandError(f"reconcile: {len(differences)} difference(s).", returncode=1)
