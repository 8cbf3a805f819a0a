"""The sales scope (经营范围): the one place that decides which SKUs a partner may see, price and
order. Everything partner-facing (catalogue, pricing, orders) asks this module.

A rule allows or denies a product line (with everything below it) or one SKU, to an audience:
everyone, a tier, a region (with its sub-regions), a tier in a region, or one partner. For a given
SKU the most specific matching rule decides:

    audience:  partner (4) > tier+region (3) > tier = region (2) > everyone (1)
    then:      a SKU rule > a line rule; a deeper line > a shallower line
    then:      at equal specificity, deny wins.

A SKU no rule covers is not authorised. A partner's authorised product lines
(Partner.product_lines, by line code or name) count as partner-level allow rules for those lines.

The computation is set-based: the few rules matching the partner and the product-line tree are
loaded once, the decision per line and per SKU named by a rule is worked out in Python, and the
answer is a Q over Sku.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Lifecycle, ProductLine, SalesScopeRule, Sku

EVERYONE, TIER_OR_REGION, TIER_AND_REGION, PARTNER = 1, 2, 3, 4
ALLOW, DENY = SalesScopeRule.Effect.ALLOW, SalesScopeRule.Effect.DENY


def _audience(rule: SalesScopeRule, partner) -> int | None:
    """How specifically `rule` names `partner` (None: it does not apply to it)."""
    if rule.partner_id is not None:
        return PARTNER if rule.partner_id == partner.pk else None
    tier_ok = rule.tier_id is None or rule.tier_id == partner.tier_id
    region_ok = rule.region_id is None or partner.region.path.startswith(rule.region.path)
    if not (tier_ok and region_ok):
        return None
    if rule.tier_id is not None and rule.region_id is not None:
        return TIER_AND_REGION
    if rule.tier_id is not None or rule.region_id is not None:
        return TIER_OR_REGION
    return EVERYONE


def _better(candidate: tuple, best: tuple | None) -> bool:
    """candidate/best are (specificity key, effect); deny wins a tie."""
    if best is None or candidate[0] > best[0]:
        return True
    return candidate[0] == best[0] and candidate[1] == DENY and best[1] != DENY


def _decisions(partner):
    """(allowed line ids, {sku id: allowed?} for SKUs a rule names and decides itself)."""
    region_paths = []
    path = partner.region.path
    # the partner's region and every region above it, by path prefix ("CN/", "CN/320000/", ...)
    parts = [part for part in path.split("/") if part]
    for index in range(1, len(parts) + 1):
        region_paths.append("/".join(parts[:index]) + "/")
    rules = list(
        SalesScopeRule.objects.select_related("region", "product_line")
        .filter(Q(partner=partner) | Q(partner__isnull=True))
        .filter(Q(tier__isnull=True) | Q(tier_id=partner.tier_id))
        .filter(Q(region__isnull=True) | Q(region__path__in=region_paths))
    )
    lines = list(ProductLine.objects.values_list("pk", "path", "depth", "code", "name"))
    by_id = {pk: (line_path, depth) for pk, line_path, depth, _code, _name in lines}

    line_rules = []  # (line path, (audience, 0, depth), effect)
    sku_rules = []  # (sku id, (audience, 1, 0), effect)
    for rule in rules:
        audience = _audience(rule, partner)
        if audience is None:
            continue
        if rule.sku_id is not None:
            sku_rules.append((rule.sku_id, (audience, 1, 0), rule.effect))
        elif rule.product_line_id in by_id:
            line_path, depth = by_id[rule.product_line_id]
            line_rules.append((line_path, (audience, 0, depth), rule.effect))
    named = {str(entry).strip() for entry in (partner.product_lines or []) if str(entry).strip()}
    for _pk, line_path, depth, code, name in lines:
        if code in named or name in named:
            line_rules.append((line_path, (PARTNER, 0, depth), ALLOW))

    line_best: dict[int, tuple | None] = {}
    for pk, line_path, _depth, _code, _name in lines:
        best = None
        for rule_path, key, effect in line_rules:
            if line_path.startswith(rule_path) and _better((key, effect), best):
                best = (key, effect)
        line_best[pk] = best
    allowed_lines = {pk for pk, best in line_best.items() if best is not None and best[1] == ALLOW}

    sku_best: dict[int, tuple] = {}
    for sku_id, key, effect in sku_rules:
        if _better((key, effect), sku_best.get(sku_id)):
            sku_best[sku_id] = (key, effect)
    explicit: dict[int, bool] = {}
    if sku_best:
        for sku_id, line_id in Sku.objects.filter(pk__in=sku_best).values_list("pk", "product__product_line_id"):
            best = sku_best[sku_id]
            line = line_best.get(line_id)
            if line is not None and line[0] > best[0]:
                best = line
            explicit[sku_id] = best[1] == ALLOW
    return allowed_lines, explicit


def allowed_sku_q(partner) -> Q:
    """The SKUs `partner` is authorised for (any lifecycle), as a Q over Sku."""
    allowed_lines, explicit = _decisions(partner)
    explicit_allowed = [pk for pk, allowed in explicit.items() if allowed]
    return (Q(product__product_line_id__in=sorted(allowed_lines)) & ~Q(pk__in=sorted(explicit))) | Q(
        pk__in=sorted(explicit_allowed)
    )


def is_sku_allowed(partner, sku) -> bool:
    return Sku.objects.filter(allowed_sku_q(partner), pk=sku.pk).exists()


def allowed_skus(partner) -> QuerySet:
    """The on-sale SKUs of on-sale products `partner` may see, price and order."""
    return Sku.objects.filter(allowed_sku_q(partner), lifecycle=Lifecycle.ON_SALE, product__lifecycle=Lifecycle.ON_SALE)
