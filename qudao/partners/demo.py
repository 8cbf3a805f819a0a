"""Deterministic, realistic demo data: the partner network of a home-appliance brand.

`seed_demo(partners=200, seed=42)` builds, from one `random.Random(seed)`:

- the demo HQ users, one per role (admin, channel manager, regional managers of East China and of
  South China, finance, operations, sales), and partner users of a few named demo partners; every
  demo user logs in with `settings.DEMO_PASSWORD`;
- a few named demo partners created through the services (so they carry a full audit trail and
  history): a distributor in Nanjing with sub-dealers two levels deep, and an independent dealer in
  Guangzhou, with contacts, a tier change, a suspension, and credit-terms changes decided through
  the approval engine (one still waiting);
- pending partner applications in the approval inbox, submitted through `submit_application` with
  a generated licence PDF (one already past its first step);
- the bulk of the partners, planned in memory level by level (top distributors and independent
  partners, then their sub-dealers, then the sub-dealers of second-level distributors) with their
  ids reserved up front, so each materialised path is computed in Python (parent's path + own id)
  and every row is written by one multi-row INSERT, parents first; `--partners 50000` takes
  seconds. Bulk rows are loaded like a migration from a legacy system: they get contacts, tags and
  their status and tier history, but no audit-trail entries or outbox events.

The same seed on a fresh database gives the same partners (codes, names, credit codes, regions,
hierarchy); `digest()` fingerprints them. Benchmarks reuse this generator.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from qudao.accounts.models import User
from qudao.accounts.roles import HQRole, PartnerRole
from qudao.core import approvals
from qudao.core.audit import acting_as
from qudao.core.models import BrandSettings, Region
from qudao.core.validators import USCC_ALPHABET, uscc_check_character

from . import services
from .models import (
    CreditTermsChange,
    Partner,
    PartnerApplication,
    PartnerContact,
    PartnerMember,
    PartnerStatus,
    PartnerStatusChange,
    PartnerTag,
    PartnerType,
    Tier,
    TierChange,
)

DEFAULT_PARTNERS = 200
DEFAULT_SEED = 42
BATCH_SIZE = 1000

# --- reference lists -------------------------------------------------------------------------
# fmt: off

EAST_CHINA = ("310000", "320000", "330000", "340000", "350000", "360000", "370000")  # 华东
SOUTH_CHINA = ("440000", "450000", "460000")  # 华南
MACRO_REGIONS = (
    ("110000", "120000", "130000", "140000", "150000"),  # 华北
    ("210000", "220000", "230000"),  # 东北
    EAST_CHINA,
    ("410000", "420000", "430000"),  # 华中
    SOUTH_CHINA,
    ("500000", "510000", "520000", "530000", "540000"),  # 西南
    ("610000", "620000", "630000", "640000", "650000"),  # 西北
)
# How many partners a province gets, roughly in proportion to its appliance market.
PROVINCE_WEIGHTS = {
    "440000": 12, "320000": 11, "330000": 9, "370000": 8, "410000": 6, "510000": 6, "420000": 5,
    "350000": 5, "430000": 5, "340000": 4, "310000": 4, "110000": 4, "130000": 4, "610000": 3,
    "360000": 3, "500000": 3, "210000": 3, "530000": 3, "450000": 3, "140000": 2, "150000": 2,
    "520000": 2, "650000": 2, "120000": 2, "230000": 2, "220000": 2, "620000": 1, "460000": 1,
    "640000": 1, "630000": 1, "540000": 0.5,
}

TRADE_NAMES = (
    "恒通", "美佳", "鑫源", "华联", "宏达", "金诚", "永盛", "汇丰", "百顺", "佳和", "新纪元", "瑞祥", "德信",
    "万家", "天成", "嘉禾", "海纳", "中瑞", "亿达", "盛世", "东方", "富康", "昌隆", "利民", "安泰", "广源",
    "兴业", "荣耀", "祥和", "博远", "联创", "鼎盛", "和信", "明辉", "金盾", "光华", "达通", "弘毅",
    "旭日", "丰源", "泰和", "同创", "凯旋", "诚信", "家乐", "润泽", "隆兴", "远航", "聚宝", "锦程", "金鹏",
    "益康", "顺发", "红星", "恒润", "众诚", "时代", "宝丽", "鸿运", "华强", "启航", "新世纪", "天宇", "正大",
    "开元", "伟业", "乐家", "惠民", "华美", "金源", "龙腾", "合众", "信达", "福满", "俊达", "佳美", "晨光",
)
INDUSTRY_WORDS = ("家电", "电器", "电子", "商贸", "家居", "电气", "科技", "贸易", "五金", "数码")
COMPANY_FORMS = (
    # (suffix, weight, individual business?)
    ("商贸有限公司", 30, False),
    ("有限公司", 20, False),
    ("贸易有限公司", 10, False),
    ("科技有限公司", 8, False),
    ("电器经营部", 14, True),
    ("家电商行", 8, True),
    ("电器销售中心", 5, True),
    ("家电城", 5, True),
)
SERVICE_FORMS = (("安装服务有限公司", 1, False), ("家电维修服务部", 1, True), ("售后服务有限公司", 1, False))
PRODUCT_LINES = ("厨电", "冰洗", "空调", "小家电", "彩电", "热水器", "净水")
TAGS = ("重点客户", "新开发", "KA卖场", "县级市场", "电商渠道", "工程渠道", "专卖店", "下沉市场", "以旧换新")
ROADS = (
    "人民路", "解放路", "中山路", "建设路", "长江路", "和平路", "新华路", "文化路", "胜利路", "东风路", "青年路",
    "迎宾大道", "滨江大道", "工业园路", "商贸城路", "朝阳路", "光明路", "振兴路", "幸福路", "友谊路",
)
BANKS = ("中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "兴业银行", "浦发银行")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
    "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "文博", "子涵", "雨轩", "浩然", "建国", "丹", "鹏",
    "玉兰", "红梅", "俊杰", "思远", "欣怡", "宇航", "立新",
)
CONTACT_ROLES = ("总经理", "采购经理", "财务", "店长", "销售经理", "售后主管")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191",
    "198", "199",
)
SUSPENSION_REASONS = (
    "逾期回款超过90天，暂停发货",
    "连续两个季度未达成销售目标",
    "跨区域销售（窜货），暂停合作待核查",
    "营业执照年检过期，待补充资质",
)
TERMINATION_REASONS = (
    "合同到期未续签",
    "经营不善，主动申请退出",
    "严重违反区域销售协议",
    "门店关闭，终止合作",
)

# (share of distributors, of non-distributors): tier code -> weight. Strategic few, registered many.
DISTRIBUTOR_TIERS = {"strategic": 12, "gold": 38, "silver": 35, "registered": 15}
DEALER_TIERS = {"strategic": 0.5, "gold": 7.5, "silver": 27, "registered": 65}
OTHER_TYPES = {PartnerType.DEALER: 80, PartnerType.AGENT: 12, PartnerType.SERVICE: 8}
CREDIT_RANGES = {  # tier -> (low, high, step) of the credit limit in CNY
    "distributor": {
        "strategic": (3_000_000, 10_000_000, 100_000),
        "gold": (1_000_000, 4_000_000, 50_000),
        "silver": (300_000, 1_500_000, 50_000),
        "registered": (100_000, 500_000, 10_000),
    },
    "other": {
        "strategic": (500_000, 2_000_000, 50_000),
        "gold": (200_000, 800_000, 10_000),
        "silver": (50_000, 300_000, 5_000),
        "registered": (0, 100_000, 5_000),
    },
}
# fmt: on


# --- the demo users --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str  # an HQ role or a partner role
    regions: tuple[str, ...] = ()
    partner_code: str = ""  # partner users: the partner they belong to
    description: str = ""


HQ_USERS = (
    DemoUser("admin", "赵敏", HQRole.ADMIN, description="everything, including settings and users"),
    DemoUser("channel", "李伟", HQRole.CHANNEL_MANAGER, description="all partners; recruits, approves, sets tiers"),
    DemoUser("regional_east", "王芳", HQRole.REGIONAL_MANAGER, EAST_CHINA, description="partners of East China (华东)"),
    DemoUser(
        "regional_south", "黄志强", HQRole.REGIONAL_MANAGER, SOUTH_CHINA, description="partners of South China (华南)"
    ),
    DemoUser(
        "finance",
        "刘洋",
        HQRole.FINANCE,
        description="all partners; credit, invoices, payments, statements, rebate runs",
    ),
    DemoUser("operations", "张磊", HQRole.OPERATIONS, description="all partners; stock, orders, shipments, returns"),
    DemoUser("sales", "陈静", HQRole.SALES, description="the partners it owns"),
)
PARTNER_USERS = (
    DemoUser(
        "dist_admin",
        "周建华",
        PartnerRole.ADMIN,
        partner_code="P000001",
        description="distributor 恒通家电 and its sub-dealers",
    ),
    DemoUser(
        "dist_staff",
        "吴倩",
        PartnerRole.STAFF,
        partner_code="P000001",
        description="distributor 恒通家电 and its sub-dealers",
    ),
    DemoUser("sub_admin", "孙涛", PartnerRole.ADMIN, partner_code="P000002", description="sub-dealer 美佳电器 only"),
    DemoUser("dealer_admin", "何丽", PartnerRole.ADMIN, partner_code="P000006", description="dealer 羊城优品 only"),
)
DEMO_USERS = HQ_USERS + PARTNER_USERS


def demo_logins() -> list[dict]:
    """The demo users that exist in this database, with the demo password, for printing."""
    existing = set(
        User.objects.filter(username__in=[user.username for user in DEMO_USERS]).values_list("username", flat=True)
    )
    return [
        {
            "username": user.username,
            "password": settings.DEMO_PASSWORD,
            "role": str(user.role),
            "sees": user.description,
        }
        for user in DEMO_USERS
        if user.username in existing
    ]


def format_logins(rows: list[dict]) -> str:
    """The demo logins as a plain-text table."""
    if not rows:
        return ""
    headers = {"username": "username", "password": "password", "role": "role", "sees": "sees"}
    widths = {key: max(len(headers[key]), *(len(row[key]) for row in rows)) for key in headers}
    lines = ["  ".join(headers[key].ljust(widths[key]) for key in headers).rstrip()]
    lines.append("  ".join("-" * widths[key] for key in headers))
    for row in rows:
        lines.append("  ".join(row[key].ljust(widths[key]) for key in headers).rstrip())
    return "\n".join(lines)


# --- helpers ---------------------------------------------------------------------------------


def place_name(region: Region) -> str:
    """The short place name used in company names: 苏州 for 苏州市, 延边 for 延边朝鲜族自治州."""
    name = region.name
    if name.endswith("自治州"):
        for long_name in ("西双版纳", "巴音郭楞", "克孜勒苏", "博尔塔拉"):
            if name.startswith(long_name):
                return long_name
        return name[:2]
    for suffix in ("地区", "市", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def organisation_code_check(first8: str) -> str:
    """GB 11714 check character of the 9-character organisation code inside a credit code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(char) if char.isdigit() else ord(char) - 55) * weight for char, weight in zip(first8, weights, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def licence_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF (ASCII text) standing in for a licence scan."""
    text = (
        "BT /F1 14 Tf 60 780 Td 18 TL "
        + " ".join("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines)
        + " ET"
    )
    stream = text.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@dataclass
class SeedReport:
    partners: int = 0
    distributors: int = 0
    sub_dealers: int = 0
    contacts: int = 0
    users: int = 0
    applications: int = 0
    seconds: float = 0.0
    logins: list[dict] = field(default_factory=list)


class SeedRefused(Exception):
    """The database already has partners (use force to add more)."""


class _Generator:
    """Everything random comes from one random.Random(seed), drawn in a fixed order."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._cumulative: dict[int, tuple[list, list]] = {}
        self.now = timezone.now().replace(microsecond=0)
        self.used_credit_codes: set[str] = set(
            Partner.objects.exclude(credit_code=None).values_list("credit_code", flat=True)
        ) | set(PartnerApplication.objects.values_list("credit_code", flat=True))
        self.used_names: set[str] = set(Partner.objects.values_list("legal_name", flat=True)) | set(
            PartnerApplication.objects.values_list("legal_name", flat=True)
        )
        self.used_mobiles: set[str] = set(PartnerContact.objects.values_list("mobile", flat=True)) | set(
            User.objects.values_list("mobile", flat=True)
        )
        every_region = list(Region.objects.order_by("code"))
        by_id = {region.pk: region for region in every_region}
        for region in every_region:  # wire up parents in memory: no query per region later
            region.parent = by_id.get(region.parent_id)
        regions = [region for region in every_region if region.level != Region.Level.COUNTRY]
        self.regions_by_code = {region.code: region for region in regions}
        self.regions_by_path = {region.path: region for region in regions}
        self.provinces = [region for region in regions if region.level == Region.Level.PROVINCE]
        self.cities_of: dict[str, list[Region]] = {}
        for region in regions:
            if region.level == Region.Level.CITY:
                self.cities_of.setdefault(region.parent.code, []).append(region)
        self.seedable_provinces = [
            province
            for province in self.provinces
            if self.cities_of.get(province.code) and PROVINCE_WEIGHTS.get(province.code, 0) > 0
        ]
        self.province_weights = [PROVINCE_WEIGHTS[province.code] for province in self.seedable_provinces]
        self.tiers = {tier.code: tier for tier in Tier.objects.filter(is_active=True)}

    # --- small draws ------------------------------------------------------------------------

    def weighted(self, weights: dict):
        cached = self._cumulative.get(id(weights))
        if cached is None:
            keys, total, cumulative = list(weights), 0, []
            for key in keys:
                total += weights[key]
                cumulative.append(total)
            cached = self._cumulative[id(weights)] = (keys, cumulative)
        return self.rng.choices(cached[0], cum_weights=cached[1])[0]

    def city_in(self, province: Region) -> Region:
        cities = self.cities_of[province.code]
        weights = [3, 2] + [1] * (len(cities) - 2) if len(cities) > 1 else [1]
        return self.rng.choices(cities, weights=weights[: len(cities)])[0]

    def random_city(self) -> Region:
        province = self.rng.choices(self.seedable_provinces, weights=self.province_weights)[0]
        return self.city_in(province)

    def city_within(self, paths: list[str]) -> Region:
        """A city inside one of these region paths (a province's or a city's)."""
        region = self.regions_by_path[self.rng.choice(paths)]
        return region if region.level == Region.Level.CITY else self.city_in(region)

    def credit_code(self, region: Region, individual: bool) -> str:
        while True:
            body = "".join(self.rng.choice(USCC_ALPHABET) for _ in range(6))
            org = "MA" + body
            org += organisation_code_check(org)
            first17 = ("92" if individual else "91") + region.code[:6] + org
            code = first17 + uscc_check_character(first17)
            if code not in self.used_credit_codes:
                self.used_credit_codes.add(code)
                return code

    def company_name(self, city: Region, forms=COMPANY_FORMS) -> tuple[str, str, bool]:
        """(legal name, short name, individual business?) unique in this database."""
        place = place_name(city)
        for attempt in range(200):
            trade = self.rng.choice(TRADE_NAMES)
            if attempt > 50:  # a crowded city: a two-part trade name
                trade += self.rng.choice(TRADE_NAMES)[:1]
            industry = self.rng.choice(INDUSTRY_WORDS)
            suffix, _weight, individual = self.rng.choices(forms, weights=[form[1] for form in forms])[0]
            if suffix.startswith(industry) or (industry in ("商贸", "贸易") and "贸" in suffix):
                industry = "家电"
            legal = f"{place}{trade}{industry}{suffix}"
            if legal not in self.used_names:
                self.used_names.add(legal)
                return legal, f"{trade}{industry}", individual
        raise RuntimeError(f"ran out of company names for {city.name}")

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def address(self, city: Region) -> str:
        province = city.parent
        prefix = "" if province is None or province.name == city.name else province.name
        return f"{prefix}{city.name}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号"

    def bank(self, city: Region) -> tuple[str, str]:
        return (
            f"{self.rng.choice(BANKS)}{place_name(city)}分行",
            f"62{self.rng.randrange(10**17):017d}",
        )

    def credit_limit(self, kind: str, tier_code: str) -> Decimal:
        low, high, step = CREDIT_RANGES[kind][tier_code]
        return Decimal(self.rng.randrange(low, high + 1, step))

    def product_lines(self) -> list[str]:
        return sorted(self.rng.sample(PRODUCT_LINES, self.rng.choices((1, 2, 3, 4), weights=(3, 4, 3, 1))[0]))


# --- the named demo partners (through the services) ------------------------------------------

NAMED_PARTNERS = (
    # code, type, legal name, short name, region, tier, parent code, territories, credit (limit, days)
    ("P000001", "distributor", "南京恒通家电商贸有限公司", "恒通家电", "320100", "gold", "", ["320000"]),
    ("P000002", "dealer", "苏州美佳电器经营部", "美佳电器", "320500", "silver", "P000001", []),
    ("P000003", "dealer", "无锡百顺家电有限公司", "百顺家电", "320200", "registered", "P000001", []),
    ("P000004", "distributor", "徐州鑫源电器商贸有限公司", "鑫源电器", "320300", "silver", "P000001", ["320300"]),
    ("P000005", "dealer", "徐州佳和家电商行", "佳和家电", "320300", "registered", "P000004", []),
    ("P000006", "dealer", "广州羊城优品电器有限公司", "羊城优品", "440100", "silver", "", []),
)

NAMED_APPLICATIONS = (
    # type, legal name, short name, region, parent code, product lines, contact, advance first step?
    (
        "distributor",
        "合肥庐州华联家电商贸有限公司",
        "华联家电",
        "340100",
        "",
        ["冰洗", "空调", "厨电"],
        "钱文博",
        False,
    ),
    ("distributor", "福州闽都宏达电器有限公司", "宏达电器", "350100", "", ["空调", "小家电"], "林晓东", True),
    ("dealer", "南通江海乐家电器经营部", "乐家电器", "320600", "P000001", ["小家电", "彩电"], "顾海燕", False),
    ("service", "深圳鹏城安信安装服务有限公司", "安信安装", "440300", "", ["空调", "热水器"], "邓俊杰", False),
)


def _create_users(gen: _Generator) -> dict[str, User]:
    """The demo users (kept when they already exist). One password hash for all: it is public."""
    password_hash = make_password(settings.DEMO_PASSWORD)
    users: dict[str, User] = {}
    from qudao.accounts.services import create_user

    for demo in DEMO_USERS:
        existing = User.objects.filter(username=demo.username).first()
        mobile = gen.mobile()  # drawn even when the user exists: keeps later draws stable
        if existing is not None:
            users[demo.username] = existing
            continue
        if demo.partner_code and not Partner.objects.filter(code=demo.partner_code).exists():
            continue
        regions = [gen.regions_by_code[code] for code in demo.regions if code in gen.regions_by_code]
        user = create_user(
            username=demo.username,
            password=None,
            email=f"{demo.username}@example.com",
            mobile=mobile,
            display_name=demo.display_name,
            roles=[] if demo.partner_code else [demo.role],
            regions=regions,
        )
        user.password = password_hash
        user.save(update_fields=["password"])
        if demo.partner_code:
            PartnerMember.objects.create(user=user, partner=Partner.objects.get(code=demo.partner_code), role=demo.role)
        users[demo.username] = user
    return users


def _create_named_partners(gen: _Generator, users: dict[str, User]) -> list[Partner]:
    channel = users["channel"]
    created = []
    with acting_as(channel):
        for code, kind, legal, short, region_code, tier, parent_code, territories in NAMED_PARTNERS:
            region = gen.regions_by_code[region_code]
            gen.used_names.add(legal)
            owner = "sales" if region_code.startswith("44") else "regional_east"
            bank_name, bank_account = gen.bank(region)
            partner = services.create_partner(
                code=code,
                actor=channel,
                data={
                    "partner_type": kind,
                    "legal_name": legal,
                    "short_name": short,
                    "credit_code": gen.credit_code(region, individual="经营部" in legal or "商行" in legal),
                    "region": region,
                    "address": gen.address(region),
                    "invoice_title": legal,
                    "bank_name": bank_name,
                    "bank_account": bank_account,
                    "tier": tier,
                    "parent": Partner.objects.get(code=parent_code).pk if parent_code else None,
                    "territories": territories,
                    "product_lines": gen.product_lines(),
                    "tags": ["重点客户"] if kind == "distributor" else ["专卖店"],
                    "channel_manager": channel,
                    "regional_owner": users[owner],
                    "payment_terms_days": 30,
                },
                contacts=[
                    {
                        "name": gen.person(),
                        "role": "总经理",
                        "mobile": gen.mobile(),
                        "is_primary": True,
                        "email": f"{code.lower()}@example.com",
                    },
                    {"name": gen.person(), "role": "采购经理", "mobile": gen.mobile()},
                ],
            )
            created.append(partner)
        distributor = created[0]
        services.change_tier(
            partner=distributor, tier="strategic", reason="2025年销售额突破5000万元，升级为战略伙伴", actor=channel
        )
        services.change_status(
            partner=created[2], to_status=PartnerStatus.SUSPENDED, reason="逾期回款超过90天，暂停发货", actor=channel
        )
    return created


def _credit_history(partners: list[Partner], users: dict[str, User]) -> None:
    """Credit terms of the named partners: one change through both approval steps, one small
    change applied at once, one change still waiting for approval."""
    finance, channel, admin = users["finance"], users["channel"], users["admin"]
    distributor, dealer = partners[0], partners[5]
    with acting_as(finance):
        change = services.request_credit_change(
            partner=distributor,
            credit_limit="3000000.00",
            payment_terms_days=45,
            reason="年度授信评审：核定2026年度额度",
            actor=finance,
        )
    for approver in (channel, admin):
        with acting_as(approver):
            approvals.decide(request_id=change.approval_id, actor=approver, decision="approve", comment="同意")
    with acting_as(finance):
        services.request_credit_change(
            partner=dealer,
            credit_limit="80000.00",
            payment_terms_days=30,
            reason="新开门店，核定首期授信",
            actor=finance,
        )
        distributor.refresh_from_db()
        services.request_credit_change(
            partner=distributor,
            credit_limit="3800000.00",
            payment_terms_days=45,
            reason="旺季备货，申请临时提额",
            actor=finance,
        )


def _submit_applications(gen: _Generator, users: dict[str, User]) -> int:
    count = 0
    for kind, legal, short, region_code, parent_code, lines, contact, advance in NAMED_APPLICATIONS:
        region = gen.regions_by_code[region_code]
        gen.used_names.add(legal)
        credit_code = gen.credit_code(region, individual="经营部" in legal)
        pdf = licence_pdf(
            [
                "Business licence (demo scan)",
                f"Unified social credit code: {credit_code}",
                "Qudao demo data - not a real document.",
            ]
        )
        with acting_as(None):
            application = services.submit_application(
                data={
                    "partner_type": kind,
                    "legal_name": legal,
                    "short_name": short,
                    "credit_code": credit_code,
                    "region": region_code,
                    "address": gen.address(region),
                    "product_lines": lines,
                    "parent": Partner.objects.get(code=parent_code).pk if parent_code else None,
                    "contact_name": contact,
                    "contact_mobile": gen.mobile(),
                    "contact_email": f"apply{count + 1}@example.com",
                    "message": "希望成为贵品牌授权伙伴，已有多年家电销售经验。",
                },
                licence=SimpleUploadedFile("licence.pdf", pdf, content_type="application/pdf"),
            )
        count += 1
        if advance and application.approval_id:
            approver = users["regional_east"]
            with acting_as(approver):
                approvals.decide(
                    request_id=application.approval_id,
                    actor=approver,
                    decision="approve",
                    comment="资质齐全，区域内无冲突，同意",
                )
    return count


# --- the bulk partners -----------------------------------------------------------------------


@dataclass(slots=True)
class _Spec:
    """One planned bulk partner: its row, and what its children and details need."""

    row: dict
    parent: _Spec | None = None
    territories: list[Region] = field(default_factory=list)  # explicit sales territory
    territory_paths: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    age_days: int = 0
    history: list[tuple[str, str, str, int]] = field(default_factory=list)  # (from, to, reason, days ago)

    @property
    def pk(self) -> int:
        return self.row["id"]

    @property
    def active(self) -> bool:
        return self.row["status"] == PartnerStatus.ACTIVE


def _plan_bulk(
    gen: _Generator, count: int, users: dict[str, User], start_number: int, first_id: int
) -> list[list[_Spec]]:
    """Decide every bulk partner in memory, grouped by depth (parents before children). Ids are
    reserved here, so each materialised path is computed in Python: parent's path + own id."""
    rng = gen.rng
    distributors = round(count * 0.15)
    top = max(1, round(distributors * 0.75)) if distributors else 0
    second = distributors - top
    others = count - distributors
    under_parent = round(others * 0.6) if top else 0
    independent = others - under_parent
    under_second = round(under_parent * 0.3) if second else 0
    under_top = under_parent - under_second
    numbers = iter(range(start_number, start_number + count))
    ids = iter(range(first_id, first_id + count))
    created_reason = _("Partner created")
    channel_id = users["channel"].pk

    def owner_for(region: Region) -> int | None:
        province = region.parent.code if region.level == Region.Level.CITY else region.code
        if province in EAST_CHINA:
            return users["sales"].pk if rng.random() < 0.3 else users["regional_east"].pk
        if province in SOUTH_CHINA:
            return users["sales"].pk if rng.random() < 0.2 else users["regional_south"].pk
        return None

    def make(kind: str, city: Region, parent: _Spec | None) -> _Spec:
        distributor = kind == PartnerType.DISTRIBUTOR
        if distributor:
            legal, short, individual = gen.company_name(city, COMPANY_FORMS[:4])
        elif kind == PartnerType.SERVICE:
            legal, short, individual = gen.company_name(city, SERVICE_FORMS)
        else:
            legal, short, individual = gen.company_name(city)
        tier = gen.weighted(DISTRIBUTOR_TIERS if distributor else DEALER_TIERS)
        bank_name, bank_account = gen.bank(city)
        address = gen.address(city)
        age = rng.randint(60, 1800) if parent is None else rng.randint(0, max(0, parent.age_days - 1))
        roll = rng.random()
        history = [("", PartnerStatus.ACTIVE, created_reason, age)]
        status = PartnerStatus.ACTIVE
        if roll < (0.03 if distributor else 0.06):
            status = PartnerStatus.SUSPENDED
            history.append((PartnerStatus.ACTIVE, status, rng.choice(SUSPENSION_REASONS), rng.randint(0, age)))
        elif not distributor and roll < 0.10:
            status = PartnerStatus.TERMINATED
            history.append((PartnerStatus.ACTIVE, status, rng.choice(TERMINATION_REASONS), rng.randint(0, age)))
        pk = next(ids)
        row = {
            "id": pk,
            "code": f"P{next(numbers):06d}",
            "partner_type": str(kind),
            "legal_name": legal,
            "short_name": short,
            "credit_code": gen.credit_code(city, individual),
            "region_id": city.pk,
            "address": address,
            "invoice_title": legal,
            "invoice_address_phone": f"{address} {gen.mobile()}",
            "bank_name": bank_name,
            "bank_account": bank_account,
            "tier_id": gen.tiers[tier].pk,
            "status": str(status),
            "product_lines": gen.product_lines(),
            "parent_id": parent.pk if parent else None,
            "path": f"{parent.row['path'] if parent else '/'}{pk}/",
            "depth": parent.row["depth"] + 1 if parent else 0,
            "channel_manager_id": channel_id
            if distributor or tier in ("strategic", "gold") or rng.random() < 0.4
            else None,
            "regional_owner_id": owner_for(city),
            "credit_limit": gen.credit_limit("distributor" if distributor else "other", tier),
            "credit_currency": "CNY",
            "payment_terms_days": rng.choice((0, 15, 30, 30, 45, 60)),
            "created_at": gen.now - timedelta(days=age, seconds=rng.randrange(86400)),
            "updated_at": gen.now,
        }
        tags = sorted(rng.sample(TAGS, rng.choices((0, 1, 2), weights=(5, 4, 1))[0]))
        return _Spec(row=row, parent=parent, tags=tags, age_days=age, history=history)

    def other_kind() -> str:
        return gen.weighted(OTHER_TYPES)

    level0: list[_Spec] = []
    for _index in range(top):
        city = gen.random_city()
        spec = make(PartnerType.DISTRIBUTOR, city, None)
        province = city.parent
        spec.territory_paths = [province.path]
        if rng.random() < 0.2:  # a bigger distributor: also a neighbouring province of the same area
            group = next((group for group in MACRO_REGIONS if province.code in group), ())
            neighbours = [code for code in group if code != province.code and gen.cities_of.get(code)]
            if neighbours:
                extra = gen.regions_by_code[rng.choice(neighbours)]
                spec.territories = [province, extra]
                spec.territory_paths = [province.path, extra.path]
        level0.append(spec)
    top_specs = [spec for spec in level0 if spec.active] or list(level0)
    for _index in range(independent):
        level0.append(make(other_kind(), gen.random_city(), None))

    level1: list[_Spec] = []
    second_specs: list[_Spec] = []
    for _index in range(second):
        parent = rng.choice(top_specs)
        city = gen.city_within(parent.territory_paths)
        spec = make(PartnerType.DISTRIBUTOR, city, parent)
        spec.territories = [city]  # a city distributor: covers its own city
        spec.territory_paths = [city.path]
        level1.append(spec)
        second_specs.append(spec)
    for _index in range(under_top):
        parent = rng.choice(top_specs)
        level1.append(make(other_kind(), gen.city_within(parent.territory_paths), parent))

    level2: list[_Spec] = []
    active_second = [spec for spec in second_specs if spec.active] or second_specs
    for _index in range(under_second):
        parent = rng.choice(active_second)
        level2.append(make(other_kind(), gen.city_within(parent.territory_paths), parent))
    return [level for level in (level0, level1, level2) if level]


def _write_bulk(levels: list[list[_Spec]], log: Callable[[str], None]) -> int:
    """Insert the planned partners level by level (parents first), with their ids and paths, then
    their territories and tags; then move the id sequence past the ids used."""
    written = 0
    for depth, level in enumerate(levels):
        insert_rows(Partner, [spec.row for spec in level])
        written += len(level)
        log(f"  partners at depth {depth}: {len(level)}")
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Partner]):
            cursor.execute(sql)
    specs = [spec for level in levels for spec in level]
    insert_rows(
        Partner.territories.through,
        [{"partner_id": spec.pk, "region_id": region.pk} for spec in specs for region in spec.territories],
    )
    tag_ids = {name: PartnerTag.objects.get_or_create(name=name)[0].pk for name in TAGS}
    insert_rows(
        Partner.tags.through,
        [{"partner_id": spec.pk, "partnertag_id": tag_ids[tag]} for spec in specs for tag in spec.tags],
    )
    return written


