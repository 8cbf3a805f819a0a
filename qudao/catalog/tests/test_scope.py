"""Worked examples of the sales-scope rule (经营范围), catalog.scope."""

from qudao.catalog import scope, services
from qudao.catalog.models import Lifecycle


def codes(partner):
    return sorted(scope.allowed_skus(partner).values_list("code", flat=True))


def rule(**data):
    return services.create_scope_rule(data=data)


def test_it_authorises_nothing_without_a_rule(world, catalog):
    # given no scope rule at all
    # then no partner may buy anything
    assert codes(world.dist_js) == []
    assert scope.is_sku_allowed(world.dist_js, catalog.skus["fridge_w"]) is False


def test_it_applies_the_worked_example_everyone_tier_partner(world, catalog):
    # given everyone may buy 家电, the gold tier may not buy 厨电, and dist_js (gold) may buy HOOD-1-S
    rule(effect="allow", product_line="home")
    rule(effect="deny", product_line="kitchen", tier="gold")
    rule(effect="allow", sku="HOOD-1-S", partner=world.dist_js.pk)
    # then dist_js gets the fridge and its one hood, but not the black hood
    assert codes(world.dist_js) == ["FRIDGE-1-W", "HOOD-1-S"]
    assert scope.is_sku_allowed(world.dist_js, catalog.skus["hood_b"]) is False
    assert scope.is_sku_allowed(world.dist_js, catalog.skus["hood_s"]) is True
    # and silver and registered partners get everything under 家电
    assert codes(world.sub_js) == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]
    assert codes(world.dealer_zj) == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]


def test_it_lets_deny_win_at_equal_specificity(world, catalog):
    # given a tier rule allowing 冰洗 and a region rule denying it, both naming dist_js equally
    rule(effect="allow", product_line="cold", tier="gold")
    rule(effect="deny", product_line="cold", region="320100")
    # then deny wins
    assert codes(world.dist_js) == []
    # given the same audience allowed and denied the same line
    rule(effect="allow", product_line="home")
    rule(effect="deny", product_line="home")
    # then deny wins for everyone else too
    assert codes(world.dealer_zj) == []


def test_it_covers_sub_regions_with_a_region_rule(world, catalog):
    # given everyone may buy 家电 but Jiangsu (the province) may not buy 冰洗
    rule(effect="allow", product_line="home")
    rule(effect="deny", product_line="cold", region="320000")
    # then partners in Nanjing and Suzhou lose the fridge; Hangzhou keeps it
    assert codes(world.dist_js) == ["HOOD-1-B", "HOOD-1-S"]
    assert codes(world.sub_js) == ["HOOD-1-B", "HOOD-1-S"]
    assert codes(world.dealer_zj) == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]


def test_it_lets_a_deeper_line_beat_a_shallower_one(world, catalog):
    # given everyone is denied 厨电 but allowed 油烟机 below it, and allowed 家电 above it
    rule(effect="allow", product_line="home")
    rule(effect="deny", product_line="kitchen")
    rule(effect="allow", product_line="hood")
    # then the hoods (under 油烟机) are allowed, and the fridge too
    assert codes(world.dealer_zj) == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]


def test_it_lets_a_shallower_line_for_a_closer_audience_beat_a_sku_rule(world, catalog):
    # given everyone may buy HOOD-1-B by SKU, but gold partners are denied 厨电
    rule(effect="allow", sku="HOOD-1-B")
    rule(effect="deny", product_line="kitchen", tier="gold")
    # then the tier rule (closer audience) decides for dist_js; others keep the SKU
    assert codes(world.dist_js) == []
    assert codes(world.sub_js) == ["HOOD-1-B"]


def test_it_ranks_tier_in_region_above_tier_and_partner_above_all(world, catalog):
    # given gold may buy 家电, gold in Jiangsu may not buy 冰洗, and dist_js may buy 冰洗
    rule(effect="allow", product_line="home", tier="gold")
    rule(effect="deny", product_line="cold", tier="gold", region="320000")
    assert codes(world.dist_js) == ["HOOD-1-B", "HOOD-1-S"]
    rule(effect="allow", product_line="cold", partner=world.dist_js.pk)
    assert codes(world.dist_js) == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]


def test_it_counts_the_partners_product_lines_as_partner_allow_rules(world, catalog):
    # given dealer_zj is authorised for 冰洗 (by name) and 'hood' (by code), everyone denied 家电
    rule(effect="deny", product_line="home")
    partner = world.dealer_zj
    partner.product_lines = ["冰洗", "hood"]
    partner.save()
    # then the partner-level allows beat the everyone deny
    assert codes(partner) == ["FRIDGE-1-W", "HOOD-1-B", "HOOD-1-S"]
    # and a partner-level SKU deny beats its line allow (a SKU rule beats a line rule)
    rule(effect="deny", sku="HOOD-1-B", partner=partner.pk)
    assert codes(partner) == ["FRIDGE-1-W", "HOOD-1-S"]


def test_it_lists_only_on_sale_skus_of_on_sale_products(world, catalog):
    # given everyone may buy 家电, one SKU discontinued and the fridge product back to draft
    rule(effect="allow", product_line="home")
    services.set_lifecycle(obj=catalog.skus["hood_b"], lifecycle=Lifecycle.DISCONTINUED)
    services.set_lifecycle(obj=catalog.products["fridge"], lifecycle=Lifecycle.DRAFT)
    # then only HOOD-1-S is listed, though the others stay within scope
    assert codes(world.dist_js) == ["HOOD-1-S"]
    assert scope.is_sku_allowed(world.dist_js, catalog.skus["hood_b"]) is True


def test_it_decides_with_a_fixed_number_of_queries(world, catalog, django_assert_max_num_queries):
    # given several rules
    rule(effect="allow", product_line="home")
    rule(effect="deny", product_line="kitchen", tier="gold")
    rule(effect="allow", sku="HOOD-1-S", partner=world.dist_js.pk)
    partner = world.dist_js
    partner.region  # noqa: B018 (loaded already)
    # then the Q is built with at most 3 queries (rules, lines, SKUs named by rules)
    with django_assert_max_num_queries(3):
        scope.allowed_sku_q(partner)
