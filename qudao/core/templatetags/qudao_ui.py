"""Template filters for the pages: permission checks, role labels, amounts."""

from __future__ import annotations

from django import template

from qudao.accounts.roles import ALL_ROLE_LABELS
from qudao.core.display import money_text, percent_of_hundred_text, percent_text
from qudao.core.money import unit_price_text

register = template.Library()


@register.filter
def can(user, permission: str) -> bool:
    """{% if user|can:"partners.import" %}: the roles table decides (accounts.roles)."""
    return bool(getattr(user, "is_authenticated", False) and user.can(permission))


@register.filter
def can_read_approval(user, approval_id) -> bool:
    """{% if user|can_read_approval:order.approval_id %}: link an approval request only where the
    user may open it (its page answers 404 otherwise); the engine and its scopes decide."""
    if not approval_id or not getattr(user, "is_authenticated", False):
        return False
    from qudao.core.views import readable_requests

    return readable_requests(user).filter(pk=approval_id).exists()


@register.filter
def role_label(code: str) -> str:
    return str(ALL_ROLE_LABELS.get(code, code))


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def money(amount, currency: str = "") -> str:
    """The one way money is shown to people: 1234567.5 -> "1,234,567.50" (ROUND_HALF_UP to 0.01,
    the one rounding rule); `{{ amount|money:currency }}` -> "CNY 1,234,567.50"."""
    return money_text(amount, currency or "")


@register.filter
def percent(fraction) -> str:
    """A rate stored as a fraction, as people read it: 0.13 -> "13%" (core.display.percent_text)."""
    return percent_text(fraction)


@register.filter
def percent_value(percent_number) -> str:
    """A rate stored in percent (a discount of 12.5), as people read it: "12.5%"."""
    return percent_of_hundred_text(percent_number)


@register.filter
def unit_price(amount) -> str:
    """A unit price as fixed, never rounded to the cent: 1299 -> "1,299.00", 321.896666 ->
    "321.8967" (qudao.core.money.unit_price_text)."""
    if amount in (None, ""):
        return ""
    return unit_price_text(amount, grouping=True)


@register.filter
def startswith(text, prefix: str) -> bool:
    return str(text or "").startswith(prefix)


@register.simple_tag
def approvals_waiting(user) -> int:
    """How many approval requests wait for this user's decision (the nav badge)."""
    from qudao.core.approvals import inbox_for

    if not getattr(user, "is_authenticated", False) or not user.is_hq:
        return 0
    return inbox_for(user).count()


@register.simple_tag
def main_nav(user, path: str) -> list[dict]:
    """The HQ menu groups `user` sees, with the current page marked (qudao.core.navigation)."""
    from qudao.core.navigation import hq_menu

    return hq_menu(user, path)


@register.filter
def is_image(stored) -> bool:
    """Whether a stored upload (a FieldFile or its name) is a photo: uploads are saved under the
    extension of the kind their bytes were verified to be (core.uploads.stored_name), and served
    as that kind, so the name tells. Thumbnails are shown for these, a file link for the rest."""
    from qudao.core.uploads import PHOTOS

    name = getattr(stored, "name", stored) or ""
    return isinstance(name, str) and "." in name and name.rsplit(".", 1)[-1].lower() in PHOTOS
