"""Template helpers of the rebate pages."""

from django import template

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
