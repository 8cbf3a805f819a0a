"""Core models: reference geography, brand settings, numbering, audit trail, notifications,
the outbox, and the approval engine that every context uses."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .audit import AuditedModel


class Region(models.Model):
    """A node of the administrative geography: country > province > city (mainland China seeded).

    `path` is the materialised path of codes ("CN/320000/320100/") so that "inside this region"
    is one indexed prefix match, at any depth.
    """

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_hant = models.CharField(_("name (Traditional Chinese)"), max_length=64, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=64, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=128, unique=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        language = translation.get_language() or ""
        if language.startswith("en") and self.name_en:
            return self.name_en
        if language == "zh-hant" and self.name_hant:
            return self.name_hant
        return self.name

    @property
    def full_name(self) -> str:
        names = []
        node = self
        while node is not None and node.level != self.Level.COUNTRY:
            names.append(node.display_name)
            node = node.parent
        return " ".join(reversed(names))

    def contains(self, other: "Region") -> bool:
        return other.path.startswith(self.path)


def brand_logo_path(instance, filename: str) -> str:
    return f"brand/{filename}"


class BrandSettings(models.Model):
    """The brand's configurable rules and its face (one row). Read with `BrandSettings.current()`;
    pages, e-mails and PDFs read the face through `qudao.core.branding.brand()`."""

    brand_name = models.CharField(_("brand name"), max_length=100, default="Qudao Demo Brand")
    short_name = models.CharField(
        _("short name"),
        max_length=20,
        blank=True,
        help_text=_("Shown where space is short (a phone's header); the brand name when empty."),
    )
    # stored under the name of the kind its bytes are (core.uploads.stored_name), served by core:brand_logo
    logo = models.FileField(_("logo"), upload_to=brand_logo_path, max_length=200, blank=True)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, blank=True, help_text=_("A colour as #RRGGBB, e.g. #C8102E.")
    )
    default_currency = models.CharField(_("default currency"), max_length=3, default="CNY")
    parent_must_cover_child_region = models.BooleanField(
        _("a parent distributor must cover the sub-dealer's region"),
        default=True,
        help_text=_("Refuse a parent whose territory does not contain the sub-dealer's region."),
    )
    credit_change_approval_threshold = models.DecimalField(
        _("credit limit change needing approval"),
        max_digits=20,
        decimal_places=4,
        default=Decimal("100000"),
        help_text=_("A credit limit increase above this amount goes through the approval engine."),
    )
    approval_reminder_hours = models.PositiveIntegerField(_("remind approvers after (hours)"), default=24)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("brand settings")
        verbose_name_plural = _("brand settings")

    def __str__(self):
        return str(self.brand_name)

    @classmethod
    def current(cls) -> "BrandSettings":
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class NumberSequence(models.Model):
    """Counters behind human-readable numbers (AP2611270001). Gap-tolerant, unique under
    concurrency: the row is incremented with a locked UPDATE in the caller's transaction."""

    prefix = models.CharField(max_length=16)
    period = models.CharField(max_length=16)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "period"], name="core_numbersequence_unique_prefix_period")
        ]

    def __str__(self):
        return f"{self.prefix}{self.period}: {self.last_value}"


class ObjectChange(models.Model):
    """One create, update or delete of a business record: who, when, before and after."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    # The partner that owns the changed record, so the scoping rule applies to the audit trail too.
    partner_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    message = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="core_objchange_object_idx"),
            models.Index(fields=["partner_id", "-at"], name="core_objchange_partner_idx"),
        ]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    @property
    def changed_fields(self) -> list[dict]:
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [
            {"field": key, "before": before.get(key), "after": after.get(key)}
            for key in keys
            if before.get(key) != after.get(key)
        ]


class Notification(models.Model):
    """An in-app message to one user (approval reminders, application outcomes, ...)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="core_notification_inbox_idx")]

    def __str__(self):
        return self.title


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it reports; delivered to
    webhooks and other systems from here (delivery arrives with the integration issue)."""

    event_type = models.CharField(max_length=60, db_index=True)
    aggregate_type = models.CharField(max_length=40)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id", "id"], name="core_outbox_aggregate_idx")]

    def __str__(self):
        return f"{self.event_type} {self.aggregate_type}:{self.aggregate_id}"


# --- The approval engine ---------------------------------------------------------------------


class ApprovalFlow(models.Model):
    """An approval flow for one kind of subject (partner application, credit change, and later
    orders, promotions, rebate runs). Flows are data: the engine picks the active flow of the
    subject kind with the highest priority whose conditions match the subject's context."""

    subject_kind = models.CharField(_("subject"), max_length=40, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    conditions = models.JSONField(
        _("conditions"),
        default=dict,
        blank=True,
        help_text=_('Which subjects this flow applies to, e.g. {"partner_type": "distributor"}; empty for all.'),
    )
    priority = models.IntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["subject_kind", "-priority", "pk"]
        verbose_name = _("approval flow")
        verbose_name_plural = _("approval flows")

    def __str__(self):
        return self.name


class ApprovalStep(models.Model):
    """One ordered step of a flow: who may decide it (a role, optionally narrowed to the
    approvers whose regions contain the subject's region)."""

    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="steps")
    sequence = models.PositiveSmallIntegerField(pgettext_lazy("sort order", "order"))
    name = models.CharField(_("name"), max_length=100)
    approver_role = models.CharField(_("approver role"), max_length=40)
    match_region = models.BooleanField(_("only approvers of the subject's region"), default=False)

    class Meta:
        ordering = ["flow", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "sequence"], name="core_approvalstep_unique_flow_sequence")
        ]

    def __str__(self):
        return f"{self.sequence}. {self.name}"


