"""Multi-tier distribution: parents to any depth, no cycles, parents must cover the region."""

import pytest

from qudao.core.errors import FieldErrors
from qudao.core.models import BrandSettings
from qudao.partners import services
from qudao.partners.models import Partner


def dealer(name, region, parent=None, partner_type="dealer", **extra):
    data = {"partner_type": partner_type, "legal_name": name, "region": region} | extra
    if parent is not None:
        data["parent"] = parent.pk
    return services.create_partner(data=data)


def test_sub_dealers_nest_to_any_depth_with_materialised_paths(world):
    # given dist_js > level2 (a distributor) > level3
    level2 = dealer("无锡二级分销有限公司", "320200", world.dist_js, partner_type="distributor")
    level3 = dealer("江阴三级经营部", "320200", level2)
    # then
    assert level2.path == f"/{world.dist_js.pk}/{level2.pk}/" and level2.depth == 1
    assert level3.path == f"/{world.dist_js.pk}/{level2.pk}/{level3.pk}/" and level3.depth == 2
    assert level3.ancestor_ids() == [world.dist_js.pk, level2.pk]


def test_moving_a_distributor_moves_its_whole_subtree(world):
    # given a second top distributor covering Jiangsu, and level2 > level3 under dist_js
    other = dealer("南京第二分销有限公司", "320100", partner_type="distributor", territories=["320000"])
    level2 = dealer("无锡二级分销有限公司", "320200", world.dist_js, partner_type="distributor")
    level3 = dealer("江阴三级经营部", "320200", level2)
    # when level2 moves under the other distributor
    services.set_parent(partner=level2, parent_id=other.pk)
    # then level3 follows in the same update
    level3.refresh_from_db()
    assert level3.path == f"/{other.pk}/{level2.pk}/{level3.pk}/" and level3.depth == 2
    # and becoming independent shortens every path below
    services.update_partner(partner=Partner.objects.get(pk=level2.pk), data={"parent": None})
    level3.refresh_from_db()
    assert level3.path == f"/{level2.pk}/{level3.pk}/" and level3.depth == 1


def test_a_cycle_is_refused_and_nothing_changes(world):
    # when dist_js would become a child of its own sub-dealer's subtree
    level2 = dealer("无锡二级分销有限公司", "320200", world.dist_js, partner_type="distributor")
    with pytest.raises(FieldErrors) as error:
        services.set_parent(partner=world.dist_js, parent_id=level2.pk)
    # then
    assert error.value.code == "cycle" and list(error.value.errors) == ["parent"]
    world.dist_js.refresh_from_db()
    assert world.dist_js.parent_id is None and world.dist_js.path == f"/{world.dist_js.pk}/"
    # and a partner cannot be its own parent
    with pytest.raises(FieldErrors) as error:
        services.set_parent(partner=level2, parent_id=level2.pk)
    assert error.value.code == "cycle"


def test_only_a_distributor_can_be_a_parent(world):
    with pytest.raises(FieldErrors) as error:
        dealer("苏州某电器店", "320500", world.sub_js)
    assert error.value.code == "not_distributor"
    assert not Partner.objects.filter(legal_name="苏州某电器店").exists()


def test_a_parent_outside_the_childs_region_is_refused_when_the_brand_forbids_it(world):
    # given dist_js covers Jiangsu only; Hangzhou is in Zhejiang
    with pytest.raises(FieldErrors) as error:
        dealer("杭州滨江电器经营部", "330100", world.dist_js)
    assert error.value.code == "outside_region"
    assert not Partner.objects.filter(legal_name="杭州滨江电器经营部").exists()
    # when the brand allows cross-region parents
    settings_row = BrandSettings.current()
    settings_row.parent_must_cover_child_region = False
    settings_row.save()
    child = dealer("杭州滨江电器经营部", "330100", world.dist_js)
    assert child.parent_id == world.dist_js.pk


def test_moving_a_sub_dealer_out_of_its_parents_territory_is_refused(world):
    with pytest.raises(FieldErrors) as error:
        services.update_partner(partner=world.sub_js, data={"region": "330100"})
    assert error.value.code == "outside_region"
    world.sub_js.refresh_from_db()
    assert world.sub_js.region.code == "320500"


def test_an_unknown_parent_is_a_field_error(world):
    with pytest.raises(FieldErrors) as error:
        dealer("苏州某电器店", "320500", partner_type="dealer", parent=None, parent_code="NOPE")
    assert error.value.errors == {"parent": ["Unknown parent distributor: NOPE."]}


def test_a_partner_user_cannot_attach_to_a_parent_it_cannot_see(world):
    # zj_admin posts dist_js's id as a parent: for it that partner does not exist
    with pytest.raises(FieldErrors) as error:
        services.update_partner(partner=world.dealer_zj, data={"parent": world.dist_js.pk}, actor=world.zj_admin)
    assert list(error.value.errors) == ["parent"]
    world.dealer_zj.refresh_from_db()
    assert world.dealer_zj.parent_id is None
