"""Models of the inventory context (issue 4): warehouses, stock per SKU and warehouse, and the
append-only stock ledger.

`StockLevel` holds the counters (on hand, reserved; available = on hand - reserved; quarantined,
units kept apart and never sold, not part of on hand) that the services lock and change;
`StockEntry` records every movement. The counters always equal the sum
of the entries of their (warehouse, SKU): nothing changes a level without writing its entries in
the same transaction (see inventory.services).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qudao.core.audit import AuditedModel


class Warehouse(AuditedModel):
    """A place where stock is kept: the brand's HQ warehouse, a regional warehouse (华东仓), or a
    distributor's own warehouse (kind "partner", with its partner)."""

    class Kind(models.TextChoices):
        HQ = "hq", _("HQ warehouse")
        REGIONAL = "regional", _("Regional warehouse")
        PARTNER = "partner", _("Partner warehouse")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGIONAL)
    region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warehouses",
        verbose_name=_("partner"),
    )
    # The cities and provinces the warehouse delivers to first (ADR 0014). None: its own region.
    serves = models.ManyToManyField(
        "core.Region",
        blank=True,
        related_name="+",
        verbose_name=_("serves regions"),
        help_text=_("Orders of partners in these cities or provinces are filled from here first."),
    )
    active = models.BooleanField(_("active"), default=True)
    ships_to_partners = models.BooleanField(
        _("ships to partners"),
        default=True,
        help_text=_("Orders may be filled from this warehouse."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            # a partner warehouse names its partner; the brand's own warehouses name none
            models.CheckConstraint(
                condition=(Q(kind="partner") & Q(partner__isnull=False))
                | (~Q(kind="partner") & Q(partner__isnull=True)),
                name="inventory_warehouse_partner_iff_partner_kind",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def audit_partner_id(self):
        return self.partner_id

    def served_regions(self) -> list:
        """The regions this warehouse serves first: those named, else its own region (a prefetch
        of `serves` and a select of `region` make this query-free)."""
        named = list(self.serves.all())
        return named or ([self.region] if self.region_id else [])


class StockLevel(models.Model):
    """The stock of one SKU in one warehouse, in the SKU's base unit: on hand, reserved for orders
    (available = on hand - reserved), quarantined (returned units kept apart until they are released
    to on hand or scrapped: never available, not part of on hand, Qudao's own - the ERP sets on hand
    only), the safety stock under which it is low, and the version of the last ERP update (stale
    updates are refused)."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="levels", verbose_name=_("warehouse")
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("SKU"))
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    quarantined = models.IntegerField(_("quarantined"), default=0)
    safety_stock = models.IntegerField(_("safety stock"), default=0)
    # The ERP's version of this row (a counter, or a time stamp as microseconds since 1970 UTC),
    # and the on-hand quantity that version set (a replay of the same version is recognised).
    erp_version = models.BigIntegerField(_("ERP version"), null=True, blank=True)
    erp_on_hand = models.IntegerField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["sku_id", "warehouse_id"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            # (sku, warehouse): the lock order, and the index of "this SKU's stock everywhere"
            models.UniqueConstraint(fields=["sku", "warehouse"], name="inventory_stocklevel_unique_sku_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_stocklevel_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_stocklevel_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="inventory_stocklevel_reserved_within_on_hand"
            ),
            models.CheckConstraint(
                condition=Q(quarantined__gte=0), name="inventory_stocklevel_quarantined_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="inventory_stocklevel_safety_stock_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}/{self.quarantined}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.safety_stock


class StockEntry(models.Model):
    """One movement of stock (append-only): what changed on hand, reserved and quarantined, of which SKU in
    which warehouse, why (kind, reference, note) and who did it. Never updated or deleted; a
    correction is another entry."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ADJUSTMENT = "adjustment", _("Adjustment")
        RESERVE = "reserve", _("Reservation")
        RELEASE = "release", _("Release")
        SHIPMENT = "shipment", _("Shipment")
        RETURN = "return", _("Return")
        ERP_SYNC = "erp_sync", _("ERP update")
        QUARANTINE = "quarantine", _("Received into quarantine")
        UNQUARANTINE = "unquarantine", _("Released from quarantine")
        SCRAP = "scrap", _("Scrapped from quarantine")

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="entries", verbose_name=_("warehouse")
    )
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    on_hand_delta = models.IntegerField(_("on hand change"), default=0)
    reserved_delta = models.IntegerField(_("reserved change"), default=0)
    quarantined_delta = models.IntegerField(_("quarantined change"), default=0)
    # the level's counters after this entry (written under the level's row lock)
    on_hand_after = models.IntegerField(_("on hand after"), default=0)
    reserved_after = models.IntegerField(_("reserved after"), default=0)
    quarantined_after = models.IntegerField(_("quarantined after"), default=0)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("stock entry")
        verbose_name_plural = _("stock entries")
        indexes = [
            models.Index(fields=["sku", "warehouse"], name="inventory_entry_sku_wh_idx"),
            models.Index(fields=["reference"], name="inventory_entry_reference_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.sku_id}@{self.warehouse_id} {self.on_hand_delta:+}/{self.reserved_delta:+}"
