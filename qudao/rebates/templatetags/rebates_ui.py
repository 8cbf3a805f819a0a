"""Template helpers of the rebate pages."""

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.filter
def get(mapping, key):
    """mapping[key], or [] (field errors by key)."""
    return (mapping or {}).get(key, [])


@register.filter
def tier_errors(errors, index):
    """Every error of tier row `index` (its bound, upper bound, reward or value)."""
    prefix = f"tiers.{index}."
    return [message for key, messages in (errors or {}).items() if key.startswith(prefix) for message in messages]


@register.filter
def source_label(kinds, kind):
    return dict(kinds).get(kind, kind)


@register.filter
def units(value) -> str:
    """A number of units with thousands separators, decimals only when there are any: 1250 ->
    "1,250", 2.5 -> "2.5"."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number.normalize():,f}"


@register.filter
def percent(value) -> str:
    """A rate stored as a percentage, shown as one: 3.0000 -> "3%", 2.5 -> "2.5%"."""
    if value in (None, ""):
        return ""
    return f"{units(value)}%"


@register.simple_tag
def field_errors(errors, key, row=None):
    """The errors of one field, right at it: <ul class="errorlist" data-errors-for="key">; with
    `row`, those of that cell of the tier table's row (key tiers.<row>.<cell>)."""
    if row is not None:
        key = f"tiers.{row}.{key}"
    messages = (errors or {}).get(key, [])
    if not messages:
        return ""
    return format_html(
        '<ul class="errorlist" id="e-{}" data-errors-for="{}" role="alert">{}</ul>',
        key.replace(".", "-"),
        key,
        format_html_join("", "<li>{}</li>", ((message,) for message in messages)),
    )


@register.filter
def has_errors(errors, key) -> bool:
    return bool((errors or {}).get(key))


@register.filter
def basis_figure(value, kind) -> str:
    """A figure of a rebate basis as people read it: units for a quantity basis ("1,250"), money
    otherwise ("114,497.95"). The explanation stores plain strings ("114497.95")."""
    from qudao.core.display import money_text
    from qudao.rebates.models import BasisKind

    if value in (None, ""):
        return ""
    return units(value) if kind == BasisKind.QUANTITY else money_text(value)


@register.simple_tag
def line_ratio_text(line) -> str:
    """A ratio line's ratio, its target (or last year) and the reward reached, in one sentence
    (qudao.rebates.ratios.line_text); "" for a line whose tiers are on the basis."""
    from qudao.rebates.ratios import line_text

    return line_text(line)


@register.filter
def ratio_percent(value) -> str:
    """A ratio or a ratio tier's bound stored in percent ("104.2000"), as people read it: "104.2%"."""
    from decimal import InvalidOperation

    from qudao.rebates.ratios import percent_text

    if value in (None, ""):
        return ""
    try:
        return percent_text(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
