"""Every create, update and delete of a business record is logged with actor, time, before/after."""

from qudao.core.audit import acting_as
from qudao.core.models import ObjectChange
from qudao.partners import services
from qudao.partners.models import Partner, PartnerContact


def changes_of(instance):
    return ObjectChange.objects.filter(
        content_type__model=instance._meta.model_name, object_id=str(instance.pk)
    ).order_by("at", "pk")


def test_create_update_and_delete_are_recorded_with_actor_and_values(world):
    # when the channel manager creates, edits and deletes a contact
    with acting_as(world.channel, request_id="req-1"):
        contact = services.add_contact(partner=world.dist_js, data={"name": "李四", "mobile": "13912345678"})
        services.update_contact(contact=contact, data={"role": "采购经理"})
        services.delete_contact(contact=PartnerContact.objects.get(pk=contact.pk))
    # then three changes, each with the actor, the request id and the values
    create, update, delete = changes_of(contact)
    assert [c.action for c in (create, update, delete)] == ["create", "update", "delete"]
    assert {c.actor for c in (create, update, delete)} == {world.channel}
    assert {c.request_id for c in (create, update, delete)} == {"req-1"}
    assert create.before is None and create.after["mobile"] == "13912345678"
    assert update.changed_fields == [{"field": "role", "before": "", "after": "采购经理"}]
    assert delete.before["name"] == "李四" and delete.after is None
    assert {c.partner_id for c in (create, update, delete)} == {world.dist_js.pk}


def test_a_save_that_changes_nothing_is_not_recorded(world):
    partner = Partner.objects.get(pk=world.dist_js.pk)
    before = ObjectChange.objects.count()
    partner.save()
    assert ObjectChange.objects.count() == before


def test_a_status_change_records_the_before_and_after_status(world):
    with acting_as(world.channel):
        services.change_status(partner=world.dealer_zj, to_status="suspended", reason="拖欠货款")
    last = changes_of(world.dealer_zj).last()
    assert [f for f in last.changed_fields if f["field"] == "status"] == [
        {"field": "status", "before": "active", "after": "suspended"}
    ]
    history = world.dealer_zj.status_history.first()
    assert (history.from_status, history.to_status, history.reason) == ("active", "suspended", "拖欠货款")


def test_secrets_are_never_recorded(world):
    from qudao.accounts.services import issue_token

    token, raw = issue_token(user=world.admin, name="erp")
    recorded = changes_of(token).get()
    assert "key_hash" not in recorded.after
    assert raw not in str(recorded.after)
    user_change = changes_of(world.admin).first()
    assert "password" not in user_change.after


def test_tags_territories_and_the_parent_are_in_the_trail(world):
    # when a sub-dealer is created under dist_js with tags, then its territory changes
    with acting_as(world.channel):
        partner = services.create_partner(
            data={
                "partner_type": "distributor",
                "legal_name": "无锡审计分销有限公司",
                "region": "320200",
                "parent": world.dist_js.pk,
                "tags": ["重点客户", "新开"],
            }
        )
        services.update_partner(partner=partner, data={"territories": ["320200"]})
    create, tags, territories = changes_of(partner)
    # then the creation names the parent, and each set change has its own row
    assert create.action == "create" and create.after["parent"] == world.dist_js.pk
    assert "path" not in create.after
    assert tags.changed_fields == [{"field": "tags", "before": [], "after": ["新开", "重点客户"]}]
    assert territories.changed_fields == [{"field": "territories", "before": [], "after": ["320200"]}]
    assert {c.actor for c in (create, tags, territories)} == {world.channel}
