"""The audit trail as a readable timeline (core.audit.describe): sentences with the user's name, the
fields' verbose names, the choices' labels, money with its currency, related records by name and
local times; grouped by day, the latest first, ten on the 360 page and "show more" a page at a time."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from qudao.core.audit import acting_as, describe
from qudao.core.models import ObjectChange
from qudao.partners.models import Partner

pytestmark = pytest.mark.django_db


def named(user, name):
    user.display_name = name
    user.save(update_fields=["display_name"])
    return user


def test_an_update_reads_as_a_sentence_with_labels_money_and_names(world):
    wang = named(world.channel, "王明")
    partner = Partner.objects.get(pk=world.dealer_zj.pk)
    with acting_as(wang):
        partner.credit_limit = Decimal("300000")
        partner.save()
    partner = Partner.objects.get(pk=partner.pk)
    with acting_as(wang):
        partner.credit_limit = Decimal("500000")
        partner.save()
    partner = Partner.objects.get(pk=partner.pk)
    with acting_as(wang):
        partner.status = "suspended"
        partner.regional_owner = world.regional_zj
        partner.save()

    with translation.override("en"):
        entries = describe(ObjectChange.objects.filter(object_id=str(partner.pk), action="update").order_by("pk"))
        assert [entry.sentence for entry in entries] == [
            "王明 changed credit limit from ¥0.00 to ¥300,000.00",
            "王明 changed credit limit from ¥300,000.00 to ¥500,000.00",
            f"王明 changed 2 fields of partner {partner.audit_repr()}",
        ]
        assert entries[2].details == [
            "regional owner from sales to regional_zj",
            "status from Active to Suspended",
        ]
        assert entries[0].record == f"partner {partner.audit_repr()}"
    # local time of the deployment's time zone
    assert entries[0].at.utcoffset() == datetime.timedelta(hours=8)


def test_creates_deletes_the_system_and_a_registered_sentence(world):
    with translation.override("en"):
        change = ObjectChange.objects.create(
            action="create",
            content_type=ContentType.objects.get_for_model(Partner),
            object_id="999",
            object_repr="P000999 新伙伴",
            after={"status": "active"},
        )
        assert describe([change])[0].sentence == "The system created partner P000999 新伙伴"
        from qudao.finance.models import Statement

        confirmed = ObjectChange.objects.create(
            action="update",
            actor=named(world.dist_admin, "何丽"),
            content_type=ContentType.objects.get_for_model(Statement),
            object_id="1",
            object_repr="ST-1",
            before={"status": "issued", "period_start": "2026-11-01", "confirmed_at": None},
            after={"status": "confirmed", "period_start": "2026-11-01", "confirmed_at": "2026-12-02T01:30:00+00:00"},
        )
        assert describe([confirmed])[0].sentence == "何丽 confirmed the statement of November 2026"
    with translation.override("zh-hans"):
        assert describe([confirmed])[0].actor == "何丽"


def test_the_360_panel_shows_ten_by_day_and_more_a_page_at_a_time(world, page_client):
    admin = named(world.admin, "王明")
    partner = Partner.objects.get(pk=world.dealer_zj.pk)
    ObjectChange.objects.filter(partner_id=partner.pk).delete()
    start = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 0))
    for day in range(45):  # 45 changes, one a day, the latest on 2027-01-13 (local)
        ObjectChange.objects.create(
            at=start + datetime.timedelta(days=day),
            actor=admin,
            action="update",
            content_type=ContentType.objects.get_for_model(Partner),
            object_id=str(partner.pk),
            object_repr=partner.audit_repr(),
            partner_id=partner.pk,
            before={"payment_terms_days": day},
            after={"payment_terms_days": day + 1},
        )
    client = page_client(world.admin)
    page = client.get(f"/partners/{partner.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    panel = page[page.index('data-testid="panel-audit"') :]
    assert panel.count('data-testid="audit-entry"') == 10
    assert "王明 changed payment terms (days) from 44 to 45" in panel
    assert panel.index("2027-01-13") < panel.index("2027-01-04")
    assert "2027-01-03" not in panel
    assert f'href="/partners/{partner.pk}/audit/?page=1"' in panel
    more = client.get(f"/partners/{partner.pk}/audit/?page=1", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    body = more.content.decode()
    assert body.count('data-testid="audit-entry"') == 30
    assert "王明 changed payment terms (days) from 34 to 35" in body
    assert f'hx-get="/partners/{partner.pk}/audit/?page=2"' in body
    last = client.get(f"/partners/{partner.pk}/audit/?page=2", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert last.count('data-testid="audit-entry"') == 5
    assert "王明 changed payment terms (days) from 0 to 1" in last
    assert "audit/?page=3" not in last
    assert "<html" in last  # a page of its own without htmx


def test_the_audit_page_answers_404_outside_the_scope(world, page_client):
    assert page_client(world.regional_js).get(f"/partners/{world.dealer_zj.pk}/audit/").status_code == 404
    assert page_client(world.dist_admin).get(f"/partners/{world.dealer_zj.pk}/audit/").status_code == 404
    assert page_client(world.sales).get(f"/partners/{world.dealer_zj.pk}/audit/").status_code == 200
