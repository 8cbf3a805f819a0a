"""The audit trail: every create, update and delete of a business record becomes an ObjectChange
with the actor, the request id and the before/after values.

Models opt in by inheriting `AuditedModel`. The before-image is the row as loaded from the
database (`from_db`), so an update records exactly what changed. The actor and request id come
from context variables set by `RequestContextMiddleware` for pages and API calls, and by
`acting_as()` for jobs, imports and commands.
"""

from __future__ import annotations

import contextvars
import dataclasses
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


# --- reading the trail: sentences a person reads ----------------------------------------------------
#
# `describe(changes)` turns ObjectChange rows into `AuditEntry`s: who (the user's display name),
# when (local time of the deployment's time zone), and a sentence built from the model's metadata
# (verbose names of the model and its fields, the labels of choices, the names of related records,
# money with its currency), e.g. "王明 changed 信用额度 from ¥300,000.00 to ¥500,000.00". An app may
# register a nicer sentence for a key action with `register_sentence(model, fn)`: fn(entry) returns
# a sentence, or None to keep the default.

CURRENCY_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "USD": "$", "EUR": "€"}
_sentences: dict[str, list] = {}


def register_sentence(model_label: str, sentence) -> None:
    """`sentence(entry) -> str | None` for changes of `model_label` ("finance.statement")."""
    _sentences.setdefault(model_label.lower(), []).append(sentence)


@dataclasses.dataclass
class FieldChange:
    name: str
    label: str
    before: object  # the stored values
    after: object
    before_text: str = ""
    after_text: str = ""


@dataclasses.dataclass
class AuditEntry:
    change: object  # the ObjectChange
    actor: str
    at: datetime.datetime  # local time
    model_label: str  # "partners.partner"
    model_name: str  # the model's verbose name
    record: str  # "渠道伙伴 P000001 金陵商贸"
    fields: list  # of FieldChange (updates)
    sentence: str = ""
    details: list = dataclasses.field(default_factory=list)  # one sentence per field of a larger update

    @property
    def day(self) -> datetime.date:
        return self.at.date()

    @property
    def action(self) -> str:
        return self.change.action

    def field(self, name: str) -> FieldChange | None:
        return next((item for item in self.fields if item.name == name), None)


def _empty_text() -> str:
    from django.utils.translation import gettext

    return gettext("(empty)")


def _money_text(value: Decimal, currency: str | None) -> str:
    from .money import quantize

    text = f"{quantize(value):,.2f}"
    if currency:
        symbol = CURRENCY_SYMBOLS.get(currency)
        return f"{symbol}{text}" if symbol else f"{currency} {text}"
    return text


def _currency_of(model, values: dict, field) -> str | None:
    """The currency of a money field: a "<prefix>currency" field beside it, else "currency"."""
    prefix = field.name.rsplit("_", 1)[0] if "_" in field.name else ""
    for name in (f"{prefix}_currency", "currency"):
        if name in values and isinstance(values[name], str):
            return values[name]
    return None


def _datetime_text(value) -> str:
    from django.utils import timezone

    moment = value if isinstance(value, datetime.datetime) else None
    if moment is None and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    if moment is None:
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _value_text(model, field, value, values: dict, related: dict) -> str:
    from django.utils.translation import gettext

    if value is None or value == "":
        return _empty_text()
    if field is None:
        return str(value)
    if field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        return str(labels.get(str(value), value))
    if field.is_relation and field.many_to_one:
        return related.get((field.related_model, str(value)), f"#{value}")
    if isinstance(field, models.BooleanField):
        return gettext("yes") if value else gettext("no")
    if isinstance(field, models.DateTimeField):
        return _datetime_text(value)
    if isinstance(field, models.DecimalField):
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return str(value)
        currency = _currency_of(model, values, field)
        if currency or field.decimal_places <= 2 or number == number.quantize(Decimal("0.01")):
            return _money_text(number, currency)
        from .money import unit_price_text

        return unit_price_text(number, grouping=True)
    if isinstance(field, models.JSONField) or isinstance(value, dict | list):
        return gettext("(details)")
    return str(value)


