"""A policy says which period a return reduces (`returns_count_in`). New policies count a credit note
in the period of the sale it reverses (a re-run of a settled period posts the negative delta).
Policies that exist already keep what they did - the period of the credit note - so that a return
already counted in a later, posted period is never taken a second time from the period of its sale;
their next version may choose the other rule."""

from django.db import migrations, models


def existing_keep_credit_note_period(apps, schema_editor):
    RebatePolicy = apps.get_model("rebates", "RebatePolicy")
    RebatePolicy.objects.update(returns_count_in="credit_note_period")


class Migration(migrations.Migration):
    dependencies = [("rebates", "0004_units_tier_bounds")]

    operations = [
        migrations.AddField(
            model_name="rebatepolicy",
            name="returns_count_in",
            field=models.CharField(
                choices=[
                    ("shipment_period", "The period of the sale it reverses (shipment, or invoice)"),
                    ("credit_note_period", "The period of the credit note"),
                ],
                default="shipment_period",
                max_length=20,
                verbose_name="returns count in",
            ),
        ),
        migrations.RunPython(existing_keep_credit_note_period, migrations.RunPython.noop),
    ]
