"""Tier bounds of a quantity basis now count whole units in both styles: a tier "from 201" holds the
201st unit on, so its marginal slice starts after the 200th (before, it started after the 201st,
while the retrospective style already reached it with the 201st unit).

Retrospective policies keep their meaning unchanged. A marginal quantity policy's bounds move up by
one unit (a tier that started its slice after unit 200 was written "from 200"; it is now "from
201"), so every existing marginal policy pays exactly what it paid before and a re-run of a period
already posted posts no delta from this change. Bounds are moved from the top down so that two
tiers never share a bound on the way."""

from django.db import migrations


def units_bounds_up(apps, schema_editor):
    RebateTier = apps.get_model("rebates", "RebateTier")
    tiers = RebateTier.objects.filter(
        policy__basis="quantity", policy__tier_style="marginal", lower_bound__gt=0
    ).order_by("policy_id", "-lower_bound")
    for tier in tiers:
        RebateTier.objects.filter(pk=tier.pk).update(lower_bound=tier.lower_bound + 1)


def units_bounds_down(apps, schema_editor):
    RebateTier = apps.get_model("rebates", "RebateTier")
    tiers = RebateTier.objects.filter(
        policy__basis="quantity", policy__tier_style="marginal", lower_bound__gt=1
    ).order_by("policy_id", "lower_bound")
    for tier in tiers:
        RebateTier.objects.filter(pk=tier.pk).update(lower_bound=tier.lower_bound - 1)


class Migration(migrations.Migration):
    dependencies = [("rebates", "0003_progress")]

    operations = [migrations.RunPython(units_bounds_up, units_bounds_down)]