def _related_names(changes, models_of: dict) -> dict:
    """{(model, id): name} of every record a change's foreign keys point at: one query per model."""
    wanted: dict = {}
    for change in changes:
        model = models_of.get(change.content_type_id)
        if model is None:
            continue
        for values in (change.before or {}, change.after or {}):
            for field in model._meta.concrete_fields:
                if field.is_relation and field.many_to_one and values.get(field.name) not in (None, ""):
                    wanted.setdefault(field.related_model, set()).add(str(values[field.name]))
    names = {}
    for model, ids in wanted.items():
        ids = (
            [pk for pk in ids if str(pk).isdigit()]
            if model._meta.pk.get_internal_type().endswith(("AutoField", "IntegerField"))
            else list(ids)
        )
        for obj in model._default_manager.filter(pk__in=ids):
            names[(model, str(obj.pk))] = str(obj)
    return names


def _shown_fields(model, change) -> list:
    before, after = change.before or {}, change.after or {}
    fields = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        try:
            field = model._meta.get_field(name) if model is not None else None
        except Exception:  # a field since removed: shown by its name
            field = None
        if field is not None and (not field.editable or field.primary_key):
            continue  # paths, derived counters: not something a person changed
        fields.append((name, field))
    return fields


def describe(changes, *, user_names: dict | None = None) -> list[AuditEntry]:
    """Readable entries of these ObjectChange rows, in their order (a few queries in all: the
    actors, and the records their foreign keys name)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django.utils.translation import gettext

    changes = list(changes)
    models_of = {}
    for change in changes:
        if change.content_type_id not in models_of:
            models_of[change.content_type_id] = change.content_type.model_class()
    actor_ids = {change.actor_id for change in changes if change.actor_id}
    names = dict(user_names or {})
    missing = actor_ids - set(names)
    if missing:
        names.update({user.pk: str(user) for user in get_user_model()._default_manager.filter(pk__in=missing)})
    related = _related_names(changes, models_of)
    entries = []
    for change in changes:
        model = models_of.get(change.content_type_id)
        model_name = str(model._meta.verbose_name) if model is not None else change.content_type.model
        label = model._meta.label_lower if model is not None else ""
        actor = names.get(change.actor_id) or change.actor_name or gettext("The system")
        values_before, values_after = change.before or {}, change.after or {}
        fields = []
        for name, field in _shown_fields(model, change):
            before, after = values_before.get(name), values_after.get(name)
            fields.append(
                FieldChange(
                    name=name,
                    label=str(field.verbose_name) if field is not None else name,
                    before=before,
                    after=after,
                    before_text=_value_text(model, field, before, values_before, related),
                    after_text=_value_text(model, field, after, values_after, related),
                )
            )
        entry = AuditEntry(
            change=change,
            actor=actor,
            at=timezone.localtime(change.at),
            model_label=label,
            model_name=model_name,
            record=f"{model_name} {change.object_repr}".strip(),
            fields=fields,
        )
        entry.sentence, entry.details = _default_sentence(entry)
        for sentence in _sentences.get(label, ()):
            better = sentence(entry)
            if better:
                entry.sentence, entry.details = str(better), []
                break
        entries.append(entry)
    return entries


def _field_sentence(actor: str, item: FieldChange) -> str:
    from django.utils.translation import gettext

    return gettext("%(actor)s changed %(field)s from %(before)s to %(after)s") % {
        "actor": actor,
        "field": item.label,
        "before": item.before_text,
        "after": item.after_text,
    }


def _default_sentence(entry: AuditEntry) -> tuple[str, list[str]]:
    from django.utils.translation import gettext

    values = {"actor": entry.actor, "record": entry.record}
    if entry.action == "create":
        return gettext("%(actor)s created %(record)s") % values, []
    if entry.action == "delete":
        return gettext("%(actor)s deleted %(record)s") % values, []
    if len(entry.fields) == 1:
        return _field_sentence(entry.actor, entry.fields[0]), []
    if not entry.fields:
        return gettext("%(actor)s updated %(record)s") % values, []
    details = [
        gettext("%(field)s from %(before)s to %(after)s")
        % {"field": item.label, "before": item.before_text, "after": item.after_text}
        for item in entry.fields
    ]
    sentence = gettext("%(actor)s changed %(count)s fields of %(record)s") % (values | {"count": len(entry.fields)})
    return sentence, details
