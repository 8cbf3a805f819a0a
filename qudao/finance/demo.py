"""Demo receivables for `manage.py seed` (filled by the finance receivables work)."""

from __future__ import annotations

import random
from collections.abc import Callable


def seed_finance(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    return {}
