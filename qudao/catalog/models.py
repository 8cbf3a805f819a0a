"""The catalog: product lines (a tree), products, their SKUs, units, and the sales scope
(经营范围) that says which partners may buy what."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.audit import AuditedModel


class Lifecycle(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("product lifecycle", "Draft")
    ON_SALE = "on_sale", pgettext_lazy("product lifecycle", "On sale")
    DISCONTINUED = "discontinued", pgettext_lazy("product lifecycle", "Discontinued")


def sale_state(sku_lifecycle: str, product_lifecycle: str) -> str:
    """Whether a SKU may be sold, from its own lifecycle and its product's: on sale only when both
    are; discontinued when either is (a discontinued product takes all its SKUs off sale); else a
    draft (not released yet). The catalogue shows, and partners price and order, on-sale SKUs only."""
    states = {sku_lifecycle, product_lifecycle}
    if Lifecycle.DISCONTINUED in states:
        return Lifecycle.DISCONTINUED
    if states == {Lifecycle.ON_SALE}:
        return Lifecycle.ON_SALE
    return Lifecycle.DRAFT


class ProductLine(AuditedModel):
    """A node of the product-line tree (家电 > 厨电 > 油烟机). `path` is the materialised path of
    ids ("/3/7/12/"), so "this line and everything below it" is one prefix match."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent line")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    sort_order = models.PositiveIntegerField(pgettext_lazy("sort order", "order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    audit_exclude = ("path", "depth")

    class Meta:
        ordering = ["path"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self):
        return self.name


class Product(AuditedModel):
    """A product as the brand sells it; what partners order are its SKUs."""

    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.PROTECT, related_name="products", verbose_name=_("product line")
    )
    description = models.TextField(_("description"), blank=True)
    base_unit = models.CharField(_("base unit"), max_length=10, default="件")
    # VAT rate as a fraction: 0.13 is 13 %.
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=5, decimal_places=4, default=Decimal("0.13"), validators=[MinValueValidator(0)]
    )
    lifecycle = models.CharField(_("lifecycle"), max_length=14, choices=Lifecycle.choices, default=Lifecycle.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["product_line", "lifecycle"], name="catalog_product_line_idx")]

    def __str__(self):
        return self.name


def product_image_path(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"products/{instance.product_id}/{instance.pk or 'new'}-{filename[:40]}.{extension}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=product_image_path)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product", "sort_order", "pk"]

    def __str__(self):
        return self.image.name


class Sku(AuditedModel):
    """A sellable variant of a product (颜色/尺寸/容量). Quantities are in the product's base unit;
    `min_order_qty` and `order_multiple` are enforced on every order line."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus", verbose_name=_("product"))
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    barcode = models.CharField(_("barcode"), max_length=32, null=True, blank=True, unique=True)
    name = models.CharField(_("name"), max_length=160)
    attributes = models.JSONField(_("specification"), default=dict, blank=True)
    # Never shown to partners (see catalog.selectors and the API schemas).
    cost_price = models.DecimalField(
        _("cost price"), max_digits=20, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    min_order_qty = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    order_multiple = models.PositiveIntegerField(_("order multiple"), default=1)
    lifecycle = models.CharField(_("lifecycle"), max_length=14, choices=Lifecycle.choices, default=Lifecycle.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_exclude = ()

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        constraints = [
            models.CheckConstraint(condition=Q(min_order_qty__gte=1), name="catalog_sku_min_order_qty_positive"),
            models.CheckConstraint(condition=Q(order_multiple__gte=1), name="catalog_sku_order_multiple_positive"),
        ]
        indexes = [models.Index(fields=["product", "lifecycle"], name="catalog_sku_product_idx")]

    def __str__(self):
        return f"{self.code} {self.name}"


class UnitConversion(AuditedModel):
    """An ordering unit of a product and how many base units it holds (箱 = 12 件)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="units", verbose_name=_("product"))
    unit = models.CharField(_("unit"), max_length=10)
    factor = models.PositiveIntegerField(_("base units per unit"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["product", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="catalog_unitconversion_unique_unit"),
            models.CheckConstraint(condition=Q(factor__gte=1), name="catalog_unitconversion_factor_positive"),
        ]

    def __str__(self):
        return f"1 {self.unit} = {self.factor}"


class SalesScopeRule(AuditedModel):
    """One rule of the sales scope (经营范围): allow or deny a product line (with everything below
    it) or one SKU, to everyone, a tier, a region, a tier in a region, or one partner.

    The most specific matching rule decides (see catalog.scope): the partner rule beats the
    tier+region rule, which beats a tier or a region rule, which beats an everyone rule; for the
    same audience a SKU rule beats a line rule and a deeper line beats a shallower one; at equal
    specificity deny wins. A partner's authorised product lines (Partner.product_lines, by line
    code or name) count as partner-level allow rules."""

    class Effect(models.TextChoices):
        ALLOW = "allow", _("Allow")
        DENY = "deny", _("Deny")

    effect = models.CharField(_("effect"), max_length=5, choices=Effect.choices, default=Effect.ALLOW)
    product_line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scope_rules",
        verbose_name=_("product line"),
    )
    sku = models.ForeignKey(
        Sku, null=True, blank=True, on_delete=models.CASCADE, related_name="scope_rules", verbose_name=_("SKU")
    )
    tier = models.ForeignKey(
        "partners.Tier", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("tier")
    )
    region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="scope_rules",
        verbose_name=_("partner"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("sales scope rule")
        verbose_name_plural = _("sales scope rules")
        constraints = [
            # exactly one of product line / SKU
            models.CheckConstraint(
                condition=(Q(product_line__isnull=False) & Q(sku__isnull=True))
                | (Q(product_line__isnull=True) & Q(sku__isnull=False)),
                name="catalog_salesscoperule_line_xor_sku",
            ),
            # a partner rule names no tier or region
            models.CheckConstraint(
                condition=Q(partner__isnull=True) | (Q(tier__isnull=True) & Q(region__isnull=True)),
                name="catalog_salesscoperule_partner_alone",
            ),
        ]

    def __str__(self):
        return f"{self.get_effect_display()} {self.sku or self.product_line}"

    def audit_partner_id(self):
        return self.partner_id
