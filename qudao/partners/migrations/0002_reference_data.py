from django.db import migrations


def load(apps, schema_editor):
    from qudao.partners import reference_data

    reference_data.load_regions(apps.get_model("core", "Region"))
    reference_data.load_tiers(apps.get_model("partners", "Tier"))
    reference_data.load_flows(apps.get_model("core", "ApprovalFlow"), apps.get_model("core", "ApprovalStep"))


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial"), ("core", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
