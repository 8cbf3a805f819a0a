"""The scoping rule, persona by persona."""

import pytest

from qudao.core.errors import NotFound
from qudao.partners.scoping import get_visible_partner, visible_partners

EXPECTED = {
    "admin": {"dist_js", "sub_js", "dealer_zj"},
    "channel": {"dist_js", "sub_js", "dealer_zj"},
    "finance": {"dist_js", "sub_js", "dealer_zj"},
    "operations": {"dist_js", "sub_js", "dealer_zj"},
    "regional_js": {"dist_js", "sub_js"},
    "regional_zj": {"dealer_zj"},
    "sales": {"dealer_zj"},  # owns dealer_zj as its regional owner, has no regions
    "dist_admin": {"dist_js", "sub_js"},
    "dist_staff": {"dist_js", "sub_js"},
    "sub_admin": {"sub_js"},  # a sub-dealer does not see its parent
    "zj_admin": {"dealer_zj"},
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_persona_sees_exactly_its_partners(world, persona):
    user = world.users[persona]
    visible = {key for key, partner in world.partners.items() if visible_partners(user).filter(pk=partner.pk).exists()}
    assert visible == EXPECTED[persona]
    for key, partner in world.partners.items():
        if key not in EXPECTED[persona]:
            with pytest.raises(NotFound):
                get_visible_partner(user, partner.pk)


def test_a_disabled_partner_user_sees_nothing(world):
    membership = world.dist_staff.partner_member
    membership.is_active = False
    membership.save()
    world.dist_staff.forget_cached_roles()
    assert visible_partners(world.dist_staff).count() == 0


def test_an_anonymous_user_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert visible_partners(AnonymousUser()).count() == 0
    with pytest.raises(NotFound):
        get_visible_partner(AnonymousUser(), world.dist_js.pk)


def test_a_sub_dealers_own_sub_dealers_are_visible_to_the_top_distributor(world):
    from qudao.partners import services

    level2 = services.create_partner(
        data={
            "partner_type": "distributor",
            "legal_name": "无锡二级分销",
            "region": "320200",
            "parent": world.dist_js.pk,
        }
    )
    level3 = services.create_partner(
        data={"partner_type": "dealer", "legal_name": "江阴三级经营部", "region": "320200", "parent": level2.pk}
    )
    assert set(visible_partners(world.dist_staff).values_list("pk", flat=True)) == {
        world.dist_js.pk,
        world.sub_js.pk,
        level2.pk,
        level3.pk,
    }
    assert not visible_partners(world.sub_admin).filter(pk=level3.pk).exists()
