"""Finance (财务): what partners owe and pay, and the account of every money movement.

- Invoice (应收, a receivable): raised from a shipment or a delivered order (the brand's setting),
  or imported from the ERP; due on issue date + the partner's payment terms. `settled` is what
  payments and credit notes have allocated to it; outstanding = amount - settled.
- Payment (回款): money received from a partner - recorded by finance, imported from a bank or
  ERP file, or announced by the partner with a proof and confirmed by finance. `allocated` is what
  it has paid of invoices; a bounced payment is reversed and un-allocates.
- Allocation: an amount of a payment or a credit note paying an invoice. Append-only: undoing one
  is a new row with the negative amount that names the row it reverses.
- LedgerEntry: the partner's account (往来账), append-only, in three books - receivable (what the
  partner owes: invoices +, payments, credit notes and settlements from its funds -), prepayment
  (money it paid ahead: in +, out -) and rebate (its rebate fund: posted +, used or expired -).
  A correction is a reversing entry. LedgerBalance keeps each book's balance as a counter moved in
  the same transaction as each entry; `qudao.finance.ledger.reconcile` proves it equals the sum.
- Statement (对账单): a partner's month - opening balance, every entry, closing balance, open
  invoices - which the partner confirms or disputes line by line; finance resolves each dispute.

The lock order (CONTRIBUTING.md): partner -> order -> funds -> promotion -> stock -> finance
(ledger balances, then invoices in pk order, then payments in pk order): finance reacts to the
shipments and returns that move stock, in their transactions, so its locks come last.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qudao.core.audit import AuditedModel

ZERO = Decimal("0")
MONEY = {"max_digits": 20, "decimal_places": 4}


class Book(models.TextChoices):
    RECEIVABLE = "receivable", _("Receivable")
    PREPAYMENT = "prepayment", _("Prepayment")
    REBATE = "rebate", _("Rebate fund")


class Invoice(AuditedModel):
    """A receivable: what the partner owes for goods, due on `due_on`."""

    class Source(models.TextChoices):
        SHIPMENT = "shipment", pgettext_lazy("invoice source", "Shipment")
        ORDER = "order", pgettext_lazy("invoice source", "Delivered order")
        ERP = "erp", pgettext_lazy("invoice source", "ERP")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("invoice status", "Open")
        PARTIALLY_PAID = "partially_paid", pgettext_lazy("invoice status", "Partially paid")
        PAID = "paid", pgettext_lazy("invoice status", "Paid")
        VOID = "void", pgettext_lazy("invoice status", "Void")

    number = models.CharField(_("number"), max_length=20, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("partner")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("order"),
    )
    shipment = models.OneToOneField(
        "orders.Shipment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice",
        verbose_name=_("shipment"),
    )
    external_ref = models.CharField(_("ERP reference"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    settled = models.DecimalField(_("settled"), default=ZERO, **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_exclude = ("settled", "updated_at")

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(settled__gte=0) & Q(settled__lte=F("amount")), name="finance_invoice_settled_in_range"
            ),
            models.UniqueConstraint(
                fields=["partner", "external_ref"],
                condition=~Q(external_ref=""),
                name="finance_invoice_unique_external_ref",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "due_on"], name="finance_invoice_partner_open"),
            models.Index(fields=["status", "due_on"], name="finance_invoice_status_due"),
        ]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.settled


class InvoiceLine(models.Model):
    """What an invoice bills: units of an order line at its net unit price (after allocated
    discounts), so rebates can count invoiced net sales per SKU."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    sku = models.ForeignKey("catalog.Sku", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    unit_price = models.DecimalField(_("net unit price"), default=ZERO, **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["invoice", "pk"]
        indexes = [models.Index(fields=["sku", "invoice"], name="finance_invoiceline_sku")]

    def __str__(self):
        return f"{self.invoice_id} {self.sku_id} x{self.quantity}"


class Payment(AuditedModel):
    """Money received from a partner (回款)."""

    class Source(models.TextChoices):
        FINANCE = "finance", pgettext_lazy("payment source", "Recorded by finance")
        IMPORT = "import", pgettext_lazy("payment source", "Bank or ERP file")
        PARTNER = "partner", pgettext_lazy("payment source", "Announced by the partner")

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        ACCEPTANCE_BILL = "acceptance_bill", _("Bank acceptance bill")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ANNOUNCED = "announced", pgettext_lazy("payment status", "Announced")
        CONFIRMED = "confirmed", pgettext_lazy("payment status", "Confirmed")
        REJECTED = "rejected", pgettext_lazy("payment status", "Rejected")
        REVERSED = "reversed", pgettext_lazy("payment status", "Reversed")

    number = models.CharField(_("number"), max_length=20, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="payments", verbose_name=_("partner")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), **MONEY)
    allocated = models.DecimalField(_("allocated"), default=ZERO, **MONEY)
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, default=Method.BANK_TRANSFER)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    proof = models.FileField(_("proof"), upload_to="finance/payments/%Y/%m/", blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.FINANCE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    # The client's Idempotency-Key (POST /api/v1/finance/payments): a retry returns this payment;
    # the same key with a different request is refused (the fingerprint: qudao.core.idempotency).
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_exclude = ("allocated", "updated_at")

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0) & Q(allocated__lte=F("amount")), name="finance_payment_allocated_in_range"
            ),
            # A bank reference names one payment of a partner: an imported file cannot book it twice.
            models.UniqueConstraint(
                fields=["partner", "bank_reference"],
                condition=~Q(bank_reference="") & ~Q(status__in=["rejected"]),
                name="finance_payment_unique_bank_reference",
            ),
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="finance_payment_idempotency_once",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "received_on"], name="finance_payment_partner"),
            models.Index(fields=["status", "received_on"], name="finance_payment_status"),
        ]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id

    @property
    def unallocated(self) -> Decimal:
        return self.amount - self.allocated


