"""Shared test fixtures: one small partner world with every persona.

World (see `world`):
  regions   Jiangsu (320000) > Nanjing (320100), Suzhou (320500); Zhejiang (330000) > Hangzhou (330100)
  partners  dist_js  distributor in Nanjing (territory: Jiangsu)
              └ sub_js  dealer in Suzhou, sub-dealer of dist_js
            dealer_zj dealer in Hangzhou, independent
  HQ users  admin, channel (channel manager), regional_js (regional manager of Jiangsu),
            regional_zj (regional manager of Zhejiang), finance, operations, sales (owns dealer_zj)
  partner   dist_admin, dist_staff (dist_js); sub_admin (sub_js); zj_admin (dealer_zj)
Every user's password is PASSWORD.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# Settings for tests are qudao/settings_test.py (pyproject: DJANGO_SETTINGS_MODULE).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright tests touch the ORM

import pytest  # noqa: E402

PASSWORD = "Qudao-Test-2026!"
PERSONAS = (
    "admin",
    "channel",
    "regional_js",
    "regional_zj",
    "finance",
    "operations",
    "sales",
    "dist_admin",
    "dist_staff",
    "sub_admin",
    "zj_admin",
)


@dataclass
class World:
    users: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for bucket in ("users", "partners", "regions"):
            values = self.__dict__.get(bucket, {})
            if name in values:
                return values[name]
        raise AttributeError(name)


def ensure_reference_data():
    """Transactional tests flush every table, data-migration rows included; put them back."""
    from qudao.core.models import ApprovalFlow, ApprovalStep, Region
    from qudao.partners import reference_data
    from qudao.partners.models import Tier

    if not Region.objects.exists():
        reference_data.load_regions(Region)
    if not Tier.objects.exists():
        reference_data.load_tiers(Tier)
    if not ApprovalFlow.objects.exists():
        reference_data.load_flows(ApprovalFlow, ApprovalStep)


def pytest_itemcollected(item):
    """`postgres_only` tests (real threads against PostgreSQL row locks) are skipped on SQLite,
    which serialises writers."""
    from django.db import connection

    if item.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        item.add_marker(pytest.mark.skip(reason="needs PostgreSQL row locks"))


@pytest.fixture(autouse=True)
def _one_concurrency_test_at_a_time(request):
    """Two `postgres_only` tests on two pytest-xdist workers at once, 50 connections each, would
    exhaust the server's max_connections (100 by default): they take turns on a file lock.
    (pytest-xdist's --dist loadgroup would do it, but does not work with pytest 9.2.)"""
    if request.node.get_closest_marker("postgres_only") is None:
        yield
        return
    import fcntl
    import tempfile
    from pathlib import Path

    with open(Path(tempfile.gettempdir()) / "qudao-tests-postgres-concurrency.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The analytics store (Parquet segments) of a test is its own, never var/analytics.
    settings.QUDAO_ANALYTICS_DIR = str(tmp_path / "analytics")
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def world(db) -> World:
    return build_world()


def build_world() -> World:
    """The world of the module docstring; the caller provides the database access."""
    from qudao.accounts.roles import PartnerRole
    from qudao.accounts.services import create_user
    from qudao.core.models import BrandSettings, Region
    from qudao.partners import services
    from qudao.partners.models import PartnerMember

    ensure_reference_data()
    BrandSettings.current()
    w = World()
    for key, code in {
        "jiangsu": "320000",
        "nanjing": "320100",
        "suzhou": "320500",
        "zhejiang": "330000",
        "hangzhou": "330100",
    }.items():
        w.regions[key] = Region.objects.get(code=code)

    def hq(username, roles, regions=()):
        user = create_user(
            username=username,
            password=PASSWORD,
            roles=roles,
            regions=list(regions),
            email=f"{username}@hq.example.cn",
            display_name=username,
        )
        w.users[username] = user
        return user

    hq("admin", ["admin"])
    hq("channel", ["channel_manager"])
    hq("regional_js", ["regional_manager"], [w.regions["jiangsu"]])
    hq("regional_zj", ["regional_manager"], [w.regions["zhejiang"]])
    hq("finance", ["finance"])
    hq("operations", ["operations"])
    hq("sales", ["sales"])

    w.partners["dist_js"] = services.create_partner(
        data={
            "partner_type": "distributor",
            "legal_name": "南京金陵商贸有限公司",
            "short_name": "金陵商贸",
            "credit_code": valid_uscc(1),
            "region": "320100",
            "tier": "gold",
            "territories": ["320000"],
        }
    )
    w.partners["sub_js"] = services.create_partner(
        data={
            "partner_type": "dealer",
            "legal_name": "苏州姑苏电器经营部",
            "short_name": "姑苏电器",
            "region": "320500",
            "tier": "silver",
            "parent": w.partners["dist_js"].pk,
        }
    )
    w.partners["dealer_zj"] = services.create_partner(
        data={
            "partner_type": "dealer",
            "legal_name": "杭州西湖家电有限公司",
            "short_name": "西湖家电",
            "region": "330100",
            "tier": "registered",
            "regional_owner": "sales",
        }
    )

    def member(username, partner_key, role):
        user = create_user(
            username=username, password=PASSWORD, email=f"{username}@partner.example.cn", display_name=username
        )
        PartnerMember.objects.create(user=user, partner=w.partners[partner_key], role=role)
        w.users[username] = user
        return user

    member("dist_admin", "dist_js", PartnerRole.ADMIN)
    member("dist_staff", "dist_js", PartnerRole.STAFF)
    member("sub_admin", "sub_js", PartnerRole.ADMIN)
    member("zj_admin", "dealer_zj", PartnerRole.ADMIN)
    for key in list(w.partners):
        w.partners[key].refresh_from_db()
    return w


@pytest.fixture
def api_client():
    """`api_client(user)` -> a Django test Client that sends a real personal API token."""
    from django.test import Client

    from qudao.accounts.services import issue_token

    def make(user=None):
        if user is None:
            return Client()
        _token, raw = issue_token(user=user, name="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


@pytest.fixture
def page_client():
    """`page_client(user)` -> a Django test Client logged in with a session (CSRF enforced)."""
    from django.test import Client

    def make(user=None, enforce_csrf=False):
        client = Client(enforce_csrf_checks=enforce_csrf)
        if user is not None:
            client.force_login(user)
        return client

    return make


def valid_uscc(seed: int) -> str:
    """A valid unified social credit code, different for each seed."""
    from qudao.core.validators import uscc_check_character

    body = f"91{320100 + seed % 1000:06d}MA{seed:08d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + uscc_check_character(body)


@pytest.fixture
def uscc():
    return valid_uscc
