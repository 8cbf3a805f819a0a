"""HQ pages of price policies: price lists (with items and rules), floor prices, promotions (with
their consumption) and the price waterfall of a cart. Pages parse, authorise, call a service (or
the engine) and render; every rule is in qudao.pricing.services and qudao.pricing.engine."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from qudao.catalog.models import Sku
from qudao.core import exports as list_exports
from qudao.core.errors import Conflict, FieldErrors, NotFound
from qudao.core.numbers import parse_digits
from qudao.core.pages import apply_field_errors, hq_page, paginate
from qudao.core.pickers import SEARCH_SUFFIX
from qudao.core.views import readable_requests
from qudao.partners.scoping import get_visible_partner, scope

from . import exports, services
from .engine import CartLine, quote
from .forms import (
    FloorForm,
    ItemForm,
    ItemGridFormSet,
    PriceListFilterForm,
    PriceListForm,
    PromotionFilterForm,
    PromotionForm,
    QuoteForm,
    RuleForm,
    promotion_initial,
)
from .models import FloorPrice, PriceList, PriceListItem, PriceListRule, Promotion, PromotionUsage
from .visibility import visible_price_lists, visible_promotions

QUOTE_ROWS = 5
MAX_QUOTE_ROWS = 50


def _require_manage(request) -> None:
    if not request.user.can("pricing.manage"):
        raise PermissionDenied()


def _error_messages(request, error) -> None:
    """A service's errors as page messages (for the small forms that redirect)."""
    if isinstance(error, FieldErrors):
        for messages_ in error.errors.values():
            for message in messages_:
                messages.error(request, str(message))
    else:
        messages.error(request, str(error.detail))


# --- price lists -------------------------------------------------------------------------------


def _price_lists(user):
    return visible_price_lists(user).select_related("tier", "region", "partner").annotate(item_count=Count("items"))


@hq_page("pricing.view")
def price_list_list_view(request):
    if (download := list_exports.respond(request, exports.PRICE_LISTS)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    form = PriceListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    lists = _price_lists(request.user).order_by("code")
    if filters.get("status"):
        lists = lists.filter(status=filters["status"])
    if filters.get("kind"):
        lists = lists.filter(kind=filters["kind"])
    if (filters.get("q") or "").strip():
        q = filters["q"].strip()
        lists = lists.filter(Q(code__icontains=q) | Q(name__icontains=q))
    page = paginate(request, lists)
    template = "pricing/_price_list_table.html" if request.headers.get("HX-Request") else "pricing/price_lists.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "price_lists": page.object_list,
            "can_manage": request.user.can("pricing.manage"),
        },
    )


def _price_list_initial(price_list: PriceList) -> dict:
    return {
        "code": price_list.code,
        "name": price_list.name,
        "tier": price_list.tier.code if price_list.tier_id else "",
        "region": price_list.region.code if price_list.region_id else "",
        "partner": price_list.partner_id,
        "currency": price_list.currency,
        "valid_from": price_list.valid_from,
        "valid_to": price_list.valid_to,
        "priority": price_list.priority,
    }