class Allocation(models.Model):
    """`amount` of a payment (or a credit note, or a settlement from the partner's prepayment or
    rebate fund) paying `invoice`. Append-only: an undo is a negative row naming `reverses`.
    `allocated_on` is its business date (statements' open invoices, overdue checks): the day it was
    made unless finance or the ERP gave the day it was settled (never in the future, never before
    the invoice was issued or the money arrived); `created_at` is when it was recorded."""

    class Source(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        CREDIT_NOTE = "credit_note", _("Credit note")
        PREPAYMENT = "prepayment", _("Prepayment")
        REBATE = "rebate", _("Rebate fund")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    credit_note = models.ForeignKey(
        "orders.CreditNote", null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    allocated_on = models.DateField(_("allocated on"), default=timezone.localdate)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["invoice", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="finance_allocation_not_zero"),
            models.CheckConstraint(
                condition=(Q(source="payment") & Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(source="credit_note") & Q(credit_note__isnull=False) & Q(payment__isnull=True))
                | (Q(source__in=["prepayment", "rebate"]) & Q(payment__isnull=True) & Q(credit_note__isnull=True)),
                name="finance_allocation_one_source",
            ),
        ]
        indexes = [
            models.Index(fields=["payment"], name="finance_allocation_payment"),
            models.Index(fields=["credit_note"], name="finance_allocation_credit"),
        ]

    def __str__(self):
        return f"{self.source} -> {self.invoice_id}: {self.amount}"


class LedgerEntry(models.Model):
    """One money movement of a partner in one book, append-only. `amount` is signed in the book's
    own direction (receivable: + the partner owes more; prepayment and rebate: + the partner has
    more); `balance_after` is the book's balance after it. A correction is a new entry that names
    the entry it `reverses`, with the opposite amount."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        PAYMENT = "payment", _("Payment")
        CREDIT_NOTE = "credit_note", _("Credit note")
        PREPAYMENT_IN = "prepayment_in", _("Prepayment in")
        PREPAYMENT_OUT = "prepayment_out", _("Prepayment used")
        REBATE_POSTED = "rebate_posted", _("Rebate posted")
        REBATE_USED = "rebate_used", _("Rebate used")
        REBATE_EXPIRED = "rebate_expired", _("Rebate expired")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REVERSAL = "reversal", _("Reversal")

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("partner")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    book = models.CharField(_("book"), max_length=12, choices=Book.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    occurred_on = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["partner", "book", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="finance_ledger_amount_not_zero")]
        indexes = [
            models.Index(fields=["partner", "currency", "occurred_on", "id"], name="finance_ledger_partner_date"),
            models.Index(fields=["reference"], name="finance_ledger_reference"),
        ]

    def __str__(self):
        return f"{self.partner_id} {self.book} {self.kind} {self.amount}"


class LedgerBalance(models.Model):
    """The balance of one book of a partner's account: the sum of its entries, kept as a counter
    (locked and moved with each entry) so that reading it is one row."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="ledger_balances")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    book = models.CharField(_("book"), max_length=12, choices=Book.choices)
    balance = models.DecimalField(_("balance"), default=ZERO, **MONEY)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["partner", "book"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "currency", "book"], name="finance_balance_one_per_book")
        ]

    def __str__(self):
        return f"{self.partner_id} {self.book} {self.balance}"


class Statement(AuditedModel):
    """A partner's statement (对账单) for one month of one currency: the entries of every book in
    the month, opening and closing balances, and the invoices open at its end (as lines)."""

    class Status(models.TextChoices):
        ISSUED = "issued", pgettext_lazy("statement status", "Issued")
        CONFIRMED = "confirmed", pgettext_lazy("statement status", "Confirmed")
        DISPUTED = "disputed", pgettext_lazy("statement status", "Disputed")
        RESOLVED = "resolved", pgettext_lazy("statement status", "Resolved")

    number = models.CharField(_("number"), max_length=20, unique=True)
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="statements", verbose_name=_("partner")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    # {book: {"opening": "...", "closing": "..."}} as strings of Decimals
    balances = models.JSONField(_("balances"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "partner"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "currency", "period_start"], name="finance_statement_one_per_period"
            )
        ]

    def __str__(self):
        return self.number

    def audit_partner_id(self):
        return self.partner_id


class StatementLine(models.Model):
    """A line of a statement: a ledger entry of the month (copied as it was), or an invoice open
    at the month's end (kind "open_invoice", with what was outstanding then)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    entry = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16)
    book = models.CharField(_("book"), max_length=12, blank=True)
    occurred_on = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["statement", "position"]
        constraints = [models.UniqueConstraint(fields=["statement", "position"], name="finance_statementline_position")]

    def __str__(self):
        return f"{self.statement_id} #{self.position} {self.kind} {self.amount}"


class StatementDispute(models.Model):
    """The partner disputes lines of a statement with a comment and an attachment; finance
    resolves it with an adjustment (a ledger entry) or an explanation."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("dispute status", "Open")
        ADJUSTED = "adjusted", pgettext_lazy("dispute status", "Adjusted")
        EXPLAINED = "explained", pgettext_lazy("dispute status", "Explained")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="disputes")
    lines = models.ManyToManyField(StatementLine, related_name="disputes", blank=True)
    comment = models.TextField(_("comment"), max_length=2000)
    attachment = models.FileField(_("attachment"), upload_to="finance/disputes/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    resolution = models.TextField(_("resolution"), max_length=2000, blank=True)
    adjustment = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["statement", "raised_at", "pk"]

    def __str__(self):
        return f"{self.statement_id} {self.status}"
