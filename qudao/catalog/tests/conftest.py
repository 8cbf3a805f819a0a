import pytest

from .factories import build_catalog


@pytest.fixture
def catalog(world):
    return build_catalog()
