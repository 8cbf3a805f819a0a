"""`{% export_buttons %}`: the "Export Excel" and "Export CSV" links of a list page. Each link is
the list's own URL with its current filters and `format=xlsx|csv` (qudao.core.exports);
qudao.js refreshes the filters from the address bar when clicked (htmx filters update it)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def export_url(context, file_format: str, path: str = "", export: str = "") -> str:
    request = context["request"]
    params = request.GET.copy()
    for key in ("page", "format", "per_page", "export"):
        params.pop(key, None)
    if export:
        params["export"] = export
    params["format"] = file_format
    return f"{path or request.path}?{params.urlencode()}"


@register.inclusion_tag("partials/export_buttons.html", takes_context=True)
def export_buttons(context, path: str = "", portal: bool = False, export: str = "", label: str = ""):
    """The two links; `export` names another of the page's exports (?export=shipments), `label`
    what it holds ("Shipments": the links then read "Shipments (Excel)" and "Shipments (CSV)")."""
    return {
        "xlsx_url": export_url(context, "xlsx", path, export),
        "csv_url": export_url(context, "csv", path, export),
        "portal": portal,
        "export": export,
        "label": label,
    }
