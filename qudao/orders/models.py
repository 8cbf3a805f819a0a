"""Orders (订单): what a partner buys, its lines as priced by the pricing engine, and the history
of its status. The lifecycle (which status may follow which, and who may move it) is
qudao.orders.lifecycle; the rules of placing, changing and cancelling are qudao.orders.services."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core import display
from qudao.core.audit import AuditedModel

ZERO = Decimal("0")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("order status", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("order status", "Submitted")
    PENDING_APPROVAL = "pending_approval", pgettext_lazy("order status", "Pending approval")
    CONFIRMED = "confirmed", pgettext_lazy("order status", "Confirmed")
    ALLOCATED = "allocated", pgettext_lazy("order status", "Allocated")
    PARTIALLY_SHIPPED = "partially_shipped", pgettext_lazy("order status", "Partially shipped")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    COMPLETED = "completed", pgettext_lazy("order status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
    REJECTED = "rejected", pgettext_lazy("order status", "Rejected")


class OrderChannel(models.TextChoices):
    """How an order came in: placed by the partner's own users (in the portal or through the API),
    or on its behalf (代客下单) by an HQ user on the HQ pages or through the API (an ERP pushing the
    orders the brand's sales reps took)."""

    PORTAL = "portal", pgettext_lazy("order channel", "Partner portal")
    API = "api", pgettext_lazy("order channel", "Partner API")
    HQ = "hq", pgettext_lazy("order channel", "HQ on the partner's behalf")
    ERP = "erp", pgettext_lazy("order channel", "ERP on the partner's behalf")


ON_BEHALF_CHANNELS = (OrderChannel.HQ, OrderChannel.ERP)


# Orders that hold credit: submitted and not yet completed, cancelled or rejected. (Once finance
# invoices an order, its amount moves from here to receivables.)
OPEN_STATUSES = (
    OrderStatus.SUBMITTED,
    OrderStatus.PENDING_APPROVAL,
    OrderStatus.CONFIRMED,
    OrderStatus.ALLOCATED,
    OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)


# Why an order waits for approval, as people read it (the keys are kept on the order and the API).
APPROVAL_REASON_LABELS = {
    "over_credit_limit": _("Over the available credit"),
    "large_order": _("A large order"),
    "deep_discount": _("A deep discount"),
    "first_orders": _("One of the partner's first orders"),
}


def approval_reason_text(reasons) -> str:
    """["large_order", "first_orders"] -> "A large order, One of the partner's first orders" (in the
    reader's language)."""
    if not isinstance(reasons, list | tuple):
        reasons = [reasons]
    return display.join(str(APPROVAL_REASON_LABELS.get(reason, reason)) for reason in reasons)


class Order(AuditedModel):
    """A partner's order. `partner` is the buyer; `ordered_by_partner` is the distributor that
    placed it on behalf of one of its sub-dealers (else empty); `created_by` is the user who placed
    it and `channel` how (the partner's own users, or HQ on the partner's behalf: 代客下单). Amounts
    are what the pricing engine answered when the order was (re)priced: `list_total` before
    promotions, `total` after."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="orders", verbose_name=_("partner")
    )
    ordered_by_partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders_placed_for_others",
        verbose_name=_("ordered by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("placed by"),
    )
    # Empty for the orders placed before the channel was recorded.
    channel = models.CharField(
        _("channel"), max_length=12, choices=OrderChannel.choices, default=OrderChannel.PORTAL, blank=True
    )
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    list_total = models.DecimalField(_("list total"), max_digits=20, decimal_places=4, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=20, decimal_places=4, default=ZERO)
    priced_on = models.DateField(_("priced on"), default=timezone.localdate)
    # How the partner pays: on credit (授信, checked against its limit), or from its prepayment
    # account (预付款: held at submission, taken as the goods ship, released on cancel).
    payment_method = models.CharField(
        _("payment"),
        max_length=12,
        choices=[("credit", _("On credit")), ("prepayment", _("From prepayment"))],
        default="credit",
    )
    # The part of `total` paid from the partner's rebate fund (返利池: held at submission, taken share
    # by share as the goods ship, released on cancel); the rest is paid by `payment_method`.
    rebate_amount = models.DecimalField(_("paid from the rebate fund"), max_digits=20, decimal_places=4, default=ZERO)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # A retried submission with the same key returns this order instead of creating another; the
    # same key with a different request is refused (the fingerprint: qudao.core.idempotency).
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    approval = models.ForeignKey(
        "core.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_reasons = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="orders_order_idempotency_once",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(rebate_amount__gte=0, rebate_amount__lte=models.F("total")),
                name="orders_order_rebate_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status"], name="orders_order_partner_status"),
            models.Index(fields=["status", "submitted_at"], name="orders_order_status_submitted"),
            models.Index(fields=["updated_at", "id"], name="orders_order_changes"),  # the ERP's feed
        ]

    @property
    def approval_reasons_text(self) -> str:
        return approval_reason_text(self.approval_reasons or [])

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remainder(self) -> Decimal:
        """What the order's payment method pays: the total less the rebate fund's part."""
        return self.total - self.rebate_amount

    @property
    def on_behalf(self) -> bool:
        """Placed for the partner by HQ (代客下单), on the HQ pages or through the API."""
        return self.channel in ON_BEHALF_CHANNELS


class OrderLine(models.Model):
    """One line of an order as the engine priced it: quantities in the SKU's base unit (and as
    ordered), the list price and its source, the promotions applied (the waterfall, as JSON), the
    net unit price and the line total after allocated order discounts. Gift lines (buy-X-get-Y)
    have `gift_promotion` set and a zero total. Returns and rebates read the true net from here."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_quantity = models.PositiveIntegerField(_("quantity ordered"))
    quantity = models.PositiveIntegerField(_("quantity"))  # base units
    list_price = models.DecimalField(_("list price"), max_digits=20, decimal_places=4)
    price_source = models.JSONField(default=dict, blank=True)
    promotions = models.JSONField(default=list, blank=True)
    net_unit_price = models.DecimalField(_("net unit price"), max_digits=20, decimal_places=4)
    line_total = models.DecimalField(_("line total"), max_digits=20, decimal_places=4)
    gift_promotion = models.CharField(_("gift of"), max_length=40, blank=True)
    shipped_quantity = models.PositiveIntegerField(_("shipped"), default=0)

    class Meta:
        ordering = ["order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orders_line_unique_number"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=models.F("quantity")), name="orders_line_not_overshipped"
            ),
        ]

    def __str__(self):
        return f"{self.order_id}#{self.line_no} {self.sku_id} × {self.quantity}"

    @property
    def is_gift(self) -> bool:
        return bool(self.gift_promotion)