@hq_page("pricing.view")
def price_list_form_view(request, price_list_id=None):
    _require_manage(request)
    price_list = get_object_or_404(_price_lists(request.user), pk=price_list_id) if price_list_id else None
    fixed = price_list is not None and price_list.status not in services.EDITABLE
    form = PriceListForm(
        request.POST or None,
        initial=_price_list_initial(price_list) if price_list else None,
        fixed=fixed,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if price_list:
                price_list = services.update_price_list(
                    price_list=price_list, data=form.data_for_service(), actor=request.user
                )
            else:
                price_list = services.create_price_list(data=form.data_for_service(), actor=request.user)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Price list %(code)s is saved.") % {"code": price_list.code})
            return redirect("pricing:price_list", price_list.pk)
    title = _("Price list %(code)s") % {"code": price_list.code} if price_list else _("New price list")
    back = f"/pricing/price-lists/{price_list.pk}/" if price_list else "/pricing/"
    return render(
        request, "pricing/form.html", {"form": form, "title": title, "back": back, "fixed": fixed, "tab": "lists"}
    )


def _price_list_context(request, price_list, item_form=None, rule_form=None) -> dict:
    items = price_list.items.select_related("sku").order_by("sku__code", "min_qty")
    page = paginate(request, items)
    approval_readable = bool(
        price_list.approval_id and readable_requests(request.user).filter(pk=price_list.approval_id).exists()
    )
    can_manage = request.user.can("pricing.manage")
    editable = price_list.status in services.EDITABLE
    return {
        "price_list": price_list,
        "page": page,
        "items": page.object_list,
        "rules": price_list.rules.select_related("product_line").order_by("product_line__path"),
        "can_manage": can_manage,
        "editable": editable,
        "item_form": item_form or ItemForm(user=request.user),
        "rule_form": rule_form or RuleForm(),
        "approval_readable": approval_readable,
        "tab": "lists",
    }


@hq_page("pricing.view")
def price_list_detail_view(request, price_list_id):
    price_list = get_object_or_404(_price_lists(request.user), pk=price_list_id)
    items = {"price_list": price_list.pk}
    if (download := list_exports.respond(request, exports.PRICE_LIST_ITEMS, params=items)) is not None:
        return download  # ?format=xlsx|csv: its items, in the import's columns
    return render(request, "pricing/price_list_detail.html", _price_list_context(request, price_list))


@hq_page("pricing.view")
@require_POST
def item_set_view(request, price_list_id):
    _require_manage(request)
    price_list = get_object_or_404(_price_lists(request.user), pk=price_list_id)
    form = ItemForm(request.POST, user=request.user)
    if form.is_valid():
        code = form.cleaned_data["sku"]
        sku = Sku.objects.filter(code=code).first()
        if sku is None:
            form.add_error("sku", _("Unknown SKU code."))
        else:
            data = {"sku": sku.pk, "min_qty": form.cleaned_data["min_qty"], "price": form.cleaned_data["price"]}
            try:
                services.set_item(price_list=price_list, data=data, actor=request.user)
            except FieldErrors as error:
                apply_field_errors(form, error)
            except Conflict as error:
                _error_messages(request, error)
                return redirect("pricing:price_list", price_list.pk)
            else:
                messages.success(request, _("The price of %(sku)s is saved.") % {"sku": sku.code})
                return redirect("pricing:price_list", price_list.pk)
    context = _price_list_context(request, price_list, item_form=form)
    return render(request, "pricing/price_list_detail.html", context, status=422)


@hq_page("pricing.view")
def item_grid_view(request, price_list_id):
    """/pricing/price-lists/<id>/items/grid/: rows of SKU (picked by name, code or barcode), from
    quantity and price, saved in one submit by services.set_items: every row or none, each wrong
    row's errors next to it."""
    _require_manage(request)
    price_list = get_object_or_404(_price_lists(request.user), pk=price_list_id)
    if price_list.status not in services.EDITABLE:
        messages.error(
            request, _("Only a draft or rejected price list can change its prices; create a new list instead.")
        )
        return redirect("pricing:price_list", price_list.pk)
    formset = ItemGridFormSet(request.POST or None, prefix="items", form_kwargs={"user": request.user})
    grid_errors, status = [], 200
    if request.method == "POST":
        status = 422
        if formset.is_valid():
            filled = [form for form in formset.forms if form.has_changed()]
            ids = dict(Sku.objects.filter(code__in=[f.cleaned_data["sku"] for f in filled]).values_list("code", "pk"))
            rows = [
                {
                    "sku": ids.get(form.cleaned_data["sku"]),
                    "min_qty": form.cleaned_data["min_qty"] or 1,
                    "price": form.cleaned_data["price"],
                }
                for form in filled
            ]
            try:
                services.set_items(price_list=price_list, rows=rows, actor=request.user)
            except FieldErrors as error:
                for key, messages_ in error.errors.items():
                    parts = key.split(".")
                    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
                        for message in messages_:
                            filled[int(parts[1])].add_error(parts[2], message)
                    else:
                        grid_errors.extend(str(message) for message in messages_)
            except Conflict as error:
                _error_messages(request, error)
                return redirect("pricing:price_list", price_list.pk)
            else:
                count = len(rows)
                message = ngettext("%(count)d price is saved.", "%(count)d prices are saved.", count)
                messages.success(request, message % {"count": count})
                return redirect("pricing:price_list", price_list.pk)
    return render(
        request,
        "pricing/items_grid.html",
        {"price_list": price_list, "formset": formset, "grid_errors": grid_errors, "tab": "lists"},
        status=status,
    )


@hq_page("pricing.view")
@require_POST
def item_delete_view(request, price_list_id, item_id):
    _require_manage(request)
    item = get_object_or_404(PriceListItem.objects.select_related("price_list"), pk=item_id, price_list=price_list_id)
    try:
        services.delete_item(item=item)
    except Conflict as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("The price is removed."))
    return redirect("pricing:price_list", price_list_id)


