"""The approval engine: one engine for every subject that needs a human decision.

A subject kind (partner application, credit-terms change; later orders, promotions, rebate runs)
registers a `SubjectHandler` that says what happens when a request is approved, rejected or
returned. Flows are data (`ApprovalFlow` + ordered `ApprovalStep`s); the engine picks the flow,
routes each step to the users holding the step's role (optionally only those whose regions contain
the subject's region), records every decision, and reminds approvers of steps left pending.

Decisions are compare-and-set on (status, current step): when two approvers act at once, one wins
and the other gets a Conflict, never a double step.

A subject that stops waiting (an order cancelled, rejected or changed while it waits) withdraws its
request (`withdraw`) in its own transaction: the request leaves every inbox, its approvers'
notifications of it are marked read, and a decision on it answers 409. The subject's service locks
the request first (`lock_request`), before its own rows, as `decide` does, so a withdrawal and a
decision of the same request run one after the other and never deadlock.

The engine only knows users through three methods the user model provides:
`User.objects.approvers_for(role, region)`, `user.role_codes()` and `user.region_paths()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import Conflict, FieldErrors, Forbidden, NotFound
from .events import publish
from .models import ApprovalDecision, ApprovalFlow, ApprovalRequest, ApprovalStep, BrandSettings, Notification
from .notifications import notify
from .numbering import next_number

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class ContextField:
    """One key of a subject's approval context (what flow conditions test) as a person reads it:
    its label and a function showing a value (an enum's label, a region's name, money with
    separators; core.display has the usual ones)."""

    label: object  # lazy translation
    display: Callable[[object], str] = str
    hidden: bool = False  # kept for the conditions, not shown among the request's facts


@dataclass(frozen=True)
class ConditionField:
    """A value of a subject's approval context that flows may test (the flow form's condition
    builder offers these, with their label and the input their kind needs).

    kind: "choice" (one of `choices`), "region" (a region's code), "amount" or "number" (compared
    with gte/gt/lte/lt), "boolean". `choices`: [(value, label)] or a callable returning them."""

    name: str
    label: object  # lazy translation
    kind: str
    choices: object = ()

    def choice_list(self) -> list[tuple[str, str]]:
        choices = self.choices() if callable(self.choices) else self.choices
        return [(str(value), str(label)) for value, label in choices]


@dataclass(frozen=True)
class SubjectHandler:
    kind: str
    label: object  # lazy translation
    on_approved: Callable[[ApprovalRequest, object], None]
    on_rejected: Callable[[ApprovalRequest, object], None]
    on_returned: Callable[[ApprovalRequest, object], None] = lambda request, actor: None
    subject_url: Callable[[ApprovalRequest], str] = lambda request: ""
    fields: dict[str, ContextField] = dataclass_field(default_factory=dict)  # the context's keys, for people
    condition_fields: tuple[ConditionField, ...] = ()


_handlers: dict[str, SubjectHandler] = {}


def register_subject(handler: SubjectHandler) -> None:
    _handlers[handler.kind] = handler


def get_handler(kind: str) -> SubjectHandler:
    try:
        return _handlers[kind]
    except KeyError as error:
        raise LookupError(f"no approval subject registered for {kind!r}") from error


def registered_kinds() -> dict[str, SubjectHandler]:
    return dict(_handlers)


# --- For people ------------------------------------------------------------------------------


def _field_of(kind: str, key: str) -> ContextField:
    handler = _handlers.get(kind)
    known = handler.fields.get(key) if handler else None
    return known or ContextField(key.replace("_", " ").capitalize())


def describe_context(kind: str, context: dict) -> list[tuple[str, str]]:
    """A request's context as (label, value) facts in the reader's language: "伙伴类型: 服务商",
    "省份: 广东", never "partner_type service" or "province 440000"."""
    facts = []
    for key, value in (context or {}).items():
        known = _field_of(kind, key)
        if known.hidden or value in (None, "", []):
            continue
        facts.append((str(known.label), known.display(value)))
    return facts


_OPERATOR_WORDS = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "gt": _("is more than"),
    "gte": _("is at least"),
    "lt": _("is less than"),
    "lte": _("is at most"),
}


def describe_conditions(kind: str, conditions: dict) -> list[str]:
    """A flow's conditions as sentences: {"partner_type": "distributor"} -> "伙伴类型 是 一级经销商"."""
    sentences = []
    for key, expected in (conditions or {}).items():
        known = _field_of(kind, key)
        tests = expected if isinstance(expected, dict) else {"in" if isinstance(expected, list) else "eq": expected}
        for operator, value in tests.items():
            shown = known.display(value)
            sentences.append(f"{known.label} {_OPERATOR_WORDS.get(operator, operator)} {shown}")
    return sentences


