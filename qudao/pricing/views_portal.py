"""The partner's catalogue in the portal (phone-first): the SKUs its sales scope lets it buy, with its
own net prices and the promotions open to it, and "price my order", the waterfall of its own lines.

Partners see only their own list price, the promotions applied, the net price and the total: never
a floor price, a cost price, another tier's list or the base price a rule was computed from.
The views parse, call the selectors or the engine, and render."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from qudao.core.errors import FieldErrors
from qudao.core.money import quantize
from qudao.core.pages import paginate
from qudao.partners.views_portal import partner_portal

from . import engine, selectors
from .availability import availability

PAGE_SIZE = 20
MAX_LINES = 200
QTY_FIELD = re.compile(r"^qty_(\d{1,9})$")
LINE_ERROR = re.compile(r"^lines\.(\d+)\.")


def _context(request, **extra) -> dict:
    partner = request.partner
    return {
        "partner": partner,
        "is_partner_admin": request.partner_admin,
        "is_distributor": partner.is_distributor,
        "section": "catalog",
        "symbol": selectors.currency_symbol(engine.partner_currency(partner)),
        **extra,
    }


@dataclass
class Entry:
    """What the partner typed for one SKU: the quantity (text) and the unit."""

    sku_id: int
    quantity: str
    unit: str = ""


def _entries(data) -> list[Entry]:
    """Every qty_<sku id> field of the request, in order (empty ones too), with its unit_<sku id>."""
    entries = []
    for key in data:
        match = QTY_FIELD.match(key)
        if match:
            sku_id = int(match.group(1))
            entries.append(Entry(sku_id, data.get(key, "").strip()[:12], data.get(f"unit_{sku_id}", "").strip()[:10]))
    return entries[: MAX_LINES * 5]


def _units(sku) -> list[tuple[str, int]]:
    return [(unit.unit, unit.factor) for unit in sku.product.units.all()]


@dataclass
class Card:
    sku: object
    quote: engine.LineQuote | None
    promotions: list
    units: list
    spec: list
    image: object = None
    availability: dict | None = None  # what the partner may see of the stock (pricing.availability)
    quantity: str = ""
    unit: str = ""
    errors: list = field(default_factory=list)

    @property
    def lowered(self) -> bool:
        """A promotion took the net price below the partner's own list price."""
        return bool(
            self.quote is not None
            and self.quote.promotions
            and quantize(self.quote.net_unit_price) < quantize(self.quote.list_price)
        )


def _card(sku, quote, promotions, entry: Entry | None) -> Card:
    images = list(sku.product.images.all())
    attributes = sku.attributes if isinstance(sku.attributes, dict) else {}
    return Card(
        sku=sku,
        quote=quote,
        promotions=promotions,
        units=_units(sku),
        spec=[(str(key), str(value)) for key, value in attributes.items()],
        image=images[0] if images else None,
        quantity=entry.quantity if entry else "",
        unit=entry.unit if entry else "",
    )


def _line_id(request, lines) -> int | None:
    try:
        wanted = int(request.GET.get("line") or 0)
    except ValueError:
        return None
    return wanted if wanted in {line.pk for line in lines} else None


def _catalog_url(query: str, line_id: int | None, page: int | None = None) -> str:
    params = {key: value for key, value in (("q", query), ("line", line_id), ("page", page)) if value}
    url = reverse("pricing_portal:catalog")
    return f"{url}?{urlencode(params)}" if params else url


@require_GET
@partner_portal
def catalog_view(request):
    """/portal/catalog/: search, product-line filter, 20 SKUs a page with the partner's own net
    price and promotion badges, and the quantities of "price my order" (kept across searches)."""
    partner = request.partner
    today = timezone.localdate()
    query = (request.GET.get("q") or "").strip()[:100]
    lines = selectors.catalogue_lines(partner)
    line_id = _line_id(request, lines)
    page = paginate(request, selectors.catalogue_skus(partner, q=query, product_line_id=line_id), PAGE_SIZE)
    skus = list(page.object_list)
    prices = selectors.net_prices(partner, skus, today)
    badges = selectors.promotions_by_sku(selectors.open_promotions(partner, today, skus), skus)
    entered = {entry.sku_id: entry for entry in _entries(request.GET) if entry.quantity}
    cards = [_card(sku, prices.get(sku.pk), badges.get(sku.pk, []), entered.get(sku.pk)) for sku in skus]
    stock = availability([sku.pk for sku in skus])
    for card in cards:
        card.availability = stock.get(card.sku.pk)
    on_page = {sku.pk for sku in skus}
    context = _context(
        request,
        page=page,
        cards=cards,
        carried=[entry for sku_id, entry in entered.items() if sku_id not in on_page],
        query=query,
        line_id=line_id,
        line_options=[(line.pk, "\u2003" * line.depth + line.name) for line in lines],
        previous_url=_catalog_url(query, line_id, page.previous_page_number()) if page.has_previous() else "",
        next_url=_catalog_url(query, line_id, page.next_page_number()) if page.has_next() else "",
    )
    if request.htmx and request.htmx.target == "catalog-results":
        response = render(request, "pricing/portal/_results.html", context)
        return push_url(response, _catalog_url(query, line_id, page.number if page.number > 1 else None))
    return render(request, "pricing/portal/catalog.html", context)


