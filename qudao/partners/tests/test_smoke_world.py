def test_world(world):
    from qudao.partners.scoping import visible_partners
    names = lambda u: sorted(p.code for p in visible_partners(u))
    assert len(names(world.admin)) == 3
    assert names(world.regional_js) == sorted([world.dist_js.code, world.sub_js.code])
    assert names(world.sales) == [world.dealer_zj.code]
    assert names(world.dist_staff) == sorted([world.dist_js.code, world.sub_js.code])
    assert names(world.sub_admin) == [world.sub_js.code]
    assert world.sub_js.path == f"/{world.dist_js.pk}/{world.sub_js.pk}/"