# --- Conditions ------------------------------------------------------------------------------

_OPERATORS = {"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte"}


def _as_number(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(operator: str, actual, expected) -> bool:
    if operator == "eq":
        return actual == expected
    if operator == "ne":
        return actual != expected
    if operator == "in":
        return actual in expected
    if operator == "not_in":
        return actual not in expected
    left, right = _as_number(actual), _as_number(expected)
    if left is None or right is None:
        return False
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[operator]


def conditions_match(conditions: dict, context: dict) -> bool:
    """True when every condition holds for the subject's context.

    A condition is `field: value` (equal), `field: [values]` (one of) or
    `field: {"gte": 100000, "lt": 500000}` (operators eq ne in not_in gt gte lt lte).
    An empty dict matches everything.
    """
    for field, expected in (conditions or {}).items():
        actual = context.get(field)
        if isinstance(expected, dict):
            if not all(_compare(op, actual, value) for op, value in expected.items()):
                return False
        elif isinstance(expected, list):
            if actual not in expected:
                return False
        elif actual != expected:
            return False
    return True


def validate_conditions(conditions) -> None:
    if not isinstance(conditions, dict):
        raise FieldErrors.single("conditions", _("Conditions must be an object of field: value."))
    for expected in conditions.values():
        if isinstance(expected, dict):
            unknown = set(expected) - _OPERATORS
            if unknown:
                raise FieldErrors.single(
                    "conditions", _("Unknown operator: %(operators)s.") % {"operators": ", ".join(sorted(unknown))}
                )


def select_flow(kind: str, context: dict) -> ApprovalFlow | None:
    for flow in ApprovalFlow.objects.filter(subject_kind=kind, is_active=True).order_by("-priority", "pk"):
        if conditions_match(flow.conditions, context) and flow.steps.exists():
            return flow
    return None


# --- Routing ---------------------------------------------------------------------------------


def eligible_approvers(request: ApprovalRequest) -> QuerySet:
    step = request.current_step
    if step is None:
        return get_user_model().objects.none()
    region = request.region if step.match_region else None
    return get_user_model().objects.approvers_for(step.approver_role, region)


def can_decide(user, request: ApprovalRequest) -> bool:
    if request.status != ApprovalRequest.Status.PENDING or request.current_step is None:
        return False
    if not getattr(user, "is_authenticated", False):
        return False
    roles = user.role_codes()
    if ADMIN_ROLE in roles:
        return True
    step = request.current_step
    if step.approver_role not in roles:
        return False
    if step.match_region:
        if request.region is None:
            return False
        return any(request.region.path.startswith(path) for path in user.region_paths())
    return True


def _approver_of(user, step: str) -> Q:
    """The requests whose step at `step` (a path to an ApprovalStep: "current_step", ...) `user`
    may decide by its roles and regions (admins aside)."""
    region_match = Q()
    for path in user.region_paths():
        region_match |= Q(region__path__startswith=path)
    within_regions = Q(**{f"{step}__match_region": False})
    if region_match:
        within_regions |= Q(**{f"{step}__match_region": True}) & region_match
    return Q(**{f"{step}__approver_role__in": user.role_codes()}) & within_regions


def inbox_for(user) -> QuerySet:
    """Pending requests whose current step this user may decide."""
    pending = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).select_related(
        "current_step", "flow", "region", "submitted_by"
    )
    if ADMIN_ROLE in user.role_codes():
        return pending
    return pending.filter(_approver_of(user, "current_step"))


def visible_requests(user) -> QuerySet:
    """Requests a user may read: what it may decide, what it submitted or decided, what was
    withdrawn while it could decide it (so an approver following an old notification learns what
    happened), and (admins, channel managers) everything. Partner-owned subjects are additionally
    filtered by the caller."""
    if {ADMIN_ROLE, "channel_manager"} & set(user.role_codes()):
        return ApprovalRequest.objects.all()
    decided = ApprovalDecision.objects.filter(actor=user).values("request_id")
    withdrawn = ApprovalRequest.objects.filter(
        _approver_of(user, "decisions__step"),
        status=ApprovalRequest.Status.WITHDRAWN,
        decisions__decision=ApprovalDecision.Decision.WITHDRAW,
    ).values("pk")
    return ApprovalRequest.objects.filter(
        Q(pk__in=inbox_for(user).values("pk")) | Q(submitted_by=user) | Q(pk__in=decided) | Q(pk__in=withdrawn)
    )


