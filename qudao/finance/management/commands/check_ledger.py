"""`manage.py check_ledger`: prove that every partner ledger balance equals the sum of its entries,
and that every invoice's settled amount equals the sum of its allocations (exit 1, listing each
mismatch, otherwise 0)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qudao.finance import ledger
from qudao.finance.selectors import unsettled_mismatches


class Command(BaseCommand):
    help = "Reconcile the partner ledger: every book's balance with its entries, every invoice with its allocations."

    def handle(self, *args, **options):
        problems = [
            f"partner {m.partner_id} {m.currency} {m.book}: balance {m.balance} != entries {m.entries}"
            for m in ledger.reconcile()
        ]
        problems += [
            f"invoice {number}: settled {settled} != allocations {allocated}"
            for number, settled, allocated in unsettled_mismatches()
        ]
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"{len(problems)} mismatch(es) in the ledger.")
        self.stdout.write("The ledger reconciles: every balance equals its entries, every invoice its allocations.")
