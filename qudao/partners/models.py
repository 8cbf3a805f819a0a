"""The partner network: partners, their hierarchy, tiers, contacts, users, credit terms and the
onboarding applications that create them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.accounts.roles import PartnerRole
from qudao.core.audit import AuditedModel


class PartnerType(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributor")
    DEALER = "dealer", _("Dealer / reseller")
    AGENT = "agent", _("Agent")
    SERVICE = "service", _("Service partner")


class PartnerStatus(models.TextChoices):
    APPLICANT = "applicant", pgettext_lazy("partner status", "Applicant")
    ACTIVE = "active", pgettext_lazy("partner status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("partner status", "Suspended")
    TERMINATED = "terminated", pgettext_lazy("partner status", "Terminated")


# Which status changes are allowed (a terminated partner stays terminated).
STATUS_TRANSITIONS: dict[str, set[str]] = {
    PartnerStatus.APPLICANT: {PartnerStatus.ACTIVE, PartnerStatus.TERMINATED},
    PartnerStatus.ACTIVE: {PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED},
    PartnerStatus.SUSPENDED: {PartnerStatus.ACTIVE, PartnerStatus.TERMINATED},
    PartnerStatus.TERMINATED: set(),
}


class Tier(AuditedModel):
    """A partner grade (strategic, gold, silver, registered...). Ordered by `rank`: 1 is the top.
    Drives prices, rebates and visibility in later contexts."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the highest tier."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["rank", "pk"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [models.UniqueConstraint(fields=["rank"], name="partners_tier_unique_rank")]

    def __str__(self):
        return self.name


class PartnerTag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Partner(AuditedModel):
    """A channel partner (渠道伙伴): a distributor, dealer, agent or service partner.

    The hierarchy is a materialised path: `path` is "/<id>/<id>/.../" from the top distributor
    down to this partner, so "this partner and everything below it" is one indexed prefix match
    (the scoping rule relies on it) and a cycle check is a string test.
    """

    code = models.CharField(_("partner code"), max_length=20, unique=True)
    partner_type = models.CharField(_("type"), max_length=20, choices=PartnerType.choices)
    legal_name = models.CharField(_("legal name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, null=True, blank=True, unique=True)
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="partners", verbose_name=_("region")
    )
    territories = models.ManyToManyField(
        "core.Region",
        blank=True,
        related_name="+",
        verbose_name=_("sales territory"),
        help_text=_("Regions the partner may sell into and recruit sub-dealers in; empty means its own province."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=200, blank=True)
    invoice_address_phone = models.CharField(_("invoice address and phone"), max_length=300, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    tags = models.ManyToManyField(PartnerTag, blank=True, related_name="partners", verbose_name=_("tags"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="partners", verbose_name=_("tier"))
    status = models.CharField(_("status"), max_length=12, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    product_lines = models.JSONField(_("authorised product lines"), default=list, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent distributor"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_partners",
        verbose_name=_("channel manager"),
    )
    regional_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_partners",
        verbose_name=_("regional owner"),
    )
    # Credit terms: changed only through services.request_credit_change (finance, maybe approval).
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=20, decimal_places=4, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    credit_currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        indexes = [
            models.Index(fields=["status", "partner_type"], name="partners_status_type_idx"),
            models.Index(fields=["tier", "status"], name="partners_tier_idx"),
            models.Index(fields=["legal_name"], name="partners_legal_name_idx"),
            models.Index(fields=["created_at"], name="partners_created_idx"),
            models.Index(fields=["channel_manager"], name="partners_cm_idx"),
        ]

    # path and depth are derived from the parent (which is recorded) and change in bulk.
    audit_exclude = ("path", "depth")

    def __str__(self):
        return self.short_name or self.legal_name

    def audit_partner_id(self):
        return self.pk

    @property
    def is_distributor(self) -> bool:
        return self.partner_type == PartnerType.DISTRIBUTOR

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


class PartnerContact(AuditedModel):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["mobile"], name="partners_contact_mobile_idx")]

    def __str__(self):
        return self.name

    def audit_partner_id(self):
        return self.partner_id


class PartnerStatusChange(models.Model):
    """History of a partner's status: append-only, with the reason."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(_("from"), max_length=12, choices=PartnerStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=PartnerStatus.choices)
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.partner_id}: {self.from_status or '-'} → {self.to_status}"


class TierChange(models.Model):
    """History of a partner's tier: append-only, with the reason."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_history")
    from_tier = models.ForeignKey(Tier, null=True, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.partner_id}: {self.from_tier_id or '-'} → {self.to_tier_id}"


class CreditTermsChange(models.Model):
    """A requested change of credit terms: applied at once, or after approval when the increase
    passes the brand's threshold. Append-only; the partner row holds the terms in force."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="credit_changes")
    old_limit = models.DecimalField(max_digits=20, decimal_places=4)
    new_limit = models.DecimalField(_("new credit limit"), max_digits=20, decimal_places=4)
    old_currency = models.CharField(max_length=3)
    new_currency = models.CharField(_("currency"), max_length=3)
    old_terms_days = models.PositiveSmallIntegerField()
    new_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # At most one change waiting for approval per partner: two pending changes would race.
            models.UniqueConstraint(
                fields=["partner"], condition=Q(status="pending"), name="partners_creditchange_one_pending"
            )
        ]

    def __str__(self):
        return f"{self.partner_id}: {self.old_limit} → {self.new_limit} ({self.status})"


class PartnerMember(AuditedModel):
    """A user's membership of exactly one partner, with its partner role."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_member")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("role"), max_length=20, choices=PartnerRole.choices, default=PartnerRole.STAFF)
    is_active = models.BooleanField(_("active"), default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["partner", "-role", "pk"]

    def __str__(self):
        return f"{self.user} @ {self.partner}"

    def audit_partner_id(self):
        return self.partner_id


def licence_upload_path(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"licences/{timezone.now():%Y/%m}/{instance.number}.{extension}"


class PartnerApplication(AuditedModel):
    """An application to become a partner (准入). Public; reviewed through the approval engine.
    The applicant follows it (and resubmits it when returned) with its private access token."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("In review")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    number = models.CharField(_("application number"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    partner_type = models.CharField(_("type"), max_length=20, choices=PartnerType.choices)
    legal_name = models.CharField(_("legal name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    product_lines = models.JSONField(_("intended product lines"), default=list, blank=True)
    parent = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sub_applications",
        verbose_name=_("applying under distributor"),
    )
    contact_name = models.CharField(_("contact name"), max_length=60)
    contact_mobile = models.CharField(_("contact mobile"), max_length=20, db_index=True)
    contact_email = models.EmailField(_("contact e-mail"))
    licence = models.FileField(_("business licence scan"), upload_to=licence_upload_path)
    message = models.TextField(_("message to the brand"), blank=True)
    access_token = models.CharField(max_length=64, unique=True, editable=False)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications")
    admin_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The language the application was submitted in: the applicant's e-mails are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)

    audit_exclude = ("access_token",)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        indexes = [models.Index(fields=["legal_name"], name="partners_app_legal_name_idx")]

    def __str__(self):
        return f"{self.number} {self.legal_name}"

    def audit_partner_id(self):
        return self.partner_id or self.parent_id


class FundAccount(models.Model):
    """A partner's money held by the brand, by kind: its prepayment (预付款) now, its rebate fund
    (返利池) with the rebates context. The balance is the sum of the account's entries (kept here
    as counters, updated in the same transaction as each entry): `balance` is what the partner has,
    `held` what submitted orders have set aside; available = balance - held."""

    class Kind(models.TextChoices):
        PREPAYMENT = "prepayment", _("Prepayment")
        REBATE = "rebate", _("Rebate fund")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="fund_accounts")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    balance = models.DecimalField(_("balance"), max_digits=20, decimal_places=4, default=Decimal("0"))
    held = models.DecimalField(_("held"), max_digits=20, decimal_places=4, default=Decimal("0"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["partner", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "kind", "currency"], name="partners_fund_one_per_kind"),
            models.CheckConstraint(condition=models.Q(held__gte=0), name="partners_fund_held_not_negative"),
            # never overdrawn: what is held never exceeds what is there
            models.CheckConstraint(
                condition=models.Q(held__lte=models.F("balance")), name="partners_fund_not_overdrawn"
            ),
        ]

    def __str__(self):
        return f"{self.partner_id} {self.kind} {self.balance}"

    @property
    def available(self) -> Decimal:
        return self.balance - self.held


class FundEntry(models.Model):
    """The append-only ledger of a fund account. A deposit adds to the balance; a hold sets money
    aside for an order (held += amount); a release gives a hold back; a capture takes the held money
    (balance -= amount, held -= amount) when goods ship; an adjustment corrects the balance with a
    reason; an expiry takes rebate money not used in time (balance -= amount, never what orders
    hold). Corrections are new entries, never edits."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        HOLD = "hold", _("Hold")
        RELEASE = "release", _("Release")
        CAPTURE = "capture", _("Capture")
        ADJUSTMENT = "adjustment", _("Adjustment")
        EXPIRY = "expiry", _("Expiry")

    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    balance_delta = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal("0"))
    held_delta = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal("0"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["account", "created_at", "pk"]
        indexes = [models.Index(fields=["account", "reference"], name="partners_fundentry_ref_idx")]

    def __str__(self):
        return f"{self.account_id} {self.kind} {self.balance_delta}/{self.held_delta} {self.reference}"
