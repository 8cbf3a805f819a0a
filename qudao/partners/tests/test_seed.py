"""The demo data generator (`manage.py seed`, partners.demo): deterministic, valid, complete."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction

from qudao.accounts.models import User
from qudao.accounts.roles import HQRole, PartnerRole
from qudao.accounts.services import authenticate_identifier
from qudao.core import approvals
from qudao.core.models import ApprovalRequest, Region
from qudao.core.validators import is_valid_uscc
from qudao.partners import demo, services
from qudao.partners.models import (
    CreditTermsChange,
    Partner,
    PartnerApplication,
    PartnerContact,
    PartnerStatus,
    PartnerStatusChange,
)
from qudao.partners.scoping import visible_partners

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def seed(partners=40, seed=42):
    """The whole demo, as `manage.py seed` builds it (every context after the partners)."""
    return call_command("seed", partners=partners, seed=seed, stdout=StringIO())


def seed_network(partners=40, seed=42):
    """Only the partner network and the demo users (partners.demo, the command's first step): the
    tests of the network's own properties need nothing the later contexts add."""
    return demo.seed_demo(partners=partners, seed=seed)


def seeded_digest(partners, seed_value) -> str:
    """Seed into the (empty) test database, fingerprint, and roll everything back."""
    digest = None
    try:
        with transaction.atomic():
            seed_network(partners, seed_value)
            digest = demo.digest()
            raise _Rollback
    except _Rollback:
        pass
    assert not Partner.objects.exists()
    return digest


def test_it_gives_the_same_partners_for_the_same_seed():
    # given: an empty database
    # when: seeding twice with the same seed (each time into the fresh database) and once with another
    first = seeded_digest(40, 7)
    second = seeded_digest(40, 7)
    other = seeded_digest(40, 8)
    # then: the same codes, names, credit codes, regions, hierarchy, tiers and statuses; another seed differs
    assert first == second
    assert first != other


def test_it_creates_the_expected_numbers():
    # when
    output = StringIO()
    call_command("seed", partners=60, seed=42, stdout=output)
    # then: 60 partners: 2 named + 8 generated distributors (15 % of 54), the rest dealers, agents, service partners
    assert Partner.objects.count() == 60
    assert Partner.objects.filter(partner_type="distributor").count() == 10
    # 4 named sub-dealers + 2 second-level distributors + 28 sub-dealers (60 % of the 46 others)
    assert Partner.objects.filter(parent__isnull=False).count() == 34
    assert Partner.objects.filter(depth=2).exists()
    codes = list(Partner.objects.order_by("code").values_list("code", flat=True))
    assert (codes[0], codes[-1]) == ("P000001", "P000060")
    assert Partner.objects.filter(contacts__isnull=True).count() == 0
    # every partner has its creation in the status history; suspended and terminated ones a reason
    assert PartnerStatusChange.objects.filter(from_status="").count() == 60
    for partner in Partner.objects.exclude(status=PartnerStatus.ACTIVE):
        change = partner.status_history.exclude(from_status="").get()
        assert (change.to_status, bool(change.reason)) == (partner.status, True)
    # five pending applications (the 佛山 one of qudao.demo_extras too), one already past its first step
    assert PartnerApplication.objects.filter(status=PartnerApplication.Status.SUBMITTED).count() == 5
    requests = ApprovalRequest.objects.filter(subject_kind="partner_application", status="pending")
    assert sorted(request.current_step.sequence for request in requests) == [1, 1, 1, 1, 2]
    # credit terms: one change approved through both steps, one applied at once, one waiting, and
    # 美佳电器's first limit (qudao.demo_extras) applied at once
    assert sorted(CreditTermsChange.objects.values_list("status", flat=True)) == [
        "applied",
        "applied",
        "applied",
        "pending",
    ]
    assert Partner.objects.get(code="P000001").credit_limit == 3000000
    assert "Demo logins:" in output.getvalue()
    assert f"dist_admin      {settings.DEMO_PASSWORD}  partner_admin" in output.getvalue()


def test_every_credit_code_is_valid_and_unique():
    seed_network(80)
    codes = list(Partner.objects.values_list("credit_code", flat=True))
    codes += list(PartnerApplication.objects.values_list("credit_code", flat=True))
    assert len(codes) == 84
    assert [code for code in codes if not is_valid_uscc(code)] == []
    assert len(set(codes)) == 84
    mobiles = list(PartnerContact.objects.values_list("mobile", flat=True))
    assert len(set(mobiles)) == len(mobiles)


def test_every_sub_dealer_lies_inside_its_parents_territory_and_paths_are_right():
    seed_network(120)
    partners = {partner.pk: partner for partner in Partner.objects.select_related("region", "parent")}
    for partner in partners.values():
        parent = partner.parent
        expected_path = f"{parent.path if parent else '/'}{partner.pk}/"
        assert (partner.path, partner.depth) == (expected_path, parent.depth + 1 if parent else 0), partner.code
        assert partner.region.level == Region.Level.CITY
        if parent is not None:
            assert parent.partner_type == "distributor"
            assert any(partner.region.path.startswith(path) for path in services.territory_paths(parent)), partner.code


def test_it_creates_demo_users_for_every_role_who_can_log_in():
    seed_network()
    hq_roles = set(
        User.objects.filter(username__in=[user.username for user in demo.HQ_USERS]).values_list(
            "role_assignments__role", flat=True
        )
    )
    assert hq_roles == set(HQRole.values)
    for demo_user in demo.DEMO_USERS:
        user = authenticate_identifier(demo_user.username, settings.DEMO_PASSWORD)
        assert user is not None, demo_user.username
        assert demo_user.role in user.role_codes()
    assert {user.partner.code for user in User.objects.filter(partner_member__isnull=False)} == {
        "P000001",
        "P000002",
        "P000006",
    }
    assert User.objects.get(username="dist_staff").partner_membership.role == PartnerRole.STAFF
    east = User.objects.get(username="regional_east")
    assert sorted(east.regions.values_list("code", flat=True)) == sorted(demo.EAST_CHINA)


def test_each_demo_user_sees_its_own_part_of_the_network():
    seed_network(100)
    # a distributor's users see it and its sub-dealers, two levels deep
    dist_admin = User.objects.get(username="dist_admin")
    assert sorted(visible_partners(dist_admin).values_list("code", flat=True)) == [
        "P000001",
        "P000002",
        "P000003",
        "P000004",
        "P000005",
    ]
    assert list(visible_partners(User.objects.get(username="sub_admin")).values_list("code", flat=True)) == ["P000002"]
    # a regional manager sees exactly the partners of its provinces
    south = User.objects.get(username="regional_south")
    in_south = Partner.objects.filter(region__parent__code__in=demo.SOUTH_CHINA)
    assert set(visible_partners(south)) == set(in_south)
    assert in_south.exists()
    # sales sees the partners it owns
    sales = User.objects.get(username="sales")
    owned = Partner.objects.filter(regional_owner=sales)
    assert set(visible_partners(sales)) == set(owned)
    assert owned.filter(code="P000006").exists()


def test_the_approval_inbox_holds_the_pending_requests():
    seed()
    channel = User.objects.get(username="channel")
    east = User.objects.get(username="regional_east")
    inbox = list(approvals.inbox_for(channel))
    elsewhere = ("order", "rebate_fund_deposit")  # the orders are checked below; the deposit is the admin's
    kinds = sorted(request.subject_kind for request in inbox if request.subject_kind not in elsewhere)
    # the credit increase, three applications, and the 彩电 clearance list 20 % below base
    assert kinds == ["credit_change", "partner_application", "partner_application", "partner_application", "price_list"]
    # and finance's goodwill deposit into 恒通家电's rebate fund
    assert ApprovalRequest.objects.filter(subject_kind="rebate_fund_deposit", status="pending").count() == 1
    # and the demo orders over their credit limit (qudao.demo_history)
    from qudao.demo_extras import OPERATIONS_FLOW
    from qudao.orders.models import Order

    waiting = Order.objects.filter(status="pending_approval")
    pending = sorted(str(order.pk) for order in waiting.exclude(approval__flow__name=OPERATIONS_FLOW["name"]))
    assert sorted(request.subject_id for request in inbox if request.subject_kind == "order") == pending
    # but the order HQ took beyond a partner's credit under the 代客下单 flow waits for operations first
    reviewed = waiting.get(approval__flow__name=OPERATIONS_FLOW["name"])
    operations = User.objects.get(username="operations")
    assert [request.subject_id for request in approvals.inbox_for(operations)] == [str(reviewed.pk)]
    assert [request.title for request in approvals.inbox_for(east)] == ["合肥庐州华联家电商贸有限公司 (Distributor)"]
    application = PartnerApplication.objects.get(legal_name="南通江海乐家电器经营部")
    assert (application.parent.code, application.licence.read(5)) == ("P000001", b"%PDF-")


def test_it_refuses_a_database_that_has_partners_unless_forced():
    # given: a seeded database
    seed(30)
    before = demo.digest()
    # when: seeding again without --force
    with pytest.raises(CommandError, match="already has partners"):
        seed(30)
    # then: nothing changed
    assert demo.digest() == before
    # when: forced, with 10 more
    call_command("seed", partners=10, seed=3, force=True, stdout=StringIO())
    # then: 10 more partners, numbered on, and still one set of demo users
    assert Partner.objects.count() == 40
    assert Partner.objects.order_by("-code").first().code == "P000040"
    assert User.objects.filter(username="admin").count() == 1


def test_it_refuses_fewer_partners_than_the_named_ones():
    with pytest.raises(CommandError, match="at least 6"):
        seed(5)
    assert not Partner.objects.exists()
    assert not User.objects.exists()
