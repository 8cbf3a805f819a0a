"""Who may see which price lists and promotions. A list or promotion for one partner is that
partner's data: only those who see the partner (qudao.partners.scoping) see it; for anyone else it
does not exist (404). Lists and promotions for everyone, a tier or a region are policy, visible to
every HQ user with `pricing.view`."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qudao.partners.scoping import partner_q

from .models import PriceList, Promotion


def audience_visible_q(user) -> Q:
    """A Q over PriceList or Promotion: those whose partner (if any) `user` may see."""
    visible = partner_q(user, "partner__")
    return Q() if visible is None else Q(partner__isnull=True) | visible


def visible_price_lists(user) -> QuerySet:
    return PriceList.objects.filter(audience_visible_q(user))


def visible_promotions(user) -> QuerySet:
    return Promotion.objects.filter(audience_visible_q(user))