# --- price my order ------------------------------------------------------------------------------


@dataclass
class QuoteRow:
    line: engine.LineQuote
    promotions: list  # name, amount per unit (unit kinds), amount on the line, allocated, limited_to
    base_unit: str = ""


def _parse(entries: list[Entry]):
    """The cart lines of the non-empty quantities, which SKU each line is, and the quantities that
    are not whole numbers."""
    lines, line_skus, errors = [], [], {}
    for entry in entries:
        if not entry.quantity:
            continue
        try:
            quantity = int(entry.quantity)
        except ValueError:
            errors.setdefault(entry.sku_id, []).append(_("Enter a whole number."))
            continue
        lines.append(engine.CartLine(sku=entry.sku_id, quantity=quantity, unit=entry.unit or None))
        line_skus.append(entry.sku_id)
    return lines, line_skus, errors


def _not_applied_messages(result: engine.CartQuote, promotions: dict) -> list[str]:
    """The promotions open to the partner that did not apply, in words (never naming the promotion
    they lost to)."""
    symbol_amount = _money_formatter(result.currency)
    messages, seen = [], set()
    for item in result.promotions_not_applied:
        code = item.get("promotion")
        if code in seen:
            continue
        seen.add(code)
        open_promotion = promotions.get(code)
        if open_promotion is None:
            continue  # not open to the partner (a gift or bundle outside its sales scope): not its business
        name = open_promotion.name
        reason = item.get("reason")
        offer = open_promotion.description
        values = {"promotion": name, "offer": offer}
        if reason == "below_threshold" and item.get("short_by_qty") is not None:
            values["count"] = item["short_by_qty"]
            messages.append(_("Buy %(count)s more to get %(promotion)s (%(offer)s).") % values)
        elif reason == "below_threshold":
            values["amount"] = symbol_amount(item.get("short_by") or 0)
            messages.append(_("Spend %(amount)s more to get %(promotion)s (%(offer)s).") % values)
        elif reason == "cap_reached":
            messages.append(_("%(promotion)s: you have reached the limit of this promotion.") % values)
        elif reason in ("exclusive", "lost_on_priority") and item.get("lines"):
            values["lines"] = ", ".join(item["lines"])
            messages.append(
                _("%(promotion)s does not count %(lines)s: a better offer already applies to them.") % values
            )
        elif reason in ("exclusive", "lost_on_priority"):
            messages.append(_("%(promotion)s: not applied, a better offer already applies to these products.") % values)
        elif reason == "bundle_incomplete":
            messages.append(_("%(promotion)s: complete the set to get %(offer)s.") % values)
        elif reason == "no_saving":
            messages.append(_("%(promotion)s: not applied, your prices are already lower.") % values)
        elif reason == "gift_not_allowed":
            messages.append(_("%(promotion)s: the gift is not available to you.") % values)
        else:
            messages.append(_("%(promotion)s: not applied.") % values)
    return messages


def _next_steps(result: engine.CartQuote, promotions: dict) -> list[str]:
    money = _money_formatter(result.currency)
    steps, seen = [], set()
    for line in result.lines:
        for applied in line.promotions:
            short_by = applied.get("next_threshold_short_by")
            code = applied.get("promotion")
            if short_by is None or code in seen:
                continue
            seen.add(code)
            name = promotions[code].name if code in promotions else code
            steps.append(
                _("%(amount)s more for the next step of %(promotion)s.")
                % {"amount": money(short_by), "promotion": name}
            )
    return steps


def _money_formatter(currency: str):
    return lambda amount: selectors.format_amount(amount, currency)


def _rows(result: engine.CartQuote, promotions: dict, known: dict) -> list[QuoteRow]:
    rows = []
    for line in result.lines:
        applied = []
        for item in line.promotions:
            code = item.get("promotion")
            name = promotions[code].name if code in promotions else code
            applied.append(
                {
                    "name": name,
                    "unit_amount": item.get("unit_amount") if not item.get("allocated") else None,
                    "amount": item.get("amount"),
                    "allocated": bool(item.get("allocated")),
                    "limited_to": item.get("limited_to"),
                }
            )
        sku = known.get(line.sku)
        rows.append(QuoteRow(line=line, promotions=applied, base_unit=sku.product.base_unit if sku else ""))
    return rows