class OrderStatusChange(models.Model):
    """Every status an order went through, when and by whom (append-only): the order timeline, and
    the processing-cycle KPIs later."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "at", "pk"]
        indexes = [models.Index(fields=["to_status", "at"], name="orders_change_status_at")]

    def __str__(self):
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"


class OrderTemplate(AuditedModel):
    """A saved cart (订货模板) of a partner: a name and its lines, `[[sku_id, quantity, unit], ...]`
    (quantity as ordered, in `unit`; "" for the base unit), loaded into a quick order and priced
    again when used."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="order_templates", verbose_name=_("partner")
    )
    name = models.CharField(_("name"), max_length=100)
    lines = models.JSONField(_("lines"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("order template")
        verbose_name_plural = _("order templates")
        constraints = [
            models.UniqueConstraint(fields=["partner", "name"], name="orders_template_unique_name"),
        ]

    def __str__(self):
        return self.name

    def audit_partner_id(self):
        return self.partner_id


# --- shipments, tracking, delivery and discrepancies (qudao.orders.shipping) ---------------------


class ShipmentStatus(models.TextChoices):
    PICKED = "picked", pgettext_lazy("shipment status", "Picked")
    SHIPPED = "shipped", pgettext_lazy("shipment status", "Shipped")
    IN_TRANSIT = "in_transit", pgettext_lazy("shipment status", "In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", pgettext_lazy("shipment status", "Out for delivery")
    DELIVERED = "delivered", pgettext_lazy("shipment status", "Delivered")
    EXCEPTION = "exception", pgettext_lazy("shipment status", "Exception")


class Shipment(AuditedModel):
    """A parcel or truckload of an order leaving one warehouse (发货单): its lines, the carrier and
    tracking number, and a status kept to the latest tracking event by time. `external_id` is the
    ERP's own number for it, so a re-sent import finds it again instead of shipping twice."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("order"))
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    carrier = models.CharField(_("carrier"), max_length=80, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.SHIPPED
    )
    external_id = models.CharField(_("ERP reference"), max_length=100, null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["order", "shipped_at", "pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=Q(external_id__isnull=False), name="orders_shipment_external_once"
            ),
        ]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return Order.objects.filter(pk=self.order_id).values_list("partner_id", flat=True).first()

    @property
    def carrier_name(self) -> str:
        """The carrier's name from the registry (orders.carriers), else the text as recorded."""
        from .carriers import carrier_name

        return carrier_name(self.carrier)

    @property
    def tracking_url(self) -> str | None:
        """The carrier's tracking page for this shipment's tracking number, when the carrier is known."""
        from .carriers import tracking_link

        return tracking_link(self.carrier, self.tracking_number)


class ShipmentLine(models.Model):
    """How many base units of one order line a shipment carries."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["shipment", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="orders_shipmentline_unique_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_shipmentline_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.shipment_id}: {self.order_line_id} × {self.quantity}"


class TrackingSource(models.TextChoices):
    OPERATIONS = "operations", pgettext_lazy("tracking source", "Operations")
    ERP = "erp", pgettext_lazy("tracking source", "ERP")
    CARRIER = "carrier", pgettext_lazy("tracking source", "Carrier")


class TrackingEvent(models.Model):
    """One step of a shipment's journey (append-only): its status, when and where, and who told us
    (operations, the ERP, the carrier). `external_id` is the sender's id of the event: a carrier
    pushing the same event twice is recorded once."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    at = models.DateTimeField(_("at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=TrackingSource.choices)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["shipment", "at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "external_id"], condition=~Q(external_id=""), name="orders_tracking_external_once"
            ),
        ]
        indexes = [models.Index(fields=["shipment", "at"], name="orders_tracking_shipment_at")]

    def __str__(self):
        return f"{self.shipment_id} {self.status} @ {self.at:%Y-%m-%d %H:%M}"


class DeliveryConfirmation(AuditedModel):
    """The receipt of an order (签收): confirmed by the partner (or operations for it), or by the
    system after QUDAO_ORDER_AUTO_CONFIRM_DAYS days. One per order."""

    class Kind(models.TextChoices):
        PARTNER = "partner", pgettext_lazy("confirmed by", "Partner")
        OPERATIONS = "operations", pgettext_lazy("confirmed by", "Operations")
        SYSTEM = "system", pgettext_lazy("confirmed by", "Automatically")

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="delivery_confirmation", verbose_name=_("order")
    )
    kind = models.CharField(_("confirmed by"), max_length=12, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("confirmed"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery confirmation")
        verbose_name_plural = _("delivery confirmations")

    def __str__(self):
        return f"{self.order_id} {self.kind}"

    def audit_partner_id(self):
        return Order.objects.filter(pk=self.order_id).values_list("partner_id", flat=True).first()


class DiscrepancyKind(models.TextChoices):
    SHORT = "short", pgettext_lazy("discrepancy", "Short")
    DAMAGED = "damaged", pgettext_lazy("discrepancy", "Damaged")
    WRONG_ITEM = "wrong_item", pgettext_lazy("discrepancy", "Wrong item")
    OTHER = "other", pgettext_lazy("discrepancy", "Other")


class DiscrepancyCase(AuditedModel):
    """What the partner found wrong on receipt (short, damaged, wrong item, other), with the lines
    and quantities concerned, a description and photos: a case operations works on until it is
    resolved, with the resolution."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("case status", "Open")
        RESOLVED = "resolved", pgettext_lazy("case status", "Resolved")

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="cases", verbose_name=_("order"))
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("shipment")
    )
    confirmation = models.ForeignKey(
        DeliveryConfirmation, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=DiscrepancyKind.choices)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("resolution"), max_length=2000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("discrepancy case")
        verbose_name_plural = _("discrepancy cases")
        indexes = [models.Index(fields=["status", "created_at"], name="orders_case_status_created")]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return Order.objects.filter(pk=self.order_id).values_list("partner_id", flat=True).first()


class DiscrepancyLine(models.Model):
    """An order line a case is about, and how many base units."""

    case = models.ForeignKey(DiscrepancyCase, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="discrepancy_lines")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["case", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["case", "order_line"], name="orders_caseline_unique_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_caseline_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.case_id}: {self.order_line_id} × {self.quantity}"


def discrepancy_photo_path(instance, filename):
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"discrepancies/{timezone.now():%Y/%m}/{instance.case.number}-{uuid.uuid4().hex[:8]}.{extension}"


class DiscrepancyPhoto(models.Model):
    """A photo attached to a case (JPEG, PNG or WebP; checked by type and size when uploaded)."""

    case = models.ForeignKey(DiscrepancyCase, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=discrepancy_photo_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["case", "pk"]

    def __str__(self):
        return self.name or self.file.name


# --- returns (RMA) -------------------------------------------------------------------------------


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("return status", "Requested")
    APPROVED = "approved", pgettext_lazy("return status", "Approved")
    REJECTED = "rejected", pgettext_lazy("return status", "Rejected")
    RECEIVED = "received", pgettext_lazy("return status", "Received")
    CREDITED = "credited", pgettext_lazy("return status", "Credited")
    CANCELLED = "cancelled", pgettext_lazy("return status", "Cancelled")


# Returns whose lines count against what may still be returned of an order line.
RETURN_COUNTING = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED, ReturnStatus.CREDITED)


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", pgettext_lazy("return reason", "Damaged")
    WRONG_ITEM = "wrong_item", pgettext_lazy("return reason", "Wrong item")
    UNWANTED = "unwanted", pgettext_lazy("return reason", "Unwanted")
    QUALITY = "quality", pgettext_lazy("return reason", "Quality problem")
    OTHER = "other", pgettext_lazy("return reason", "Other")


class ReturnCondition(models.TextChoices):
    SELLABLE = "sellable", pgettext_lazy("return condition", "Sellable")
    QUARANTINE = "quarantine", pgettext_lazy("return condition", "Quarantine")


class ReturnRequest(AuditedModel):
    """A partner's request to send back units of a shipped order (RMA): requested -> approved or
    rejected by operations -> received into stock -> credited (a credit note). qudao.orders.returns
    holds the rules."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns", verbose_name=_("order"))
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="returns", verbose_name=_("partner")
    )
    status = models.CharField(_("status"), max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED)
    reason = models.CharField(_("reason"), max_length=12, choices=ReturnReason.choices)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received into"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        indexes = [models.Index(fields=["status", "created_at"], name="orders_return_status_created")]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id


