"""Demo rebate policies and runs for `manage.py seed` (filled by the rebates work)."""

from __future__ import annotations

import random
from collections.abc import Callable


def seed_rebates(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    return {}