def _bulk_details(gen: _Generator, levels: list[list[_Spec]]) -> int:
    """Contacts, status history and tier history of the bulk partners (drawn after the partners,
    in the same order, so the partners themselves do not depend on them)."""
    rng = gen.rng
    contacts, statuses, tiers = [], [], []
    created_reason = _("Partner created")
    for level in levels:
        for spec in level:
            row = spec.row
            for index in range(rng.choices((1, 2, 3), weights=(5, 4, 1))[0]):
                email = f"{row['code'].lower()}@example.com" if index == 0 and rng.random() < 0.5 else ""
                role = CONTACT_ROLES[0] if index == 0 else rng.choice(CONTACT_ROLES[1:])
                contacts.append(
                    {
                        "partner_id": spec.pk,
                        "name": gen.person(),
                        "role": role,
                        "mobile": gen.mobile(),
                        "email": email,
                        "is_primary": index == 0,
                    }
                )
            for from_status, to_status, reason, days_ago in spec.history:
                at = row["created_at"] if not from_status else gen.now - timedelta(days=days_ago)
                statuses.append(
                    {
                        "partner_id": spec.pk,
                        "from_status": str(from_status),
                        "to_status": str(to_status),
                        "reason": reason,
                        "at": at,
                        "actor_id": None,
                    }
                )
            tiers.append(
                {
                    "partner_id": spec.pk,
                    "from_tier_id": None,
                    "to_tier_id": row["tier_id"],
                    "reason": created_reason,
                    "at": row["created_at"],
                    "actor_id": None,
                }
            )
    insert_rows(PartnerContact, contacts)
    insert_rows(PartnerStatusChange, statuses)
    insert_rows(TierChange, tiers)
    return len(contacts)


