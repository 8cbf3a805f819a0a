"""Demo payments (回款) for a database that has invoices and no payments yet (the whole demo pays
its invoices as they fall due in qudao.demo_history instead).

About two partners in three with open invoices have paid: most of them their oldest invoices in
full, some only part of the oldest one (left partially paid), a few a round sum that leaves money
unallocated. One partner has announced a payment with a bank slip that waits for finance, and one
payment bounced and was reversed (its invoices owe again). Everything goes through
qudao.finance.payments, so the ledger and the invoices agree. Without invoices it does nothing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qudao.core.audit import acting_as

from . import payments
from .models import Invoice, Payment

# a one-page PDF standing for the photographed bank slip
SLIP = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PAYERS_SUFFIX = ("", "（财务部）", "（对公账户）")


def _finance_user():
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(username="finance").first() or users.approvers_for("finance").order_by("pk").first()


def _received_on(rng: random.Random, invoice: Invoice):
    today = timezone.localdate()
    start = max(invoice.issued_on, today - timedelta(days=60))
    span = max((today - start).days, 0)
    return start + timedelta(days=rng.randint(0, span)) if span else today


def seed_payments(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    if Payment.objects.exists():
        return {}
    open_invoices = Invoice.objects.filter(status__in=payments.OPEN_STATUSES).select_related("partner")
    by_partner: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in open_invoices.order_by("partner_id", "due_on", "issued_on", "pk"):
        by_partner[invoice.partner_id].append(invoice)
    if not by_partner:
        return {}
    actor = _finance_user()
    counts = {"payments": 0, "partial": 0, "unallocated": 0, "announced": 0, "reversed": 0}
    partner_ids = sorted(by_partner)
    rng.shuffle(partner_ids)
    paying = partner_ids[: max(1, round(len(partner_ids) * 2 / 3))]
    with acting_as(actor):
        for position, partner_id in enumerate(sorted(paying)):
            invoices = by_partner[partner_id]
            partner = invoices[0].partner
            oldest = invoices[0]
            roll = rng.random()
            if roll < 0.55:  # the oldest one or two invoices in full
                chosen = invoices[: rng.choice((1, 2))]
                amount = sum((invoice.outstanding for invoice in chosen), Decimal("0"))
            elif roll < 0.85:  # part of the oldest invoice
                share = Decimal(rng.choice(("0.3", "0.5", "0.6", "0.75")))
                amount = (oldest.outstanding * share / 100).quantize(
                    Decimal("1"), rounding=ROUND_DOWN
                ) * 100 or Decimal("100")
                amount = min(amount, oldest.outstanding - Decimal("0.01"))
                counts["partial"] += 1
            else:  # a round sum beyond what is open: the rest waits on the payment
                total = sum((invoice.outstanding for invoice in invoices), Decimal("0"))
                amount = (total / 1000).quantize(Decimal("1"), rounding=ROUND_DOWN) * 1000 + 1000
                counts["unallocated"] += 1
            amount = amount.quantize(Decimal("0.01"))
            if amount <= 0:
                continue
            received_on = _received_on(rng, oldest)
            payment, _created = payments.record_payment(
                partner=partner,
                data={
                    "amount": amount,
                    "received_on": received_on,
                    "method": "acceptance_bill" if rng.random() < 0.15 else "bank_transfer",
                    "bank_reference": f"DEMO{partner.code}{position:04d}",
                    "payer_name": f"{partner.legal_name}{rng.choice(PAYERS_SUFFIX)}",
                    # The demo books in one go what finance would have booked on the day the money
                    # came in: its allocations are dated that day (statements count an invoice open
                    # at a month's end by the allocations dated by then).
                    "allocated_on": received_on,
                },
                actor=actor,
            )
            counts["payments"] += 1
        others = [pid for pid in partner_ids if pid not in paying]
        if others:
            # one announced by the partner, waiting for finance
            invoices = by_partner[others[0]]
            partner = invoices[0].partner
            member = partner.members.filter(is_active=True).select_related("user").order_by("-role", "pk").first()
            payments.announce_payment(
                partner=partner,
                data={
                    "amount": invoices[0].outstanding.quantize(Decimal("0.01")),
                    "received_on": timezone.localdate() - timedelta(days=1),
                    "bank_reference": f"DEMO{partner.code}ANN",
                    "payer_name": partner.legal_name,
                    "note": "请财务核对到账",
                },
                proof=SimpleUploadedFile("银行回单.pdf", SLIP, content_type="application/pdf"),
                actor=member.user if member else None,
            )
            counts["announced"] += 1
        # one that bounced: booked, allocated, then reversed
        bounce_id = others[1] if len(others) > 1 else sorted(paying)[0]
        partner = by_partner[bounce_id][0].partner
        still_open = payments.open_invoices(partner).first()
        bounced, _created = payments.record_payment(
            partner=partner,
            data={
                "amount": still_open.outstanding.quantize(Decimal("0.01")) if still_open else Decimal("1000.00"),
                "received_on": timezone.localdate() - timedelta(days=3),
                "method": "acceptance_bill",
                "bank_reference": f"DEMO{partner.code}BOUNCE",
                "payer_name": partner.legal_name,
            },
            actor=actor,
        )
        payments.reverse_payment(payment=bounced, actor=actor, reason="承兑汇票退票")
        counts["reversed"] += 1
    log(
        f"Payments: {counts['payments']} booked ({counts['partial']} partial, {counts['unallocated']} with money"
        f" left unallocated), {counts['announced']} announced, {counts['reversed']} reversed."
    )
    return counts
