"""The SKU picker (see qudao/core/pickers.py and docs/pickers.md): a SKU found by its name, code or
barcode. HQ users find every SKU; a partner user only the SKUs its sales scope allows. The form
submits the SKU's code."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from qudao.core.pickers import MAX_QUERY, MAX_RESULTS, PickerField, picker_response

from .models import Sku
from .scope import allowed_skus


def skus_for(user):
    """The SKUs `user` may pick: all of them for HQ, the allowed ones for a partner user."""
    if user is None or not user.is_authenticated:
        return Sku.objects.none()
    if user.is_hq:
        return Sku.objects.all()
    if user.partner is not None:
        return allowed_skus(user.partner)
    return Sku.objects.none()


def skus_matching(user, q: str, *, limit: int = MAX_RESULTS) -> list[Sku]:
    skus = skus_for(user).select_related("product")
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        skus = skus.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(barcode=q))
    return list(skus.order_by("code")[:limit])


def sku_option(sku: Sku) -> dict:
    detail = sku.code + (f" · {sku.barcode}" if sku.barcode else "")
    return {"value": sku.code, "label": sku.name, "detail": detail, "more": False}


def find_sku(user, text: str) -> Sku | None:
    """The SKU `text` names: its code, its barcode, or its exact name when only one SKU has it."""
    text = (text or "").strip()
    if not text:
        return None
    skus = skus_for(user)
    found = skus.filter(Q(code=text) | Q(barcode=text)).first()
    if found is not None:
        return found
    named = list(skus.filter(name=text)[:2])
    return named[0] if len(named) == 1 else None


class SkuField(PickerField):
    """A SKU the user may pick; the cleaned value is the SKU's code."""

    search_url_name = "catalog:picker"
    default_error_messages = {"unknown": _("Unknown SKU code.")}
    placeholder = _("Name, code or barcode")

    def resolve(self, text: str):
        if self.user is None:
            return None
        sku = find_sku(self.user, text)
        return sku.code if sku is not None else None

    def label_for(self, value) -> str:
        sku = Sku.objects.filter(code=str(value)).only("code", "name").first()
        return f"{sku.name} · {sku.code}" if sku else str(value)


@require_GET
def sku_options_view(request):
    """/pickers/skus/?q=: the SKUs the user may pick that match, as picker options (JSON)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return picker_response([sku_option(sku) for sku in skus_matching(request.user, request.GET.get("q") or "")])


def product_line_choices() -> list[tuple[str, str]]:
    """The active product lines as (name, label) for forms outside the catalogue (registered in
    core.choices as "product_lines" by CatalogConfig.ready): the value is the line's name, as a
    partner's authorised product lines name them (catalog.scope accepts a code or a name); the label
    shows a sub-line under its parent ("厨房电器 › 油烟机")."""
    from .models import ProductLine

    lines = list(ProductLine.objects.filter(is_active=True).select_related("parent").order_by("path", "sort_order"))
    seen, choices = set(), []
    for line in lines:
        if line.name in seen:
            continue
        seen.add(line.name)
        label = f"{line.parent.name} › {line.name}" if line.parent_id else line.name
        choices.append((line.name, label))
    return choices
