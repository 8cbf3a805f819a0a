"""Credit notes get a business date (`issued_on`): existing ones take the local day they were made."""

import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone


def from_created(apps, schema_editor):
    CreditNote = apps.get_model("orders", "CreditNote")
    batch = []
    for note in CreditNote.objects.filter(issued_on__isnull=True).only("pk", "created_at").iterator(chunk_size=2000):
        note.issued_on = timezone.localdate(note.created_at)
        batch.append(note)
        if len(batch) >= 2000:
            CreditNote.objects.bulk_update(batch, ["issued_on"])
            batch = []
    CreditNote.objects.bulk_update(batch, ["issued_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_order_channel"),
        ("partners", "0005_fund_entry_expiry"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditnote",
            name="issued_on",
            field=models.DateField(null=True, verbose_name="issued on"),
        ),
        migrations.RunPython(from_created, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="creditnote",
            name="issued_on",
            field=models.DateField(default=django.utils.timezone.localdate, verbose_name="issued on"),
        ),
        migrations.AddIndex(
            model_name="creditnote",
            index=models.Index(fields=["partner", "issued_on"], name="orders_creditnote_partner_day"),
        ),
    ]
