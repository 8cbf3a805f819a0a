"""The HQ workbench page (/workbench/): who lands there, what it shows, each section's empty state."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_smoke(world, page_client):
    response = page_client(world.users["admin"]).get("/workbench/")
    assert response.status_code == 200
    open("/tmp/wb/admin.html", "w").write(response.content.decode())
