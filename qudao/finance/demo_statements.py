"""Demo statements for `manage.py seed` (filled by the statements work)."""

from __future__ import annotations

import random
from collections.abc import Callable


def seed_statements(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    return {}
