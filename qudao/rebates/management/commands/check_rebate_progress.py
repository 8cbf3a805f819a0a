"""`manage.py check_rebate_progress [--repair]`: compare every active policy's live progress rows
(this period) with a full recomputation from the set-based basis; list each partner that differs
and exit 1, otherwise 0. `--repair` recomputes the drifting policies afterwards (as the nightly
task does)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qudao.core.money import quantize
from qudao.rebates import progress


class Command(BaseCommand):
    help = "Check the live rebate progress against a full recomputation (--repair to rebuild the drifting policies)."

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Recompute the policies that drift.")

    def handle(self, *args, repair=False, **options):
        results = progress.check_all(repair=repair)
        lines = [
            f"{code}: partner {d['partner_id']} stored {quantize(d['stored'][0])} recomputed {quantize(d['full'][0])}"
            for code, drift in results.items()
            for d in drift
        ]
        for line in lines:
            self.stdout.write(line)
        if lines and not repair:
            raise CommandError(f"{len(lines)} progress row(s) differ from a recomputation.")
        if lines:
            self.stdout.write(f"Recomputed: {', '.join(code for code, drift in results.items() if drift)}.")
        else:
            self.stdout.write(f"Rebate progress: no drift ({len(results)} polic(ies) checked).")
