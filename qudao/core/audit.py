"""The audit trail: every create, update and delete of a business record becomes an ObjectChange
with the actor, the request id and the before/after values.

Models opt in by inheriting `AuditedModel`. The before-image is the row as loaded from the
database (`from_db`), so an update records exactly what changed. The actor and request id come
from context variables set by `RequestContextMiddleware` for pages and API calls, and by
`acting_as()` for jobs, imports and commands.
"""

from __future__ import annotations

import contextvars
import datetime
import uuid
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

_current_actor: contextvars.ContextVar = contextvars.ContextVar("qudao_actor", default=None)
_current_request_id: contextvars.ContextVar = contextvars.ContextVar("qudao_request_id", default="")


def current_actor():
    """The user acting now, or None. Request-bound actors resolve lazily (see middleware)."""
    actor = _current_actor.get()
    if hasattr(actor, "resolve"):
        actor = actor.resolve()
    return actor if getattr(actor, "is_authenticated", False) else None


def current_request_id() -> str:
    return _current_request_id.get()


@contextmanager
def acting_as(user, request_id: str | None = None):
    """Attribute every change inside the block to `user` (jobs, imports, commands)."""
    actor_token = _current_actor.set(user)
    request_token = _current_request_id.set(request_id or str(uuid.uuid4()))
    try:
        yield
    finally:
        _current_actor.reset(actor_token)
        _current_request_id.reset(request_token)


def set_request_context(user, request_id: str):
    return _current_actor.set(user), _current_request_id.set(request_id)


def reset_request_context(tokens) -> None:
    _current_actor.reset(tokens[0])
    _current_request_id.reset(tokens[1])


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):  # hasattr(value, "url") raises on an empty file
        return value.name or None
    return value


def serialize_for_audit(instance: models.Model) -> dict:
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in getattr(instance, "audit_exclude", ()) or getattr(field, "auto_now", False):
            continue  # secrets, and last-modified stamps (the change row has its own time)
        data[field.name] = _json_value(getattr(instance, field.attname))
    return data


class AuditedModel(models.Model):
    """Mixin: changes of this model are written to the audit trail.

    `audit_exclude` names fields never recorded (secrets, derived counters).
    `audit_partner_id()` names the partner that owns the record, for scoping the trail.
    """

    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_before = (
            serialize_for_audit(instance) if len(field_names) == len(cls._meta.concrete_fields) else None
        )
        return instance

    def audit_partner_id(self) -> int | None:
        return None

    def audit_repr(self) -> str:
        return str(self)[:200]


def record_change(instance: AuditedModel, action: str, before: dict | None, after: dict | None, message: str = ""):
    from .models import ObjectChange

    if action == ObjectChange.Action.UPDATE and before == after:
        return None  # a save that changed nothing is not a change
    actor = current_actor()
    return ObjectChange.objects.create(
        actor=actor,
        actor_name=(actor.get_username() if actor else ""),
        request_id=current_request_id(),
        action=action,
        content_type=ContentType.objects.get_for_model(instance.__class__),
        object_id=str(instance.pk),
        object_repr=instance.audit_repr(),
        partner_id=instance.audit_partner_id(),
        before=before,
        after=after,
        message=message[:300],
    )


@receiver(post_save)
def _audit_post_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel):
        return
    after = serialize_for_audit(instance)
    before = None if created else getattr(instance, "_audit_before", None)
    record_change(instance, "create" if created else "update", before, after)
    instance._audit_before = after


@receiver(post_delete)
def _audit_post_delete(sender, instance, **kwargs):
    if not isinstance(instance, AuditedModel):
        return
    before = getattr(instance, "_audit_before", None) or serialize_for_audit(instance)
    record_change(instance, "delete", before, None)
