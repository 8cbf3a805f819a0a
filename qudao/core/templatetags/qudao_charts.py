"""Charts on pages: `{% chart option key=... title=... %}` emits the element qudao/static/qudao/
charts.js draws an Apache ECharts chart in, with the option as JSON inside a
<script type="application/json"> (json_script: <, > and & escaped, so no text in the option can
close the element); `{% chart_scripts %}` loads ECharts (served from node_modules, see
qudao/core/staticfinders.py) and charts.js, same-origin scripts as the Content-Security-Policy
wants. No inline script runs."""

from __future__ import annotations

import json
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils.html import format_html, json_script

register = template.Library()


class ChartJSONEncoder(DjangoJSONEncoder):
    """Decimal amounts become JSON numbers (ECharts draws numbers; the figure is only drawn, never
    computed with, so the binary rounding of a plotted point changes nothing)."""

    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


def option_json(option: dict) -> dict:
    """The option as plain JSON values (lazy translations as text, Decimals as numbers)."""
    return json.loads(json.dumps(option, cls=ChartJSONEncoder))


@register.simple_tag
def chart(option, key: str = "", title: str = "", renderer: str = "svg", height: int = 280):
    renderer = renderer if renderer in ("svg", "canvas") else "svg"
    height = max(120, min(int(height), 800))
    return format_html(
        '<div class="chart" data-chart data-renderer="{}" data-height="{}" data-testid="chart-{}" role="img" '
        'aria-label="{}">{}</div>',
        renderer,
        height,
        key,
        title,
        json_script(option_json(option or {})),
    )


@register.simple_tag(takes_context=True)
def chart_scripts(context):
    nonce = context.get("csp_nonce", "")
    return format_html(
        '<script src="{}" defer nonce="{}"></script><script src="{}" defer nonce="{}"></script>',
        static("vendor/echarts/echarts.min.js"),
        nonce,
        static("qudao/charts.js"),
        nonce,
    )