class ApprovalRequest(models.Model):
    """One subject going through a flow. Moves step by step; each decision is an ApprovalDecision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for changes")
        CANCELLED = "cancelled", _("Cancelled")
        # the subject no longer waits for a decision (an order cancelled, rejected or changed meanwhile)
        WITHDRAWN = "withdrawn", _("Withdrawn")

    number = models.CharField(_("number"), max_length=20, unique=True)
    subject_kind = models.CharField(_("subject"), max_length=40)
    subject_id = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    flow = models.ForeignKey(ApprovalFlow, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    current_step = models.ForeignKey(ApprovalStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    step_started_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    partner_id = models.BigIntegerField(null=True, blank=True)
    context = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    round = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "current_step"], name="core_approval_inbox_idx"),
            models.Index(fields=["subject_kind", "subject_id"], name="core_approval_subject_idx"),
        ]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self):
        return f"{self.number} {self.title}"


class ApprovalDecision(models.Model):
    """An approver's decision on one step: approve, reject or return for changes, with a comment.
    Also records the submitter's resubmission after a return, and the withdrawal of a request whose
    subject stopped waiting (with the step it was at and the reason)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        RETURN = "return", _("Return for changes")
        RESUBMIT = "resubmit", _("Resubmitted")
        WITHDRAW = "withdraw", _("Withdrawn")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    step = models.ForeignKey(ApprovalStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(default=1)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_decision_display()} ({self.request_id})"


# --- Background jobs -------------------------------------------------------------------------


def job_input_path(instance, filename):
    name = filename.rsplit("/", 1)[-1][-100:] or "input"
    return f"jobs/{timezone.now():%Y/%m}/{name}"


class Job(models.Model):
    """A piece of work run in the background (an import, later statements and rebate runs):
    who started it, its progress, and its outcome. Written by qudao.core.jobs; read through the
    API and the job page. Not audited: it records work, it is not a business record."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    # The partner the job is about, if any (for scoping); null for HQ-wide jobs.
    partner_id = models.BigIntegerField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    input_file = models.FileField(_("file"), upload_to=job_input_path, max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease of a running job (qudao.core.jobs): the process running it ("host:pid:start"),
    # until when that process vouches for it (renewed while it runs), and how many times the job
    # was started.
    worker = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="core_job_creator_idx"),
            models.Index(fields=["status", "lease_expires_at"], name="core_job_lease_idx"),
        ]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished and self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_done * 100 / self.progress_total))


# --- Outgoing webhooks -----------------------------------------------------------------------


def new_webhook_secret() -> str:
    """A fresh signing secret for a webhook endpoint (shown once, when created or rotated)."""
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(AuditedModel):
    """A receiver of outbox events (an ERP, a data warehouse): every event published after it was
    created, of the types it subscribes to, is POSTed to its URL, signed with its secret
    (qudao.core.webhooks). The secret is never written to the audit trail."""

    audit_exclude = ("secret",)

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    event_types = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_('The event types sent to this endpoint, e.g. ["order.shipped", "order.*"]; empty for all.'),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.name

    def subscribes_to(self, event_type: str) -> bool:
        if not self.event_types:
            return True
        for pattern in self.event_types:
            if pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1])):
                return True
        return False


class WebhookDelivery(models.Model):
    """One outbox event to one endpoint: created when the event is published, in the same
    transaction, and worked on by the dispatcher until delivered (or dead after too many
    attempts). `aggregate_type`/`aggregate_id` are copied from the event: the dispatcher never
    sends a delivery while an earlier one of the same aggregate to the same endpoint is open."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        FAILED = "failed", _("Failed, will retry")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Gave up")

    OPEN = (Status.PENDING, Status.FAILED)

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    aggregate_type = models.CharField(max_length=40)
    aggregate_id = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="core_webhookdelivery_unique_endpoint_event")
        ]
        indexes = [
            # the dispatcher: open deliveries that are due
            models.Index(
                fields=["next_attempt_at"],
                name="core_webhook_due_idx",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
            # the ordering rule: an earlier open delivery of the same aggregate to the same endpoint
            models.Index(fields=["endpoint", "aggregate_type", "aggregate_id", "event"], name="core_webhook_order_idx"),
            # the delivery log of one endpoint
            models.Index(fields=["endpoint", "status", "-id"], name="core_webhook_log_idx"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery (append-only): when, how long, what the receiver said."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "pk"]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"
