"""The partner picker (see qudao/core/pickers.py and docs/pickers.md): a partner found by its
legal or short name, its code (P000001) or its unified social credit code, among the partners the
user may see (the scoping rule: a regional manager finds its regions' partners only, a partner user
itself and what lies below it). The form submits the partner's id."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from qudao.core.forms import Form
from qudao.core.numbers import parse_id
from qudao.core.pickers import MAX_QUERY, MAX_RESULTS, SEARCH_SUFFIX, PickerField, picker_response

from .models import Partner, PartnerStatus
from .scoping import visible_partners


def partners_matching(user, q: str, *, active_only: bool = False, limit: int = MAX_RESULTS) -> list[Partner]:
    """The partners `user` sees whose name, short name, code or credit code contains `q`."""
    partners = visible_partners(user).select_related("region", "tier")
    if active_only:
        partners = partners.filter(status=PartnerStatus.ACTIVE)
    q = (q or "").strip()[:MAX_QUERY]
    if q:
        partners = partners.filter(
            Q(code__icontains=q) | Q(legal_name__icontains=q) | Q(short_name__icontains=q) | Q(credit_code=q.upper())
        )
    return list(partners.order_by("code")[:limit])


def partner_option(partner: Partner, *, by_code: bool = False) -> dict:
    """A partner as a picker option; its value is the id (or, `by_code`, the code: policies keep
    the codes of the partners they name)."""
    details = [partner.code, partner.get_partner_type_display()]
    if partner.region_id:
        details.append(partner.region.display_name)
    if partner.status != PartnerStatus.ACTIVE:
        details.append(partner.get_status_display())
    value = partner.code if by_code else str(partner.pk)
    return {"value": value, "label": partner.legal_name, "detail": " · ".join(details), "more": False}


def find_partner(user, text: str, *, active_only: bool = False) -> Partner | None:
    """The partner `text` names for `user`: its id (what the picker submits), its code, its credit
    code, or its exact legal or short name when only one partner has it; None otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    partners = visible_partners(user)
    if active_only:
        partners = partners.filter(status=PartnerStatus.ACTIVE)
    pk = parse_id(text)
    if pk is not None:
        found = partners.filter(pk=pk).first()
        if found is not None:
            return found
    found = partners.filter(Q(code__iexact=text) | Q(credit_code=text.upper())).first()
    if found is not None:
        return found
    named = list(partners.filter(Q(legal_name=text) | Q(short_name=text))[:2])
    return named[0] if len(named) == 1 else None


class PartnerField(PickerField):
    """A partner the user may see; the cleaned value is the partner's id (`by_code=True`: its
    code, for records that name partners by code, like a rebate policy's targets)."""

    search_url_name = "partners:picker"
    default_error_messages = {"unknown": _("Unknown partner.")}
    placeholder = _("Name, code or credit code")

    def __init__(self, *args, active_only: bool = False, by_code: bool = False, **kwargs):
        self.active_only = active_only
        self.by_code = by_code
        super().__init__(*args, **kwargs)
        if by_code:
            self.search_query = "value=code"

    def resolve(self, text: str):
        if self.user is None:
            return None
        partner = find_partner(self.user, text, active_only=self.active_only)
        if partner is None:
            return None
        return partner.code if self.by_code else partner.pk

    def label_for(self, value) -> str:
        """ "Legal name · code" of the partner `value` names (an id, or a code as older forms kept)."""
        text = str(value)
        partners = visible_partners(self.user) if self.user is not None else Partner.objects.all()
        pk = parse_id(text)
        if pk is not None:
            partner = partners.filter(pk=pk).only("legal_name", "code").first()
        else:
            partner = partners.filter(code=text).only("legal_name", "code").first()
        return f"{partner.legal_name} · {partner.code}" if partner is not None else text


@require_GET
def partner_options_view(request):
    """/pickers/partners/?q=: the partners the user sees that match, as picker options (JSON).
    ?active=1 keeps the active ones (ordering); ?value=code gives codes as values."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    partners = partners_matching(request.user, request.GET.get("q") or "", active_only=request.GET.get("active") == "1")
    by_code = request.GET.get("value") == "code"
    return picker_response([partner_option(partner, by_code=by_code) for partner in partners])


# --- the partner box of a list's filter bar --------------------------------------------------------


def filter_partner_id(user, params) -> int | None:
    """The partner a list's `?partner=` names for `user` (a code, as links and exports write it, an
    id, a credit code or an exact name; or the picker's typed text, `partner__search`): its id;
    -1 when it names no partner the user sees (the list then shows nothing, never everything);
    None when the filter is empty. The list and its export call this with the same query string."""
    text = str(params.get("partner") or params.get("partner" + SEARCH_SUFFIX) or "").strip()[:MAX_QUERY]
    if not text:
        return None
    partner = find_partner(user, text)
    return partner.pk if partner is not None else -1


class PartnerFilterBarForm(Form):
    """The partner picker of a list's filter bar (payments, receivables, statements): it submits
    the partner's code, so `?partner=P000001` links keep working; an unknown partner is an error
    under the box (and `filter_partner_id` empties the list)."""

    partner = PartnerField(label=_("Partner"), required=False, by_code=True)


def partner_filter_form(request) -> PartnerFilterBarForm:
    """The filter bar's partner picker, bound to the query string (so it shows the chosen partner's
    name, or the error), for `request.user`."""
    form = PartnerFilterBarForm(request.GET or None, user=request.user)
    form.is_valid()
    return form
