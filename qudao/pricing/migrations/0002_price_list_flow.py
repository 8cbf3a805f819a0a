from django.db import migrations

FLOW = {
    "subject_kind": "price_list",
    "name": "价格政策审批",
    "steps": [("渠道经理审核", "channel_manager"), ("管理员审批", "admin")],
}


def load(apps, schema_editor):
    ApprovalFlow = apps.get_model("core", "ApprovalFlow")
    ApprovalStep = apps.get_model("core", "ApprovalStep")
    if ApprovalFlow.objects.filter(subject_kind=FLOW["subject_kind"], name=FLOW["name"]).exists():
        return
    flow = ApprovalFlow.objects.create(subject_kind=FLOW["subject_kind"], name=FLOW["name"], conditions={}, priority=0)
    for sequence, (name, role) in enumerate(FLOW["steps"], start=1):
        ApprovalStep.objects.create(flow=flow, sequence=sequence, name=name, approver_role=role, match_region=False)


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
