"""The scoping rule at a rebate policy's edge: every HQ reader reads every policy, but its list of
target partners shows only the partners in the reader's scope, and counts the others."""

from __future__ import annotations


def test_a_policy_shows_a_regional_manager_only_the_target_partners_of_its_regions(
    books, world, api_client, page_client
):
    # given: a policy for dist_js and sub_js (Jiangsu) and dealer_zj (Zhejiang)
    codes = [world.dist_js.code, world.sub_js.code, world.dealer_zj.code]
    policy = books.policy(target_partners=codes)

    def seen(user):
        body = api_client(user).get(f"/api/v1/rebates/policies/{policy.pk}").json()
        listed = api_client(user).get("/api/v1/rebates/policies").json()["items"]
        item = next(item for item in listed if item["id"] == policy.pk)
        assert (item["target_partners"], item.get("target_partners_hidden", 0)) == (
            body["target_partners"],
            body.get("target_partners_hidden", 0),
        )
        return body["target_partners"], body.get("target_partners_hidden", 0)

    # when / then: the API
    assert seen(world.channel) == (codes, 0)
    assert seen(world.finance) == (codes, 0)
    assert seen(world.regional_js) == ([world.dist_js.code, world.sub_js.code], 1)
    assert seen(world.regional_zj) == ([world.dealer_zj.code], 2)
    # the page
    page = page_client(world.regional_zj).get(f"/rebates/policies/{policy.pk}/").content.decode()
    zj = f"{world.dealer_zj} ({world.dealer_zj.code})"  # names, not bare codes
    assert f'data-testid="target-partners">{zj} and 2 partners outside your regions</span>' in page
    assert world.dist_js.code not in page and world.sub_js.code not in page
    full = page_client(world.channel).get(f"/rebates/policies/{policy.pk}/").content.decode()
    names = [f"{partner} ({partner.code})" for partner in (world.dist_js, world.sub_js, world.dealer_zj)]
    assert f'data-testid="target-partners">{", ".join(names)}</span>' in full


def test_a_policy_none_of_whose_target_partners_a_reader_sees_only_counts_them(books, world, page_client):
    # given: a policy for Jiangsu's partners only
    policy = books.policy(target_partners=[world.dist_js.code, world.sub_js.code])

    # when: Zhejiang's manager opens it
    page = page_client(world.regional_zj).get(f"/rebates/policies/{policy.pk}/").content.decode()

    # then
    assert 'data-testid="target-partners">2 partners outside your regions</span>' in page
    assert world.dist_js.code not in page
