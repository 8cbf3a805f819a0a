"""Fixtures of other contexts that the API contract tests (test_api_contract.py) use."""

from qudao.catalog.tests.conftest import catalog  # noqa: F401
from qudao.orders.tests.conftest import shop  # noqa: F401
from qudao.pricing.tests.conftest import catalogue  # noqa: F401
