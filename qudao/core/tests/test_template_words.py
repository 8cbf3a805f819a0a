"""The templates show money one way and no internal data: an amount on a page goes through the
money filter (never printed raw, never with floatformat), an approval's context is shown through
its subject's labels, and no template prints an ISO timestamp."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = sorted(
    path
    for path in (Path(settings.BASE_DIR) / "qudao").rglob("*.html")
    if "templates" in path.parts and ".venv" not in path.parts
)
# {{ obj.something_amount }} with no filter: an attribute that is money, printed raw
RAW_MONEY = re.compile(
    r"\{\{\s*[a-z_]+(?:\.[a-z_]+)+?\.(?:[a-z_]*_)?(?:amount|balance|outstanding|credit_limit|price|paid|computed|cap)\s*\}\}"
)
FLOAT_MONEY = re.compile(r"(?:amount|balance|outstanding|limit|total|price|delta|basis)\|floatformat")


def offenders(pattern: re.Pattern) -> list[str]:
    found = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {match.group(0)}")
    return found


def test_the_templates_are_found():
    assert len(TEMPLATES) > 100


def test_no_template_prints_money_raw():
    assert offenders(RAW_MONEY) == [], "use {{ value|money }} (or |unit_price for a unit price)"


def test_no_template_formats_money_with_floatformat():
    assert offenders(FLOAT_MONEY) == [], "use {{ value|money }}: separators and two decimals"


def test_no_template_prints_an_approval_context_or_an_iso_timestamp():
    assert offenders(re.compile(r"approval\.context|\.isoformat|\|date:\"c\"")) == []
