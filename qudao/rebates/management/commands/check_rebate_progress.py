"""`manage.py check_rebate_progress [--repair]`: compare every active policy's live progress rows
(this period) with a full recomputation from the set-based basis - the basis, the units and a growth
policy's baseline (the same period last year); list each row that differs and exit 1, otherwise 0.
`--repair` rebuilds exactly the rows that differ (the others are not touched), as the nightly task
does."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qudao.core.money import quantize
from qudao.rebates import progress


def _line(code: str, drift: dict) -> str:
    stored, full = quantize(drift["stored"][0]), quantize(drift["full"][0])
    line = f"{code}: partner {drift['partner_id']} stored {stored} recomputed {full}"
    if "full_baseline" in drift and drift["stored_baseline"] != drift["full_baseline"]:
        line += f", baseline stored {quantize(drift['stored_baseline'])} recomputed {quantize(drift['full_baseline'])}"
    return line


class Command(BaseCommand):
    help = (
        "Check the live rebate progress (basis, units, growth baselines) against a full recomputation; "
        "--repair rebuilds exactly the rows that differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Rebuild the rows that differ, and only those.")

    def handle(self, *args, repair=False, **options):
        results = progress.check_all(repair=repair)
        lines = [_line(code, drift) for code, rows in results.items() for drift in rows]
        for line in lines:
            self.stdout.write(line)
        if lines and not repair:
            raise CommandError(f"{len(lines)} progress row(s) differ from a recomputation.")
        if lines:
            self.stdout.write(
                f"Rebuilt {len(lines)} row(s): "
                + ", ".join(f"{code} ({len(rows)})" for code, rows in results.items() if rows)
                + "."
            )
        else:
            self.stdout.write(f"Rebate progress: no drift ({len(results)} polic(ies) checked).")