_PREPARED_TYPES = {"DateTimeField", "DateField", "DecimalField", "JSONField"}


def insert_rows(model, rows: list[dict]) -> None:
    """Write many rows at once (COPY on PostgreSQL, executemany elsewhere): no model instances,
    no signals, no audit trail (bulk demo data only). `rows` are dicts by attname; a field left
    out gets its default (auto_now fields: now). Values are prepared by their fields, as the ORM
    prepares them."""
    if not rows:
        return
    now = timezone.now()
    given = rows[0].keys()
    fields = [
        model_field
        for model_field in model._meta.concrete_fields
        if model_field.attname in given
        or not (model_field.primary_key and model_field.get_internal_type().endswith("AutoField"))
    ]
    defaults = {}
    for model_field in fields:
        if model_field.attname not in given:
            automatic = getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False)
            defaults[model_field.attname] = now if automatic else model_field.get_default()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model_field.column) for model_field in fields)
    preparers = [
        (lambda value, model_field=model_field: model_field.get_db_prep_save(value, connection))
        if model_field.get_internal_type() in _PREPARED_TYPES
        else None
        for model_field in fields
    ]
    names = [model_field.attname for model_field in fields]

    def values(row: dict) -> list:
        result = []
        for name, prepare in zip(names, preparers, strict=True):
            value = row[name] if name in row else defaults[name]
            result.append(prepare(value) if prepare else value)
        return result

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the fastest way into PostgreSQL (one stream, no statement per row).
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(rows), BATCH_SIZE * 10):
            cursor.executemany(sql, [values(row) for row in rows[start : start + BATCH_SIZE * 10]])


