"""Allocations get a business date (`allocated_on`): existing ones take the local day they were made."""

import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone


def from_created(apps, schema_editor):
    Allocation = apps.get_model("finance", "Allocation")
    batch = []
    for row in Allocation.objects.filter(allocated_on__isnull=True).only("pk", "created_at").iterator(chunk_size=2000):
        row.allocated_on = timezone.localdate(row.created_at)
        batch.append(row)
        if len(batch) >= 2000:
            Allocation.objects.bulk_update(batch, ["allocated_on"])
            batch = []
    Allocation.objects.bulk_update(batch, ["allocated_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0003_payment_idempotency_fingerprint"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocation",
            name="allocated_on",
            field=models.DateField(null=True, verbose_name="allocated on"),
        ),
        migrations.RunPython(from_created, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="allocation",
            name="allocated_on",
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name="allocated on"),
        ),
    ]
