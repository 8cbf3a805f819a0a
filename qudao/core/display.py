"""Values as a person reads them: money with thousands separators and two decimals, rates as
percentages, yes/no, an enum's translated label instead of its value, region names instead of
codes, lists joined the way the language joins them. Pages, approval summaries and exports for
people use these (templates through the filters in core.templatetags.qudao_ui); the API keeps
the raw values."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext

from .money import quantize


def _decimal(value) -> Decimal | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def money_text(amount, currency: str = "") -> str:
    """1234567.5 -> "1,234,567.50"; with a currency "CNY 1,234,567.50" (ROUND_HALF_UP to the
    cent, the one rounding rule). Not a number: shown as it is."""
    number = _decimal(amount)
    if number is None:
        return "" if amount in (None, "") else str(amount)
    text = f"{quantize(number):,.2f}"
    return f"{currency} {text}" if currency else text


def percent_text(fraction, places: int = 2) -> str:
    """A rate stored as a fraction, as a percentage: 0.13 -> "13%", 0.125 -> "12.5%" (at most
    `places` decimals, no trailing zeros)."""
    number = _decimal(fraction)
    if number is None:
        return "" if fraction in (None, "") else str(fraction)
    return percent_of_hundred_text(number * 100, places)


def percent_of_hundred_text(percent, places: int = 2) -> str:
    """A rate already in percent, as a percentage: 12.50 -> "12.5%"."""
    number = _decimal(percent)
    if number is None:
        return "" if percent in (None, "") else str(percent)
    text = f"{number.quantize(Decimal(1).scaleb(-places)):,.{places}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def yes_no(value) -> str:
    if isinstance(value, str):
        value = value.lower() in {"true", "1", "yes"}
    return gettext("Yes") if value else gettext("No")


def join(items: Iterable) -> str:
    """A list as the language writes it: "金牌、银牌" in Chinese, "gold, silver" in English."""
    separator = ", " if (translation.get_language() or "").startswith("en") else "、"
    return separator.join(str(item) for item in items if item not in (None, ""))


def choice_label(choices) -> Callable[[object], str]:
    """A function giving an enum value's translated label (the value itself when unknown): for
    `TextChoices` classes or (value, label) pairs."""
    pairs = choices.choices if hasattr(choices, "choices") else choices

    def label(value) -> str:
        return str(dict(pairs).get(value, value))

    return label


def labels(choices) -> Callable[[object], str]:
    """Like choice_label, for a value or a list of values (joined)."""
    one = choice_label(choices)

    def label(value) -> str:
        if isinstance(value, list | tuple):
            return join(one(item) for item in value)
        return one(value)

    return label


def region_name(code) -> str:
    """A region's full name in the current language ("广东 广州"); codes not known are shown as they are."""
    from .models import Region

    if isinstance(code, list | tuple):
        return join(region_name(item) for item in code)
    if code in (None, ""):
        return ""
    region = Region.objects.filter(code=str(code)).select_related("parent").first()
    return region.full_name if region else str(code)