def _next_code_number() -> int:
    highest = 0
    for code in Partner.objects.filter(code__regex=r"^P[0-9]{6}$").values_list("code", flat=True):
        highest = max(highest, int(code[1:]))
    return highest + 1


def _analyze() -> None:
    """Fresh statistics after a bulk load, so the query planner knows the new table sizes."""
    with connection.cursor() as cursor:
        for model in (Partner, PartnerContact, PartnerStatusChange, Partner.tags.through, Partner.territories.through):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def seed_demo(
    *,
    partners: int = DEFAULT_PARTNERS,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> SeedReport:
    """Build the demo data. `partners` is how many partners exist afterwards (on an empty
    database). :raises SeedRefused: partners exist and `force` is False.
    :raises ValueError: fewer partners than the named demo partners."""
    started = time.monotonic()
    if Partner.objects.exists() and not force:
        raise SeedRefused("The database already has partners.")
    fresh = not Partner.objects.filter(code=NAMED_PARTNERS[0][0]).exists()
    if fresh and partners < len(NAMED_PARTNERS):
        raise ValueError(f"Seed at least {len(NAMED_PARTNERS)} partners (the named demo partners).")
    report = SeedReport()
    BrandSettings.current()
    gen = _Generator(seed)
    if set(DISTRIBUTOR_TIERS) - set(gen.tiers):
        raise ValueError("The default tiers (strategic, gold, silver, registered) are missing; run migrate.")
    # No e-mail from a seed run: applicants and approvers are made up (and the console backend
    # would print every message).
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        users = _create_users(gen)
        named: list[Partner] = []
        if fresh:
            log("Creating the named demo partners, users, applications and credit changes ...")
            named = _create_named_partners(gen, users)
            users.update(_create_users(gen))  # the partner users, now that their partners exist
            _credit_history(named, users)
            report.applications = _submit_applications(gen, users)
        bulk = max(0, partners - len(named))
        if bulk:
            log(f"Generating {bulk} partners ...")
            if connection.vendor == "postgresql":  # ids are reserved below: nobody else inserts meanwhile
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Partner._meta.db_table)} IN EXCLUSIVE MODE")
            first_id = (Partner.objects.aggregate(highest=Max("id"))["highest"] or 0) + 1
            levels = _plan_bulk(gen, bulk, users, _next_code_number(), first_id)
            _write_bulk(levels, log)
            report.contacts = _bulk_details(gen, levels)
        _analyze()
    report.partners = Partner.objects.count()
    report.sub_dealers = Partner.objects.filter(parent__isnull=False).count()
    report.distributors = Partner.objects.filter(partner_type=PartnerType.DISTRIBUTOR).count()
    report.users = User.objects.filter(username__in=[user.username for user in DEMO_USERS]).count()
    report.logins = demo_logins()
    report.seconds = time.monotonic() - started
    return report


def digest() -> str:
    """A fingerprint of the partner network (codes, names, credit codes, regions, hierarchy,
    tiers, statuses, credit terms): the same seed on a fresh database gives the same digest."""
    hasher = hashlib.sha256()
    rows = (
        Partner.objects.order_by("code")
        .values_list(
            "code",
            "legal_name",
            "short_name",
            "credit_code",
            "partner_type",
            "region__code",
            "parent__code",
            "tier__code",
            "status",
            "credit_limit",
            "payment_terms_days",
            "depth",
        )
        .iterator(chunk_size=5000)
    )
    for row in rows:
        hasher.update("|".join("" if value is None else str(value) for value in row).encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def pending_credit_changes() -> int:
    return CreditTermsChange.objects.filter(status=CreditTermsChange.Status.PENDING).count()
