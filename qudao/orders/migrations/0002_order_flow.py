"""The default approval flow of orders (over the credit limit, and the brand's other order rules),
for databases created before it was part of the reference data."""

from django.db import migrations


def load(apps, schema_editor):
    from qudao.partners import reference_data

    reference_data.load_flows(apps.get_model("core", "ApprovalFlow"), apps.get_model("core", "ApprovalStep"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial"), ("partners", "0002_reference_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
