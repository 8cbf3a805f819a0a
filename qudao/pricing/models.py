"""Price policies (价格政策): price lists with their item rows and product-line rules, and the
brand's floor prices (最低限价). How they combine into a price is qudao.pricing.engine's docstring."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.audit import AuditedModel

CURRENCY_CHOICES = [("CNY", "CNY"), ("HKD", "HKD"), ("USD", "USD"), ("EUR", "EUR")]


class ScopeKind(models.TextChoices):
    """Who a price list is for; the value is derived from which of tier/region/partner are set."""

    BASE = "base", _("Base")
    REGION = "region", _("Region")
    TIER = "tier", _("Tier")
    TIER_REGION = "tier_region", _("Tier in a region")
    PARTNER = "partner", _("Partner")


# How specific each audience is: the higher wins (engine docstring).
SPECIFICITY = {
    ScopeKind.BASE: 0,
    ScopeKind.REGION: 1,
    ScopeKind.TIER: 2,
    ScopeKind.TIER_REGION: 3,
    ScopeKind.PARTNER: 4,
}


class PriceList(AuditedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("price list status", "Draft")
        PENDING_APPROVAL = "pending_approval", pgettext_lazy("price list status", "Pending approval")
        ACTIVE = "active", pgettext_lazy("price list status", "Active")
        REJECTED = "rejected", pgettext_lazy("price list status", "Rejected")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("audience"), max_length=12, choices=ScopeKind.choices, editable=False)
    tier = models.ForeignKey(
        "partners.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier")
    )
    region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="price_lists",
        verbose_name=_("partner"),
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        indexes = [models.Index(fields=["status", "valid_from"], name="pricing_pricelist_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | (Q(tier__isnull=True) & Q(region__isnull=True)),
                name="pricing_pricelist_partner_alone",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricing_pricelist_valid_range",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @staticmethod
    def kind_for(tier_id, region_id, partner_id) -> str:
        if partner_id:
            return ScopeKind.PARTNER
        if tier_id and region_id:
            return ScopeKind.TIER_REGION
        if tier_id:
            return ScopeKind.TIER
        if region_id:
            return ScopeKind.REGION
        return ScopeKind.BASE

    def save(self, *args, **kwargs):
        self.kind = self.kind_for(self.tier_id, self.region_id, self.partner_id)
        super().save(*args, **kwargs)

    def audit_partner_id(self):
        return self.partner_id


class PriceListItem(AuditedModel):
    """The unit price of one SKU in a list, from `min_qty` base units up (1 is the base row; larger
    values are quantity breaks)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    min_qty = models.PositiveIntegerField(_("from quantity"), default=1, validators=[MinValueValidator(1)])
    price = models.DecimalField(_("price"), max_digits=20, decimal_places=4, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["price_list", "sku", "min_qty"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "sku", "min_qty"], name="pricing_item_unique_break"),
            models.CheckConstraint(condition=Q(price__gte=0), name="pricing_item_price_not_negative"),
            models.CheckConstraint(condition=Q(min_qty__gte=1), name="pricing_item_min_qty_positive"),
        ]

    def __str__(self):
        return f"{self.sku_id} ≥{self.min_qty}: {self.price}"


