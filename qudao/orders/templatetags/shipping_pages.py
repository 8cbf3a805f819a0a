"""Tags of the shipping partials on the order pages (HQ and portal): what they show is computed by
qudao.orders.views_shipping."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def shipping_hq(context, order):
    from qudao.orders.views_shipping import hq_actions

    return hq_actions(context["request"], order)


@register.simple_tag
def shipping_portal(order):
    from qudao.orders.views_shipping import portal_receipt

    return portal_receipt(order)


@register.filter
def errors_for(errors, key):
    """errors_for:"line.12" -> that field's messages from a {key: [messages]} dict."""
    if not errors:
        return []
    return errors.get(str(key), [])


@register.filter
def posted(values, key):
    if not values:
        return None
    return values.get(key) if hasattr(values, "get") else None


@register.filter
def line_errors(errors, line_id):
    """The messages of an order line's quantity field ("line.<id>")."""
    return errors_for(errors, f"line.{line_id}")


@register.filter
def posted_qty(values, line_id):
    return posted(values, f"qty_{line_id}")
