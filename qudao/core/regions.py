"""Macro regions (大区) and "how near is a region to another" (ADR 0014).

Mainland China is commonly divided into seven macro regions; a channel team says "华南" before it
says "广东". They are not administrative units, so they are not `Region` rows: each is a fixed
group of province codes (GB/T 2260). A deployment may replace the grouping with
`settings.QUDAO_MACRO_REGIONS` ({code: (name, [province codes])}).

`nearness(served, target)` ranks how well a place serving the regions `served` covers `target`:
0 the same city, 1 the same province, 2 the same macro region, 3 anywhere else. Warehouse choice
(inventory.services.shipping_warehouse_ids) sorts by it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext_lazy as _

MACRO_REGIONS = {
    "north": (_("North China"), ("110000", "120000", "130000", "140000", "150000")),
    "northeast": (_("Northeast China"), ("210000", "220000", "230000")),
    "east": (_("East China"), ("310000", "320000", "330000", "340000", "350000", "360000", "370000", "710000")),
    "central": (_("Central China"), ("410000", "420000", "430000")),
    "south": (_("South China"), ("440000", "450000", "460000", "810000", "820000")),
    "southwest": (_("Southwest China"), ("500000", "510000", "520000", "530000", "540000")),
    "northwest": (_("Northwest China"), ("610000", "620000", "630000", "640000", "650000")),
}

SAME_CITY, SAME_PROVINCE, SAME_MACRO_REGION, ELSEWHERE = 0, 1, 2, 3


def macro_regions() -> dict:
    return getattr(settings, "QUDAO_MACRO_REGIONS", None) or MACRO_REGIONS


def province_code(region) -> str | None:
    """The province code of a region (itself for a province, its parent for a city; None for the
    country). From the materialised path "CN/440000/440100/", no query."""
    parts = [part for part in (getattr(region, "path", "") or "").split("/") if part]
    return parts[1] if len(parts) >= 2 else None


def city_code(region) -> str | None:
    parts = [part for part in (getattr(region, "path", "") or "").split("/") if part]
    return parts[2] if len(parts) >= 3 else None


def macro_region_of(region) -> str | None:
    """The code of the macro region the region lies in ("south" for Guangzhou), or None."""
    province = province_code(region)
    if province is None:
        return None
    for code, (_name, provinces) in macro_regions().items():
        if province in provinces:
            return code
    return None


def macro_region_name(code: str | None):
    found = macro_regions().get(code or "")
    return found[0] if found else ""


def nearness(served: Iterable, target) -> int:
    """How near a place serving the regions `served` (cities or provinces; the country serves
    everywhere equally, i.e. ELSEWHERE) is to the region `target`: SAME_CITY when it serves the
    target's city, SAME_PROVINCE when it serves (a city of) the target's province, SAME_MACRO_REGION
    when one of its regions lies in the target's macro region, else ELSEWHERE. No region: ELSEWHERE."""
    if target is None:
        return ELSEWHERE
    target_city, target_province = city_code(target), province_code(target)
    target_macro = macro_region_of(target)
    best = ELSEWHERE
    for region in served:
        if region is None or province_code(region) is None:
            continue
        city = city_code(region)
        if city is not None and target_city == city:
            return SAME_CITY
        if target_province is not None and province_code(region) == target_province:
            best = min(best, SAME_PROVINCE)
        elif target_macro is not None and macro_region_of(region) == target_macro:
            best = min(best, SAME_MACRO_REGION)
    return best