class PriceListRule(AuditedModel):
    """A price for every SKU of a product line (and the lines below it), derived from the base price."""

    class Method(models.TextChoices):
        PERCENT_OF_BASE = "percent_of_base", _("Percentage of base price")
        FIXED_DISCOUNT = "fixed_discount", _("Fixed discount from base price")

    class Rounding(models.TextChoices):
        CENT = "0.01", _("to 0.01 yuan")
        DIME = "0.1", _("to 0.1 yuan")
        YUAN = "1", _("to 1 yuan")

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="rules")
    product_line = models.ForeignKey(
        "catalog.ProductLine", on_delete=models.PROTECT, related_name="+", verbose_name=_("product line")
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, validators=[MinValueValidator(0)])
    rounding = models.CharField(_("rounding"), max_length=4, choices=Rounding.choices, default=Rounding.CENT)

    class Meta:
        ordering = ["price_list", "product_line"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product_line"], name="pricing_rule_unique_line"),
            models.CheckConstraint(condition=Q(value__gte=0), name="pricing_rule_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.product_line_id} {self.method} {self.value}"


class FloorPrice(AuditedModel):
    """The brand's minimum unit price for a SKU (最低限价): no list and no promotion goes below it."""

    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    price = models.DecimalField(_("floor price"), max_digits=20, decimal_places=4, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["sku", "valid_from"]
        verbose_name = _("floor price")
        verbose_name_plural = _("floor prices")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="pricing_floor_price_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricing_floor_valid_range",
            ),
        ]

    def __str__(self):
        return f"{self.sku_id} ≥ {self.price}"


ZERO = Decimal("0")


class Promotion(AuditedModel):
    """A promotion (促销). Who it is for (audience, like price lists: none of tier/region/partner is
    everyone), what it covers (a product line with the lines below it, one SKU, or everything),
    when, and how it combines with others (`stacking`, required): an exclusive promotion never
    combines on a line; stackable promotions combine only with promotions of the same `stack_group`.
    How the engine applies them is qudao.pricing.engine's docstring."""

    class Kind(models.TextChoices):
        PERCENT_OFF = "percent_off", _("Percentage off")
        AMOUNT_OFF = "amount_off", _("Amount off per unit")
        SPECIAL_PRICE = "special_price", _("Fixed special price")
        LIMITED_SPECIAL = "limited_special", _("Limited special price")
        THRESHOLD = "threshold", _("Spend X, get Y off")
        TIERED = "tiered_threshold", _("Tiered thresholds")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X, get Y free")
        BUNDLE = "bundle", _("Bundle price")

    class Stacking(models.TextChoices):
        EXCLUSIVE = "exclusive", _("Exclusive")
        STACKABLE = "stackable", _("Stackable within its group")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("promotion status", "Draft")
        ACTIVE = "active", pgettext_lazy("promotion status", "Active")
        ENDED = "ended", pgettext_lazy("promotion status", "Ended")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    tier = models.ForeignKey(
        "partners.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier")
    )
    region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    product_line = models.ForeignKey(
        "catalog.ProductLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product line"),
    )
    sku = models.ForeignKey(
        "catalog.Sku", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    stacking = models.CharField(_("stacking"), max_length=10, choices=Stacking.choices)
    stack_group = models.CharField(_("stacking group"), max_length=40, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    # percent_off: percent; amount_off: per unit; special_price: unit price; threshold: the amount off
    value = models.DecimalField(
        _("value"), max_digits=20, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=20, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    per_each = models.BooleanField(_("for each full threshold"), default=False)
    # tiered_threshold: [["5000", "200"], ["10000", "500"]]: spend at least X, get Y off (highest reached)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    # buy_x_get_y: for every `buy_qty` base units of the covered SKUs, `gift_qty` of `gift_sku` free
    # (no gift_sku: the same SKU as each covered line, counted per line)
    buy_qty = models.PositiveIntegerField(_("buy quantity"), null=True, blank=True)
    gift_qty = models.PositiveIntegerField(_("gift quantity"), null=True, blank=True)
    gift_sku = models.ForeignKey(
        "catalog.Sku", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("gift SKU")
    )
    # bundle: [[sku id, quantity], ...]; one set of them costs `value`
    bundle_items = models.JSONField(_("bundle"), default=list, blank=True)
    # Limits (any kind; required for limited_special). Quantities count what the promotion gives:
    # units discounted (unit kinds), gift units (buy_x_get_y), sets (bundle), uses (thresholds);
    # the money budget counts the discount given (gifts at their list price).
    partner_cap_qty = models.PositiveIntegerField(_("cap per partner"), null=True, blank=True)
    budget_qty = models.PositiveIntegerField(_("budget (quantity)"), null=True, blank=True)
    budget_amount = models.DecimalField(
        _("budget (amount)"), max_digits=20, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # What has been reserved by orders and not released (kept with the ledger PromotionUsage by
    # qudao.pricing.reservations, under a row lock, with a conditional update).
    used_qty = models.PositiveIntegerField(_("used (quantity)"), default=0, editable=False)
    used_amount = models.DecimalField(_("used (amount)"), max_digits=20, decimal_places=4, default=ZERO, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-priority", "code"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.CheckConstraint(
                condition=Q(stacking__in=["exclusive", "stackable"]), name="pricing_promotion_stacking_required"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricing_promotion_valid_range",
            ),
            # The budgets are never exceeded: the database refuses what a bug would let through.
            models.CheckConstraint(
                condition=Q(budget_qty__isnull=True) | Q(used_qty__lte=models.F("budget_qty")),
                name="pricing_promotion_within_qty_budget",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(used_amount__lte=models.F("budget_amount")),
                name="pricing_promotion_within_amount_budget",
            ),
            models.CheckConstraint(condition=Q(used_amount__gte=0), name="pricing_promotion_used_not_negative"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def limited(self) -> bool:
        return self.partner_cap_qty is not None or self.budget_qty is not None or self.budget_amount is not None

    def audit_partner_id(self):
        return self.partner_id


class PromotionUsage(models.Model):
    """The consumption ledger of limited promotions (append-only): an order that used a promotion
        reserves what it took (`reserve`, positive); cancelling the order appends the same amounts as a
        `release` (never an update or delete). `reference` is the order's number (until orders exist,
        the caller's reference). A reference reserves a promotion once per round and releases it once;
    an order changed after submission releases its round and reserves the next."""

    class Entry(models.TextChoices):
        RESERVE = "reserve", _("Reserved")
        RELEASE = "release", _("Released")

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="usages")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("order"), max_length=64)
    entry = models.CharField(_("entry"), max_length=8, choices=Entry.choices)
    # An order changed after submission releases its reservation and reserves again: round 0, 1, ...
    round = models.PositiveIntegerField(default=0)
    quantity = models.IntegerField(_("quantity"))
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["promotion", "reference", "entry", "round"], name="pricing_usage_once_per_round"
            ),
        ]
        indexes = [
            models.Index(fields=["promotion", "partner"], name="pricing_usage_partner_idx"),
            models.Index(fields=["reference"], name="pricing_usage_reference_idx"),
        ]

    def __str__(self):
        return f"{self.promotion_id} {self.reference} {self.entry} {self.quantity} {self.amount}"
