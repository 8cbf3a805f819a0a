"""Orders fixtures: the pricing catalogue (qudao/pricing/tests/conftest.py: HOOD-A 1,299.00, HOOD-B
2,000.00, WASH-A 3,000.00, everyone may buy them) with stock in one HQ warehouse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qudao.pricing.tests.conftest import catalogue  # noqa: F401  (a fixture used by these tests)


def stock(sku, on_hand, warehouse=None):
    """Put `on_hand` units of `sku` in `warehouse` (the HQ warehouse by default), through the ledger."""
    from qudao.inventory import services
    from qudao.inventory.models import Warehouse

    warehouse = warehouse or Warehouse.objects.get_or_create(code="HQ", defaults={"name": "总仓", "kind": "hq"})[0]
    services.receive_stock(warehouse_id=warehouse.pk, lines=[(sku.pk, on_hand)], note="test stock")
    return warehouse


def set_credit(partner, limit):
    from qudao.partners.models import Partner

    Partner.objects.filter(pk=partner.pk).update(credit_limit=Decimal(limit))
    partner.refresh_from_db()


@pytest.fixture
def shop(world, catalogue):  # noqa: F811
    """The catalogue with 20 of each SKU in stock, and dist_js with 100,000.00 of credit."""
    for sku in catalogue.skus.values():
        stock(sku, 20)
    set_credit(world.dist_js, "100000")
    return catalogue
