"""Reads of the catalog: product and SKU lists with search and product-line filter, and the
partner's catalogue (through catalog.scope). Cost prices are never part of what these return to
partners: the API and pages decide per user whether to show the field (see `can_see_cost`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qudao.accounts.roles import HQRole
from qudao.core.numbers import parse_id

from . import scope
from .models import Product, ProductLine, SalesScopeRule, Sku

COST_ROLES = frozenset({HQRole.ADMIN, HQRole.FINANCE, HQRole.CHANNEL_MANAGER})


def can_see_cost(user) -> bool:
    """Cost prices: HQ administrators, finance and channel managers only, never partner users."""
    return bool(user is not None and user.is_authenticated and user.role_codes() & COST_ROLES)


def _line_subtree_q(line_ref, prefix: str) -> Q:
    """The products (via `prefix`) in this line or any line below it; an unknown line matches nothing."""
    if line_ref in (None, ""):
        return Q()
    text = str(line_ref).strip()
    line_id = parse_id(text)
    line = ProductLine.objects.filter(Q(code=text) | (Q(pk=line_id) if line_id else Q(pk__in=[]))).first()
    if line is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}product_line__path__startswith": line.path})


def product_list(filters: dict | None = None) -> QuerySet:
    """Products, searched by name or code (or a SKU's code or barcode), filtered by product line
    (with its sub-lines) and lifecycle."""
    filters = filters or {}
    products = Product.objects.select_related("product_line")
    q = (filters.get("q") or "").strip()
    if q:
        products = products.filter(
            Q(name__icontains=q)
            | Q(code__icontains=q)
            | Q(pk__in=Sku.objects.filter(Q(code__icontains=q) | Q(barcode=q)).values("product_id"))
        )
    products = products.filter(_line_subtree_q(filters.get("line"), ""))
    if filters.get("lifecycle"):
        products = products.filter(lifecycle=filters["lifecycle"])
    return products.order_by("code")


def sku_list(filters: dict | None = None, base: QuerySet | None = None) -> QuerySet:
    """SKUs, searched by name, code or barcode, filtered by product line (with its sub-lines),
    product and lifecycle."""
    filters = filters or {}
    skus = (base if base is not None else Sku.objects.all()).select_related("product__product_line")
    q = (filters.get("q") or "").strip()
    if q:
        skus = skus.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(barcode=q) | Q(product__name__icontains=q))
    skus = skus.filter(_line_subtree_q(filters.get("line"), "product__"))
    if filters.get("product"):
        skus = skus.filter(product_id=filters["product"])
    if filters.get("lifecycle"):
        skus = skus.filter(lifecycle=filters["lifecycle"])
    return skus.order_by("code")


def catalogue_for_partner(partner, filters: dict | None = None) -> QuerySet:
    """The on-sale SKUs `partner` is authorised for (catalog.scope), with the same search and
    product-line filter as `sku_list`."""
    filters = dict(filters or {})
    filters.pop("lifecycle", None)
    return sku_list(filters, base=scope.allowed_skus(partner))


def line_tree() -> list[ProductLine]:
    return list(ProductLine.objects.order_by("path"))


def scope_rules(filters: dict | None = None) -> QuerySet:
    filters = filters or {}
    rules = SalesScopeRule.objects.select_related("product_line", "sku", "tier", "region", "partner")
    if filters.get("partner"):
        rules = rules.filter(partner_id=filters["partner"])
    if filters.get("line"):
        rules = rules.filter(_line_subtree_q(filters["line"], ""))
    return rules.order_by("pk")