@hq_page("pricing.view")
@require_POST
def rule_set_view(request, price_list_id):
    _require_manage(request)
    price_list = get_object_or_404(_price_lists(request.user), pk=price_list_id)
    form = RuleForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.set_rule(price_list=price_list, data=data, actor=request.user)
        except FieldErrors as error:
            apply_field_errors(form, error)
        except Conflict as error:
            _error_messages(request, error)
            return redirect("pricing:price_list", price_list.pk)
        else:
            messages.success(request, _("The rule is saved."))
            return redirect("pricing:price_list", price_list.pk)
    context = _price_list_context(request, price_list, rule_form=form)
    return render(request, "pricing/price_list_detail.html", context, status=422)


@hq_page("pricing.view")
@require_POST
def rule_delete_view(request, price_list_id, rule_id):
    _require_manage(request)
    rule = get_object_or_404(PriceListRule.objects.select_related("price_list"), pk=rule_id, price_list=price_list_id)
    try:
        services.delete_rule(rule=rule)
    except Conflict as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("The rule is removed."))
    return redirect("pricing:price_list", price_list_id)


@hq_page("pricing.view")
@require_POST
def price_list_activate_view(request, price_list_id):
    _require_manage(request)
    price_list = get_object_or_404(PriceList, pk=price_list_id)
    try:
        price_list = services.activate_price_list(price_list=price_list, actor=request.user)
    except (FieldErrors, Conflict) as error:
        _error_messages(request, error)
    else:
        if price_list.status == PriceList.Status.PENDING_APPROVAL:
            messages.info(
                request,
                _("Price list %(code)s goes deep below the base prices and waits for approval.")
                % {"code": price_list.code},
            )
        else:
            messages.success(request, _("Price list %(code)s is active.") % {"code": price_list.code})
    return redirect("pricing:price_list", price_list.pk)


@hq_page("pricing.view")
@require_POST
def price_list_delete_view(request, price_list_id):
    _require_manage(request)
    price_list = get_object_or_404(PriceList, pk=price_list_id)
    try:
        services.delete_price_list(price_list=price_list)
    except Conflict as error:
        _error_messages(request, error)
        return redirect("pricing:price_list", price_list.pk)
    messages.success(request, _("Price list %(code)s is deleted.") % {"code": price_list.code})
    return redirect("pricing:price_lists")


# --- floor prices ------------------------------------------------------------------------------


@hq_page("pricing.view")
def floor_list_view(request):
    can_manage = request.user.can("pricing.manage")
    form = FloorForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        _require_manage(request)
        if form.is_valid():
            data = dict(form.cleaned_data)
            code = data["sku"]
            sku = Sku.objects.filter(code=code).first()
            if sku is None:
                form.add_error("sku", _("Unknown SKU code."))
            else:
                data["sku"] = sku.pk
                try:
                    services.create_floor_price(data=data, actor=request.user)
                except FieldErrors as error:
                    apply_field_errors(form, error)
                else:
                    messages.success(request, _("The floor price of %(sku)s is saved.") % {"sku": sku.code})
                    return redirect("pricing:floors")
        status = 422
    floors = FloorPrice.objects.select_related("sku").order_by("sku__code", "currency", "valid_from")
    q = (request.GET.get("q") or "").strip()
    if q:
        floors = floors.filter(Q(sku__code__icontains=q) | Q(sku__name__icontains=q))
    page = paginate(request, floors)
    return render(
        request,
        "pricing/floors.html",
        {"form": form, "page": page, "floors": page.object_list, "can_manage": can_manage, "q": q, "tab": "floors"},
        status=status,
    )


@hq_page("pricing.view")
@require_POST
def floor_delete_view(request, floor_id):
    _require_manage(request)
    floor = get_object_or_404(FloorPrice, pk=floor_id)
    services.delete_floor_price(floor=floor)
    messages.success(request, _("The floor price is removed."))
    return redirect("pricing:floors")


# --- promotions --------------------------------------------------------------------------------


@hq_page("pricing.view")
def promotion_list_view(request):
    if (download := list_exports.respond(request, exports.PROMOTIONS)) is not None:
        return download  # ?format=xlsx|csv: what the list shows
    form = PromotionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    promotions = visible_promotions(request.user).select_related("tier", "region", "partner", "product_line", "sku")
    if filters.get("status"):
        promotions = promotions.filter(status=filters["status"])
    q = (request.GET.get("q") or "").strip()
    if q:
        promotions = promotions.filter(Q(code__icontains=q) | Q(name__icontains=q))
    page = paginate(request, promotions)
    template = "pricing/_promotion_table.html" if request.headers.get("HX-Request") else "pricing/promotions.html"
    return render(
        request,
        template,
        {
            "form": form,
            "q": q,
            "page": page,
            "promotions": page.object_list,
            "can_manage": request.user.can("pricing.manage"),
            "tab": "promotions",
        },
    )