def _notify_step(request: ApprovalRequest, reminder: bool = False) -> None:
    handler = get_handler(request.subject_kind)
    title = _("Reminder: approval waiting: %(title)s") if reminder else _("Approval needed: %(title)s")
    notify(
        eligible_approvers(request),
        kind="approval.reminder" if reminder else "approval.requested",
        title=title,
        body=_("%(kind)s %(number)s is waiting for your decision at step “%(step)s”."),
        params={
            "title": request.title,
            "kind": handler.label,  # lazy: rendered in each recipient's language
            "number": request.number,
            "step": request.current_step.name,
        },
        url=f"/approvals/{request.pk}/",
    )


# --- Lifecycle -------------------------------------------------------------------------------


def start_approval(
    *,
    kind: str,
    subject_id,
    title: str,
    context: dict,
    region=None,
    partner_id: int | None = None,
    submitted_by=None,
) -> ApprovalRequest | None:
    """Open an approval request for a subject, or return None when no flow applies (the caller
    then applies the change directly)."""
    get_handler(kind)  # fail early for an unregistered subject
    flow = select_flow(kind, context)
    if flow is None:
        return None
    first_step = flow.steps.order_by("sequence").first()
    now = timezone.now()
    request = ApprovalRequest.objects.create(
        number=next_number("AR"),
        subject_kind=kind,
        subject_id=str(subject_id),
        title=title[:200],
        flow=flow,
        current_step=first_step,
        step_started_at=now,
        region=region,
        partner_id=partner_id,
        context=context,
        submitted_by=submitted_by if getattr(submitted_by, "is_authenticated", False) else None,
    )
    publish("approval.requested", "approval_request", request.pk, {"number": request.number, "kind": kind})
    transaction.on_commit(lambda: _notify_step(request))
    return request