class ReturnLine(models.Model):
    """Units of one order line asked back; on receipt, how many came back and in what condition."""

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    received_quantity = models.PositiveIntegerField(_("received"), default=0)
    condition = models.CharField(_("condition"), max_length=12, choices=ReturnCondition.choices, blank=True)

    class Meta:
        ordering = ["return_request", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["return_request", "order_line"], name="orders_returnline_unique_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_returnline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")), name="orders_returnline_received_lte"
            ),
        ]

    def __str__(self):
        return f"{self.return_request_id}: {self.order_line_id} × {self.quantity}"


def return_photo_path(instance, filename):
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"returns/{timezone.now():%Y/%m}/{instance.return_request.number}-{uuid.uuid4().hex[:8]}.{extension}"


class ReturnPhoto(models.Model):
    """A photo attached to a return request (JPEG, PNG or WebP; checked by type and size)."""

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=return_photo_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["return_request", "pk"]

    def __str__(self):
        return self.name or self.file.name


class CreditNote(AuditedModel):
    """What the partner is owed for a received return: Σ received units × the order line's net
    unit price (after allocated discounts), each line rounded to the cent (the lines). For an order
    paid partly from the rebate fund, its share of that (`rebate_amount`) goes back to the rebate
    fund and `amount` is the rest: what finance posts. `issued_on` is its business date - the day
    it counts from in the ledger, statements and rebate bases: the day it was made, unless the ERP
    that received the goods gave another (never in the future, never before the goods shipped)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    return_request = models.OneToOneField(
        ReturnRequest, on_delete=models.PROTECT, related_name="credit_note", verbose_name=_("return")
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("partner")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4, default=ZERO)
    rebate_amount = models.DecimalField(_("back to the rebate fund"), max_digits=20, decimal_places=4, default=ZERO)
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        indexes = [models.Index(fields=["partner", "issued_on"], name="orders_creditnote_partner_day")]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id

    @property
    def value(self) -> Decimal:
        """The net value of what came back: the credit note and the rebate fund's share together."""
        return self.amount + self.rebate_amount


class CreditNoteLine(models.Model):
    """One order line credited: units × net unit price = amount (rounded to the cent)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    return_line = models.OneToOneField(ReturnLine, on_delete=models.PROTECT, related_name="credit_line")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="credit_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("net unit price"), max_digits=20, decimal_places=4)
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)

    class Meta:
        ordering = ["credit_note", "order_line__line_no"]

    def __str__(self):
        return f"{self.credit_note_id}: {self.order_line_id} × {self.quantity}"