@require_POST
@partner_portal
def quote_view(request):
    """POST /portal/catalog/quote/: the waterfall of the partner's own lines (list price, each
    promotion with its amount, net unit price, line total), the gifts, the total and the promotions
    not applied, in words. Errors are shown at the SKU they are about. htmx renders it in place;
    without JavaScript it is a full page with the quantities to correct."""
    return render_quote(request, _entries(request.POST))


def cart_entries(data) -> list[Entry]:
    """The cart's quantities and units as a form sent them (qty_<sku id>, unit_<sku id>)."""
    return _entries(data)


def render_quote(
    request,
    entries: list[Entry],
    *,
    place: dict | None = None,
    line_errors: dict[int, list[str]] | None = None,
    status: int = 200,
):
    """The priced cart of `entries`: in place for htmx, else a full page. `place`: what the place
    form shows again when placing the order was refused (orders.views_portal.place_view): its
    errors beside their fields ("rebate_amount") or above the button ("__all__"), and the amount typed.
    `line_errors` (SKU id -> messages): the lines that refused the order (a quantity over the stock),
    shown beside each line's quantity like the cart's own errors.
    """
    partner = request.partner
    today = timezone.localdate()
    lines, line_skus, sku_errors = _parse(entries)
    general: list[str] = []
    result = None
    if len(lines) > MAX_LINES:
        general.append(_("Price at most %(count)s lines at once.") % {"count": MAX_LINES})
    elif not lines and not sku_errors:
        general.append(_("Enter a quantity for at least one product."))
    elif lines:
        try:
            result = engine.quote(partner, lines, today)
        except FieldErrors as error:
            for key, messages in error.errors.items():
                match = LINE_ERROR.match(key)
                if match and int(match.group(1)) < len(line_skus):
                    sku_errors.setdefault(line_skus[int(match.group(1))], []).extend(str(m) for m in messages)
                else:
                    general.extend(str(message) for message in messages)
    for sku_id, messages in (line_errors or {}).items():
        known_messages = sku_errors.setdefault(sku_id, [])
        known_messages.extend(message for message in messages if message not in known_messages)
    if sku_errors:
        result = None
    known = {sku.pk: sku for sku in selectors.catalogue_skus(partner).filter(pk__in=[e.sku_id for e in entries])}
    promotions = {}
    rows, not_applied, next_steps = [], [], []
    if result is not None:
        promotions = {item.code: item for item in selectors.open_promotions(partner, today)}
        rows = _rows(result, promotions, known)
        not_applied = _not_applied_messages(result, promotions)
        next_steps = _next_steps(result, promotions)
    error_lines = [
        {"sku": known.get(sku_id), "sku_id": sku_id, "errors": messages} for sku_id, messages in sku_errors.items()
    ]
    # the cart bar's hint: what the promotions took off the list prices (gifts counted apart)
    saved = sum((item["amount"] or 0 for row in rows for item in row.promotions), 0)
    context = _context(
        request,
        result=result,
        rows=rows,
        saved=quantize(saved) if saved else None,
        gifts=list(getattr(result, "gifts", ()) or ()) if result is not None else [],
        not_applied=not_applied,
        next_steps=next_steps,
        general_errors=general,
        error_lines=error_lines,
        sku_errors=sku_errors,
        entries=entries,
        form_lines=[
            {
                "entry": entry,
                "sku": known.get(entry.sku_id),
                "units": _units(known[entry.sku_id]) if entry.sku_id in known else [],
                "errors": sku_errors.get(entry.sku_id, []),
            }
            for entry in entries
            if entry.quantity
        ],
    )
    context["place"] = place or {}
    if request.htmx:
        # htmx swaps 2xx answers only: a refused order is shown in place with its errors
        return render(request, "pricing/portal/_quote.html", context | {"oob": True})
    # without JavaScript: the way back to the catalogue keeps the quantities
    carried = [(f"qty_{entry.sku_id}", entry.quantity) for entry in entries if entry.quantity]
    carried += [(f"unit_{entry.sku_id}", entry.unit) for entry in entries if entry.quantity and entry.unit]
    back_url = reverse("pricing_portal:catalog") + (f"?{urlencode(carried)}" if carried else "")
    return render(request, "pricing/portal/quote.html", context | {"back_url": back_url}, status=status)