def decide(*, request_id: int, actor, decision: str, comment: str = "", expected_step_id: int | None = None):
    """Record one approver's decision and move the request on.

    :raises NotFound: no such request.
    :raises Forbidden: the actor may not decide the current step.
    :raises Conflict: the request is no longer at the step the actor saw (someone decided first).
    :raises FieldErrors: reject/return without a comment, unknown decision.
    """
    valid = {ApprovalDecision.Decision.APPROVE, ApprovalDecision.Decision.REJECT, ApprovalDecision.Decision.RETURN}
    if decision not in valid:
        raise FieldErrors.single("decision", _("Choose approve, reject or return."))
    comment = (comment or "").strip()
    if decision != ApprovalDecision.Decision.APPROVE and not comment:
        raise FieldErrors.single("comment", _("Give a reason when you reject or return."), code="required")
    with transaction.atomic():
        request = (
            ApprovalRequest.objects.select_for_update(of=("self",))
            .select_related("current_step", "region")
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            raise NotFound()
        if request.status != ApprovalRequest.Status.PENDING or (
            expected_step_id is not None and request.current_step_id != expected_step_id
        ):
            raise Conflict(_("This request has already been decided at this step."))
        if not can_decide(actor, request):
            raise Forbidden(_("You are not an approver of this step."))
        step = request.current_step
        now = timezone.now()
        changes: dict = {}
        next_step = None
        if decision == ApprovalDecision.Decision.APPROVE:
            next_step = (
                ApprovalStep.objects.filter(flow_id=request.flow_id, sequence__gt=step.sequence)
                .order_by("sequence")
                .first()
            )
            if next_step:
                changes = {"current_step": next_step, "step_started_at": now, "last_reminded_at": None}
            else:
                changes = {"status": ApprovalRequest.Status.APPROVED, "current_step": None, "decided_at": now}
        elif decision == ApprovalDecision.Decision.REJECT:
            changes = {"status": ApprovalRequest.Status.REJECTED, "current_step": None, "decided_at": now}
        else:
            changes = {"status": ApprovalRequest.Status.RETURNED, "current_step": None, "decided_at": now}
        # Compare-and-set: only move the request if it is still where we found it.
        moved = ApprovalRequest.objects.filter(
            pk=request.pk, status=ApprovalRequest.Status.PENDING, current_step_id=step.pk
        ).update(**changes)
        if moved != 1:
            raise Conflict(_("This request has already been decided at this step."))
        ApprovalDecision.objects.create(
            request=request, step=step, round=request.round, actor=actor, decision=decision, comment=comment
        )
        request.refresh_from_db()
        handler = get_handler(request.subject_kind)
        publish(
            f"approval.{decision}",
            "approval_request",
            request.pk,
            {"number": request.number, "kind": request.subject_kind, "step": step.name},
        )
        if request.status == ApprovalRequest.Status.APPROVED:
            handler.on_approved(request, actor)
        elif request.status == ApprovalRequest.Status.REJECTED:
            handler.on_rejected(request, actor)
        elif request.status == ApprovalRequest.Status.RETURNED:
            handler.on_returned(request, actor)
        elif next_step is not None:
            transaction.on_commit(lambda: _notify_step(request))
    return request


def lock_request(request_id: int | None) -> ApprovalRequest | None:
    """Lock an approval request (the lock order: an approval request first and alone, before the
    subject's rows), e.g. before its subject may withdraw it. None for no request."""
    if request_id is None:
        return None
    return ApprovalRequest.objects.select_for_update(of=("self",)).filter(pk=request_id).first()


def withdraw(*, request_id: int, actor, reason: str) -> ApprovalRequest | None:
    """Withdraw a request whose subject no longer waits for a decision (its order was cancelled,
    rejected or changed): the request becomes `withdrawn` (compare-and-set on its status), the
    withdrawal is recorded with the step it was at, who and why, `approval.withdrawn` is published,
    and the approvers' unread notifications of it are marked read (it has left their inbox, which
    lists pending requests only). Returns the request, or None when it was no longer pending or
    returned (decided meanwhile: the decision stands). Runs in the caller's transaction; call
    `lock_request` first, before locking anything else."""
    request = lock_request(request_id)
    if request is None:
        return None
    waiting = (ApprovalRequest.Status.PENDING, ApprovalRequest.Status.RETURNED)
    step = request.current_step
    now = timezone.now()
    moved = ApprovalRequest.objects.filter(pk=request.pk, status__in=waiting).update(
        status=ApprovalRequest.Status.WITHDRAWN, current_step=None, decided_at=now
    )
    if moved != 1:
        return None
    request.refresh_from_db()
    reason = (reason or "").strip()
    ApprovalDecision.objects.create(
        request=request,
        step=step,
        round=request.round,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        decision=ApprovalDecision.Decision.WITHDRAW,
        comment=reason,
    )
    publish(
        "approval.withdrawn",
        "approval_request",
        request.pk,
        {"number": request.number, "kind": request.subject_kind, "step": step.name if step else "", "reason": reason},
    )
    Notification.objects.filter(
        url=f"/approvals/{request.pk}/",
        kind__in=("approval.requested", "approval.reminder"),
        read_at__isnull=True,
    ).update(read_at=now)
    return request


def resubmit(*, request_id: int, actor, context: dict | None = None, title: str | None = None) -> ApprovalRequest:
    """Send a returned request back to the first step of its flow (a new round)."""
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update(of=("self",)).filter(pk=request_id).first()
        if request is None:
            raise NotFound()
        first_step = request.flow.steps.order_by("sequence").first()
        moved = ApprovalRequest.objects.filter(pk=request.pk, status=ApprovalRequest.Status.RETURNED).update(
            status=ApprovalRequest.Status.PENDING,
            current_step=first_step,
            step_started_at=timezone.now(),
            last_reminded_at=None,
            decided_at=None,
            round=request.round + 1,
            context=context if context is not None else request.context,
            title=(title or request.title)[:200],
        )
        if moved != 1:
            raise Conflict(_("Only a request returned for changes can be resubmitted."))
        request.refresh_from_db()
        ApprovalDecision.objects.create(
            request=request,
            step=None,
            round=request.round,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            decision=ApprovalDecision.Decision.RESUBMIT,
        )
        transaction.on_commit(lambda: _notify_step(request))
    return request


def send_reminders(now=None) -> int:
    """Remind the approvers of every step pending longer than the brand's reminder time (once per
    period). Returns how many requests were reminded about."""
    now = now or timezone.now()
    hours = BrandSettings.current().approval_reminder_hours
    cutoff = now - timedelta(hours=hours)
    overdue = (
        ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING, step_started_at__lte=cutoff)
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=cutoff))
        .select_related("current_step", "region")
    )
    count = 0
    for request in overdue:
        updated = ApprovalRequest.objects.filter(pk=request.pk, last_reminded_at=request.last_reminded_at).update(
            last_reminded_at=now
        )
        if updated:
            _notify_step(request, reminder=True)
            count += 1
    return count
