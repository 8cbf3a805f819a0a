"""The carriers a shipment may name, with the link to their tracking page.

A fixed registry of the common Chinese carriers (顺丰, 京东, 中通, 圆通, 申通, 韵达, 德邦, EMS); a
deployment replaces or extends it with `settings.QUDAO_CARRIERS`, a list of
{"code", "name", "tracking_url"} (the URL a template with `{number}`, the tracking number).

A shipment stores the carrier's code ("SF"). Shipments recorded before the registry, or by an ERP
that sends a carrier we do not list, keep their free text: it is shown as it is (or as the carrier
whose name or alias it is, with its link) and never refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Carrier:
    code: str
    name: object  # a lazy translation, or a plain text from the settings
    tracking_url: str  # with {number}
    aliases: tuple[str, ...] = field(default=())

    def link(self, number: str) -> str | None:
        number = (number or "").strip()
        if not number or "{number}" not in self.tracking_url or not web_template(self.tracking_url):
            return None
        return self.tracking_url.replace("{number}", quote(number, safe=""))


CARRIERS = (
    Carrier(
        "SF",
        _("SF Express"),
        "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
        ("顺丰", "顺丰速运", "順豐", "SF Express"),
    ),
    Carrier("JD", _("JD Logistics"), "https://www.jdl.com/orderSearch/?waybillCodes={number}", ("京东", "京东物流")),
    Carrier("ZTO", _("ZTO Express"), "https://www.zto.com/GuestService/Bill?txtbill={number}", ("中通", "中通快递")),
    Carrier("YTO", _("YTO Express"), "https://www.yto.net.cn/gw/index/index.html?waybillNo={number}", ("圆通",)),
    Carrier("STO", _("STO Express"), "https://www.sto.cn/pc/service-page/queryWaybill?billCode={number}", ("申通",)),
    Carrier("YUNDA", _("Yunda Express"), "https://www.yundaex.com/cn/?mailNo={number}", ("韵达", "韵达快递")),
    Carrier("DEPPON", _("Deppon Express"), "https://www.deppon.com/mail/?mailNo={number}", ("德邦", "德邦快递")),
    Carrier("EMS", _("EMS"), "https://www.ems.com.cn/queryList?mailNum={number}", ("中国邮政", "邮政EMS")),
)


def web_template(template) -> str:
    """`template` when it is an absolute http(s) address, else "": a tracking link is put in an
    href on every shipment page, so a configured `javascript:`, `data:` or relative template must
    never reach one."""
    text = str(template or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return text


def carriers() -> list[Carrier]:
    configured = getattr(settings, "QUDAO_CARRIERS", None)
    if not configured:
        return list(CARRIERS)
    return [
        Carrier(
            str(item["code"]).strip().upper(),
            item.get("name") or item["code"],
            web_template(item.get("tracking_url", "")),
            tuple(item.get("aliases", ())),
        )
        for item in configured
    ]


def find_carrier(value: str | None) -> Carrier | None:
    """The carrier named by a code ("SF", any case), its name or an alias ("顺丰"), else None."""
    text = (value or "").strip()
    if not text:
        return None
    folded = text.casefold()
    for carrier in carriers():
        if folded == carrier.code.casefold():
            return carrier
    for carrier in carriers():
        if folded == str(carrier.name).casefold() or folded in (alias.casefold() for alias in carrier.aliases):
            return carrier
    return None


def stored_carrier(value: str) -> str:
    """What a shipment stores: a known code in its canonical spelling ("sf" -> "SF"), any other
    text unchanged (backward compatibility: free texts stay accepted)."""
    text = (value or "").strip()
    known = find_carrier(text)
    return known.code if known is not None and text.casefold() == known.code.casefold() else text


def carrier_name(value: str) -> str:
    """The name to show for a stored carrier: the registry's name, or the stored text."""
    known = find_carrier(value)
    return str(known.name) if known is not None else (value or "")


def tracking_link(value: str, number: str) -> str | None:
    """The URL of the carrier's tracking page for this tracking number, or None."""
    known = find_carrier(value)
    return known.link(number) if known is not None else None


def choices() -> list[tuple[str, str]]:
    return [(carrier.code, str(carrier.name)) for carrier in carriers()]
