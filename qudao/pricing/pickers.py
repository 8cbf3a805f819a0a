"""The promotion picker (see qudao/core/pickers.py and docs/pickers.md): a promotion found by its
name or code among the promotions the user may see (qudao.pricing.visibility: a promotion for one
partner only by those who see that partner). HQ users only: partner users meet promotions in their
catalogue, never in a form that names them. The form submits the promotion's code."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from qudao.core.pickers import MAX_QUERY, MAX_RESULTS, PickerField, picker_response

from .models import Promotion
from .visibility import visible_promotions


def promotions_for(user):
    if user is None or not user.is_authenticated or not user.is_hq:
        return Promotion.objects.none()
    return visible_promotions(user)


def promotions_matching(user, q: str, *, limit: int = MAX_RESULTS) -> list[Promotion]:
    promotions = promotions_for(user)
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        promotions = promotions.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return list(promotions.order_by("-valid_from", "code")[:limit])


def promotion_option(promotion: Promotion) -> dict:
    detail = f"{promotion.code} · {promotion.get_status_display()}"
    return {"value": promotion.code, "label": promotion.name, "detail": detail, "more": False}


def find_promotion(user, text: str) -> Promotion | None:
    """The promotion `text` names: its code, or its exact name when only one has it."""
    text = (text or "").strip()
    if not text:
        return None
    promotions = promotions_for(user)
    found = promotions.filter(code=text).first()
    if found is not None:
        return found
    named = list(promotions.filter(name=text)[:2])
    return named[0] if len(named) == 1 else None


class PromotionField(PickerField):
    """A promotion the user may see; the cleaned value is its code."""

    search_url_name = "pricing:picker"
    default_error_messages = {"unknown": _("Unknown promotion.")}
    placeholder = _("Name or code")

    def resolve(self, text: str):
        if self.user is None:
            return None
        promotion = find_promotion(self.user, text)
        return promotion.code if promotion is not None else None

    def label_for(self, value) -> str:
        promotions = promotions_for(self.user) if self.user is not None else Promotion.objects.none()
        promotion = promotions.filter(code=str(value)).only("code", "name").first()
        return f"{promotion.name} · {promotion.code}" if promotion else str(value)


@require_GET
def promotion_options_view(request):
    """/pickers/promotions/?q=: the promotions the user may see that match (JSON; HQ users)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    options = [promotion_option(p) for p in promotions_matching(request.user, request.GET.get("q") or "")]
    return picker_response(options)
