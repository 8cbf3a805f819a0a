"""The client's address behind the reverse proxy.

A request's REMOTE_ADDR is whoever opened the connection: behind the documented reverse proxy that
is the proxy, for every user at once. The proxy appends the address it saw to X-Forwarded-For, so
the client is found by walking that header from the right: every hop that is one of our proxies
(settings.TRUSTED_PROXIES, addresses or networks from QUDAO_TRUSTED_PROXIES) passed the request on;
the first hop that is not is the client. Anything further left was written by the client itself
and is never believed. When REMOTE_ADDR is not one of our proxies, the header is ignored: anyone
can send it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def parse_address(text: str) -> Address | None:
    """An address as proxies write it ("198.51.100.1", "198.51.100.1:4711", "[2001:db8::1]:4711",
    "::ffff:198.51.100.1" -> 198.51.100.1), or None."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address: Address | None) -> bool:
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    return address is not None and any(address in network for network in networks)


def client_address(request) -> str:
    """The address of the client that sent `request`, as text ("" when unknown)."""
    remote_text = request.META.get("REMOTE_ADDR", "") or ""
    remote = parse_address(remote_text)
    if not is_trusted_proxy(remote):
        return str(remote) if remote is not None else remote_text[:64]
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break  # not written by a proxy of ours: the last proxy that handed it on is all we know
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)
