"""Demo catalogue for `manage.py seed`: a two-level product-line tree of Chinese home appliances
(家电 > 厨电, 冰洗, 空调, ...), about 40 products (HOOD-A and HOOD-B of the README among them)
with a picture each, 120 SKUs with barcodes, cartons (箱) as an ordering unit, and a few
sales-scope rules. Deterministic for a given random generator.

The line names are those the demo partners name in Partner.product_lines, so each demo partner
is authorised for its own lines (partner-level allow rules, see catalog.scope)."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from qudao.core.models import Region

from . import services
from .models import Lifecycle, ProductLine

LINES = (
    # code, name
    ("kitchen", "厨电"),
    ("laundry-cold", "冰洗"),
    ("aircon", "空调"),
    ("small", "小家电"),
    ("tv", "彩电"),
    ("water-heater", "热水器"),
    ("water", "净水"),
)

# line code -> products: (code, name, base cost in yuan, carton size or 0, [(attribute name, [values])])
PRODUCTS = {
    "kitchen": [
        ("CXW-200", "侧吸式油烟机", 1100, 0, [("颜色", ["银色", "黑色", "灰色"])]),
        ("CXW-260", "顶吸式油烟机", 1350, 0, [("颜色", ["银色", "黑色"])]),
        ("JZT-Q5", "嵌入式燃气灶", 620, 0, [("气源", ["天然气", "液化气"])]),
        ("ZTD-100", "消毒柜", 780, 0, [("容量", ["100L", "120L"])]),
        ("WQP-13", "嵌入式洗碗机", 2600, 0, [("套数", ["13套", "15套"])]),
        ("DG-45", "蒸烤一体机", 2900, 0, [("颜色", ["黑色", "白色"])]),
    ],
    "laundry-cold": [
        ("BCD-452", "十字对开门冰箱", 3100, 0, [("颜色", ["白色", "金色", "灰色"])]),
        ("BCD-216", "三门冰箱", 1450, 0, [("颜色", ["白色", "银色"])]),
        ("BCD-118", "双门小冰箱", 780, 0, [("颜色", ["白色", "银色"])]),
        ("XQG-100", "滚筒洗衣机", 1650, 0, [("容量", ["10公斤", "12公斤"])]),
        ("XQB-80", "波轮洗衣机", 820, 0, [("容量", ["8公斤", "10公斤"])]),
        ("GDZ-10", "热泵干衣机", 2300, 0, [("容量", ["10公斤"])]),
    ],
    "aircon": [
        ("KFR-26G", "挂壁式空调 大1匹", 1550, 0, [("能效", ["一级", "三级"])]),
        ("KFR-35G", "挂壁式空调 1.5匹", 1800, 0, [("能效", ["一级", "三级"])]),
        ("KFR-50L", "柜式空调 2匹", 3300, 0, [("能效", ["一级", "三级"]), ("颜色", ["白色"])]),
        ("KFR-72L", "柜式空调 3匹", 4200, 0, [("能效", ["一级", "三级"])]),
        ("RFD-120", "中央空调 一拖三", 9800, 0, [("匹数", ["4匹", "5匹"])]),
    ],
    "small": [
        ("MB-40", "电饭煲", 150, 6, [("容量", ["3L", "4L", "5L"])]),
        ("MJ-60", "破壁料理机", 280, 4, [("颜色", ["白色", "灰色"])]),
        ("KF-30", "空气炸锅", 190, 6, [("容量", ["4.5L", "6L"])]),
        ("SH-17", "电热水壶", 60, 12, [("颜色", ["白色", "黑色", "粉色"])]),
        ("DF-20", "电风扇", 120, 4, [("类型", ["落地扇", "台扇", "塔扇"])]),
        ("XC-90", "吸尘器", 420, 2, [("类型", ["有线", "无线"])]),
        ("JH-30", "空气净化器", 880, 2, [("适用面积", ["40平米", "60平米"])]),
        ("DCL-15", "电磁炉", 160, 6, [("功率", ["2100W", "2200W"])]),
    ],
    "tv": [
        ("TV-55", "55英寸智能电视", 1900, 0, [("分辨率", ["4K"]), ("颜色", ["黑色", "银色"])]),
        ("TV-65", "65英寸智能电视", 2800, 0, [("分辨率", ["4K"]), ("刷新率", ["60Hz", "120Hz"])]),
        ("TV-75", "75英寸智能电视", 4100, 0, [("刷新率", ["60Hz", "120Hz"])]),
        ("TV-85", "85英寸巨幕电视", 6900, 0, [("刷新率", ["120Hz"])]),
    ],
    "water-heater": [
        ("F60-D", "电热水器 60升", 760, 0, [("容量", ["60L", "80L"])]),
        ("JSQ-16", "燃气热水器 16升", 1350, 0, [("气源", ["天然气", "液化气"])]),
        ("KF-200", "空气能热水器", 5600, 0, [("容量", ["200L", "300L"])]),
        ("DSZF-5", "即热式小厨宝", 320, 4, [("容量", ["5L", "6.6L"])]),
    ],
    "water": [
        ("JSJ-600", "反渗透净水器 600G", 1150, 0, [("通量", ["600G", "800G"])]),
        ("QZ-1000", "前置过滤器", 420, 2, [("通量", ["3吨", "4吨"])]),
        ("GX-800", "管线机", 380, 4, [("颜色", ["白色", "黑色"])]),
        ("LX-01", "净水器滤芯", 90, 12, [("型号", ["PP棉", "活性炭", "RO膜"])]),
    ],
}


def _barcode(number: int) -> str:
    """An EAN-13 in the 690 (China) range with its check digit."""
    body = f"690{number:09d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


# The README's worked examples name these two: HOOD-A at a base price of 1,299.00 and HOOD-B at
# 2,000.00 (pricing.demo prices the base list at cost + 35 % rounded to the yuan).
README_HOODS = (("HOOD-A", "欧式油烟机 A 款", Decimal("962.22")), ("HOOD-B", "欧式油烟机 B 款", Decimal("1481.48")))
LINE_COLOURS = {
    "kitchen": (176, 84, 48),
    "laundry-cold": (52, 120, 176),
    "aircon": (40, 150, 160),
    "small": (200, 140, 40),
    "tv": (60, 60, 90),
    "water-heater": (180, 60, 70),
    "water": (50, 140, 100),
}


def _seed_readme_hoods() -> int:
    product = services.create_product(
        data={
            "code": "HOOD",
            "name": "欧式油烟机",
            "product_line": "kitchen",
            "base_unit": "台",
            "lifecycle": Lifecycle.ON_SALE,
            "description": "欧式油烟机，厨电系列（README 示例中的 HOOD-A 与 HOOD-B）。",
        }
    )
    services.add_unit(product=product, data={"unit": "托", "factor": 6})
    for index, (code, name, cost) in enumerate(README_HOODS):
        services.create_sku(
            data={
                "product": product,
                "code": code,
                "barcode": _barcode(990_000 + index),
                "name": name,
                "attributes": {"款式": name[-3:]},
                "cost_price": cost,
                "min_order_qty": 1,
                "order_multiple": 1,
                "lifecycle": Lifecycle.ON_SALE,
            }
        )
    return len(README_HOODS)


def _seed_images() -> int:
    """One picture per product (a PNG drawn now, in its line's colour), through add_image: stored
    under its verified kind and served as image/png."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qudao.core.demo_media import demo_image

    from .models import Product

    count = 0
    for product in Product.objects.select_related("product_line").order_by("code"):
        colour = LINE_COLOURS.get(product.product_line.code, (90, 90, 90))
        picture = demo_image(product.code, colour, size=240)
        services.add_image(product=product, upload=SimpleUploadedFile(f"{product.code}.png", picture, "image/png"))
        count += 1
    return count


def seed_catalog(rng: random.Random, log: Callable[[str], None] = lambda message: None) -> dict:
    """Build the demo catalogue once (does nothing if product lines exist). Returns counts."""
    if ProductLine.objects.exists():
        return {"lines": ProductLine.objects.count(), "created": False}
    log("Creating the demo catalogue ...")
    counts = {"lines": 0, "products": 0, "skus": 0, "rules": 0, "created": True}
    barcode = 10_000
    with transaction.atomic():
        services.create_product_line(data={"code": "home", "name": "家电"})
        counts["lines"] += 1
        for sort_order, (code, name) in enumerate(LINES):
            services.create_product_line(data={"code": code, "name": name, "parent": "home", "sort_order": sort_order})
            counts["lines"] += 1
        for line_code, products in PRODUCTS.items():
            for code, name, cost, carton, attributes in products:
                lifecycle = rng.choices(
                    [Lifecycle.ON_SALE, Lifecycle.DRAFT, Lifecycle.DISCONTINUED], weights=(90, 5, 5)
                )[0]
                base_unit = "件" if carton else "台"
                product = services.create_product(
                    data={
                        "code": code,
                        "name": name,
                        "product_line": line_code,
                        "base_unit": base_unit,
                        "lifecycle": lifecycle,
                        "description": f"{name}，{dict(LINES)[line_code]}系列。",
                    }
                )
                counts["products"] += 1
                if carton:
                    services.add_unit(product=product, data={"unit": "箱", "factor": carton})
                else:
                    services.add_unit(product=product, data={"unit": "托", "factor": rng.choice((4, 6, 8))})
                variants = [{}]
                if cost >= 1000:  # big-ticket items come in a standard and a premium edition
                    attributes = [*attributes, ("版本", ["标准版", "尊享版"])]
                for attribute, values in attributes:
                    variants = [variant | {attribute: value} for variant in variants for value in values]
                for index, variant in enumerate(variants, start=1):
                    barcode += rng.randint(1, 40)
                    variation = Decimal(rng.randint(-5, 12)) / 100
                    services.create_sku(
                        data={
                            "product": product,
                            "code": f"{code}-{index:02d}",
                            "barcode": _barcode(barcode),
                            "name": " ".join([name, *variant.values()]),
                            "attributes": variant,
                            "cost_price": (Decimal(cost) * (1 + variation)).quantize(Decimal("0.01")),
                            "min_order_qty": carton or 1,
                            "order_multiple": carton or 1,
                            "lifecycle": Lifecycle.ON_SALE if rng.random() < 0.93 else Lifecycle.DISCONTINUED,
                        }
                    )
                    counts["skus"] += 1
        counts["skus"] += _seed_readme_hoods()
        counts["products"] += 1
        counts["images"] = _seed_images()
        rules = [
            {"effect": "allow", "product_line": "small", "note": "小家电向全渠道开放"},
            {"effect": "allow", "product_line": "home", "tier": "strategic", "note": "战略客户可经营全品类"},
            {"effect": "deny", "product_line": "aircon", "tier": "registered", "note": "注册级经销商暂不经营空调"},
            {"effect": "deny", "sku": "RFD-120-02", "note": "中央空调5匹仅限工程渠道"},
        ]
        if Region.objects.filter(code="440000").exists():
            rules.append(
                {"effect": "deny", "product_line": "water-heater", "region": "440000", "note": "华南热水器由直营覆盖"}
            )
        for rule in rules:
            services.create_scope_rule(data=rule)
            counts["rules"] += 1
    log(
        f"  {counts['lines']} product lines, {counts['products']} products, {counts['skus']} SKUs, "
        f"{counts['rules']} scope rules"
    )
    return counts