@hq_page("pricing.view")
def promotion_form_view(request, promotion_id=None):
    _require_manage(request)
    promotion = (
        get_object_or_404(visible_promotions(request.user).select_related("tier", "region"), pk=promotion_id)
        if promotion_id
        else None
    )
    # A started promotion may change only some fields (the service says which).
    editable = None
    if promotion is not None and promotion.status != Promotion.Status.DRAFT:
        editable = services.EDITABLE_WHILE_ACTIVE
    form = PromotionForm(
        request.POST or None,
        initial=promotion_initial(promotion) if promotion else None,
        editable=editable,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        if data is not None:
            try:
                if promotion:
                    promotion = services.update_promotion(promotion=promotion, data=data, actor=request.user)
                else:
                    promotion = services.create_promotion(data=data, actor=request.user)
            except FieldErrors as error:
                # "tiers.1", "bundle_items.0": shown at the textarea they came from
                apply_field_errors(form, error, {key: key.split(".")[0] for key in error.errors})
            except Conflict as error:
                form.add_error(None, str(error.detail))
            else:
                messages.success(request, _("Promotion %(code)s is saved.") % {"code": promotion.code})
                return redirect("pricing:promotion", promotion.pk)
    title = _("Promotion %(code)s") % {"code": promotion.code} if promotion else _("New promotion")
    back = f"/pricing/promotions/{promotion.pk}/" if promotion else "/pricing/promotions/"
    return render(
        request,
        "pricing/promotion_form.html",
        {"form": form, "title": title, "back": back, "tab": "promotions", "limited": editable is not None},
        status=422 if form.errors else 200,
    )


@hq_page("pricing.view")
def promotion_detail_view(request, promotion_id):
    promotion = get_object_or_404(
        visible_promotions(request.user).select_related("tier", "region", "partner", "product_line", "sku", "gift_sku"),
        pk=promotion_id,
    )
    # The ledger names partners: only the rows of partners the user may see.
    usages = scope(PromotionUsage.objects.filter(promotion=promotion), request.user).select_related("partner")
    page = paginate(request, usages)
    bundle_codes = dict(
        Sku.objects.filter(pk__in=[row[0] for row in promotion.bundle_items or []]).values_list("pk", "code")
    )
    return render(
        request,
        "pricing/promotion_detail.html",
        {
            "promotion": promotion,
            "page": page,
            "usages": page.object_list,
            "bundle": [(bundle_codes.get(sku_id, sku_id), qty) for sku_id, qty in promotion.bundle_items or []],
            "can_manage": request.user.can("pricing.manage"),
            "tab": "promotions",
        },
    )


PROMOTION_ACTIONS = {
    "start": Promotion.Status.ACTIVE,
    "pause": Promotion.Status.DRAFT,
    "end": Promotion.Status.ENDED,
}


@hq_page("pricing.view")
@require_POST
def promotion_status_view(request, promotion_id):
    _require_manage(request)
    promotion = get_object_or_404(visible_promotions(request.user), pk=promotion_id)
    status = PROMOTION_ACTIONS.get(request.POST.get("action", ""))
    if status is None:
        messages.error(request, _("Choose start, pause or end."))
        return redirect("pricing:promotion", promotion.pk)
    try:
        promotion = services.set_promotion_status(promotion=promotion, status=status, actor=request.user)
    except (FieldErrors, Conflict) as error:
        _error_messages(request, error)
    else:
        messages.success(
            request,
            _("Promotion %(code)s is now: %(status)s.")
            % {"code": promotion.code, "status": promotion.get_status_display()},
        )
    return redirect("pricing:promotion", promotion.pk)


@hq_page("pricing.view")
@require_POST
def promotion_delete_view(request, promotion_id):
    _require_manage(request)
    promotion = get_object_or_404(visible_promotions(request.user), pk=promotion_id)
    try:
        services.delete_promotion(promotion=promotion, actor=request.user)
    except (FieldErrors, Conflict) as error:
        _error_messages(request, error)
        return redirect("pricing:promotion", promotion.pk)
    messages.success(request, _("Promotion %(code)s is deleted.") % {"code": promotion.code})
    return redirect("pricing:promotions")


# --- the price waterfall -----------------------------------------------------------------------


def _quote_rows(request) -> list[dict]:
    """The cart rows as typed (POST), at least QUOTE_ROWS of them."""
    source = request.POST if request.method == "POST" else request.GET
    try:
        wanted = int(source.get("rows") or QUOTE_ROWS)
    except ValueError:
        wanted = QUOTE_ROWS
    if source.get("more"):
        wanted += QUOTE_ROWS
    count = min(max(wanted, QUOTE_ROWS), MAX_QUOTE_ROWS)
    rows = []
    for index in range(count):
        rows.append(
            {
                "index": index,
                "sku": (source.get(f"sku_{index}") or "").strip(),
                "quantity": (source.get(f"quantity_{index}") or "").strip(),
                "unit": (source.get(f"unit_{index}") or "").strip(),
                "errors": {},
            }
        )
    return rows


def _quote_partner(form, data):
    """The partner the quote form names, one the user may see. A partner sent as the form's value
    (an id or a code: the picker's choice, or a link) that the user may not see, or that does not
    exist, is 404 (never 403, never a hint that it exists); a name only typed into the picker that
    matches none is the field's error."""
    if "partner" in form.errors:
        if (data.get("partner") or "").strip():
            raise Http404()
        return None
    if not form.is_valid():
        return None
    try:
        return get_visible_partner(form.user, form.cleaned_data["partner"])
    except NotFound:
        raise Http404() from None


@hq_page("pricing.view")
def quote_view(request):
    asked = request.GET.get("partner") or request.GET.get("partner" + SEARCH_SUFFIX)
    data = request.POST if request.method == "POST" else (request.GET if asked else None)
    form = QuoteForm(data, initial={"on": timezone.localdate()}, user=request.user)
    rows = _quote_rows(request)
    result, partner, status = None, None, 200
    if request.POST.get("more"):
        data = None  # only more rows: keep what was typed, price nothing yet
        form = QuoteForm(request.POST, user=request.user)
    if data is not None:
        form.is_valid()
        partner = _quote_partner(form, data)
    if partner is not None:
        on = form.cleaned_data.get("on") or timezone.localdate()
        filled = [row for row in rows if row["sku"] or row["quantity"] or row["unit"]]
        ids = dict(Sku.objects.filter(code__in=[row["sku"] for row in filled]).values_list("code", "pk"))
        lines, by_line = [], []
        for row in filled:
            sku_id = ids.get(row["sku"])
            if sku_id is None:
                row["errors"]["sku"] = [_("Unknown SKU code.") if row["sku"] else _("Enter a SKU code.")]
            quantity = row["quantity"] if parse_digits(row["quantity"]) is None else parse_digits(row["quantity"])
            # the engine judges the quantity (an unparsed value is reported at lines.<i>.quantity)
            lines.append(CartLine(sku=sku_id or 0, quantity=quantity, unit=row["unit"] or None))
            by_line.append(row)
        try:
            result = quote(partner, lines, on)
        except FieldErrors as error:
            status = 422
            for key, messages_ in error.errors.items():
                parts = key.split(".")
                if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(by_line):
                    row = by_line[int(parts[1])]
                    row["errors"].setdefault(parts[2], [str(message) for message in messages_])
                else:
                    for message in messages_:
                        form.add_error(None, str(message))
        if any(row["errors"] for row in rows):
            result, status = None, 422
    elif data is not None:
        status = 422
    context = {
        "form": form,
        "rows": rows,
        "row_count": len(rows),
        "result": result,
        "partner": partner,
        "tab": "quote",
    }
    if result is not None:
        context.update(_waterfall(result))
    return render(request, "pricing/quote.html", context, status=status)


def _waterfall(result) -> dict:
    """Names of the promotions and price lists a quote mentions, for the page."""
    codes = {item["promotion"] for line in result.lines for item in line.promotions}
    codes |= {item["promotion"] for item in result.promotions_not_applied}
    codes |= {item["by"] for item in result.promotions_not_applied if item.get("by")}
    codes |= {gift.promotion for gift in result.gifts}
    names = dict(Promotion.objects.filter(code__in=codes).values_list("code", "name"))
    list_codes = {line.source.price_list_code for line in result.lines}
    list_names = dict(PriceList.objects.filter(code__in=list_codes).values_list("code", "name"))
    not_applied = [
        item | {"name": names.get(item["promotion"], ""), "by_name": names.get(item.get("by"), "")}
        for item in result.promotions_not_applied
    ]
    lines = []
    for line in result.lines:
        promotions = [item | {"name": names.get(item["promotion"], "")} for item in line.promotions]
        lines.append({"line": line, "promotions": promotions, "list_name": list_names.get(line.source.price_list_code)})
    return {"lines": lines, "not_applied": not_applied, "gifts": result.gifts, "promotion_names": names}
