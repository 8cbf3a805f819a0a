"""A multiple picker takes a bounded number of values: a form posted with thousands of values (or
one value of many space-separated codes) is one field error, found without a query per value (the
rebate policy's live preview posts the form on every change)."""

from __future__ import annotations

import pytest
from django.utils import translation

from qudao.core.pickers import MAX_CHOSEN
from qudao.rebates.policy_form import PolicyPickers

pytestmark = pytest.mark.django_db


def _pickers(world, values):
    from django.http import QueryDict

    post = QueryDict(mutable=True)
    post.setlist("target_partners", values)
    return PolicyPickers(post, user=world.channel)


def test_too_many_picked_values_are_one_field_error_without_a_query_each(world, django_assert_max_num_queries):
    values = [f"P{index:09d}" for index in range(MAX_CHOSEN + 1)]
    with translation.override("en"), django_assert_max_num_queries(5):
        form = _pickers(world, values)
        assert not form.is_valid()
    assert form.errors["target_partners"] == [f"Choose at most {MAX_CHOSEN}."]


def test_space_separated_codes_count_towards_the_bound(world, django_assert_max_num_queries):
    # values of 30 codes each ("1 1 1 ...", under the 100 characters a value is read to)
    values = [" ".join([str(index + 1)] * 30) for index in range(MAX_CHOSEN // 30 + 1)]
    with translation.override("en"), django_assert_max_num_queries(5):
        form = _pickers(world, values)
        assert not form.is_valid()
    assert form.errors["target_partners"] == [f"Choose at most {MAX_CHOSEN}."]


def test_within_the_bound_the_partners_in_scope_are_found_and_the_others_named(world):
    form = _pickers(world, [world.dist_js.code, world.dealer_zj.code])
    form.fields["target_partners"].user = world.regional_js
    with translation.override("en"):
        assert not form.is_valid()
    assert form.errors["target_partners"] == [f"Not found among what you may choose: {world.dealer_zj.code}."]
