"""The partner form's parent distributor is picked by name (docs/pickers.md), not typed as a code:
the form submits the parent's code, or without script resolves the typed name; what the user cannot
find is a field error and nothing is saved."""

from __future__ import annotations

from django.utils import translation

from qudao.partners.models import Partner

FORM = {
    "partner_type": "dealer",
    "short_name": "太湖电器",
    "region": "320100",
    "tier": "registered",
    "channel_manager": "channel",
    "contact_name": "钱进",
    "contact_mobile": "13955556666",
}


def test_the_parent_is_picked_by_name(world, page_client, uscc):
    client = page_client(world.channel)
    page = client.get("/partners/new/").content.decode()
    assert 'data-testid="picker-parent_code"' in page and "/pickers/partners/?value=code" in page
    # typed without picking (or without script): the short name 金陵商贸 is dist_js
    response = client.post(
        "/partners/new/",
        FORM | {"legal_name": "无锡太湖电器有限公司", "credit_code": uscc(78), "parent_code__search": "金陵商贸"},
    )
    assert response.status_code == 302
    assert Partner.objects.get(legal_name="无锡太湖电器有限公司").parent_id == world.dist_js.pk


def test_a_parent_nobody_can_find_is_a_field_error(world, page_client, uscc):
    client = page_client(world.channel)
    with translation.override("en"):
        response = client.post(
            "/partners/new/",
            FORM | {"legal_name": "无锡某电器有限公司", "credit_code": uscc(79), "parent_code__search": "没有这家"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200  # the form again, with its errors (the page answers 200)
    assert "Unknown partner." in response.content.decode()
    assert not Partner.objects.filter(legal_name="无锡某电器有限公司").exists()
