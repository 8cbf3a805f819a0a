"""Demo payments for `manage.py seed` (filled by the payments work)."""

from __future__ import annotations

import random
from collections.abc import Callable


def seed_payments(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    return {}
