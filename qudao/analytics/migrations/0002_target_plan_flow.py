"""The default approval flow of target plans (目标计划审批): the administrator approves what the
channel manager wrote. Idempotent: an installation that already has a flow of that name keeps it."""

from django.db import migrations

FLOW = {
    "subject_kind": "target_plan",
    "name": "目标计划审批",
    "conditions": {},
    "priority": 0,
    "steps": [("管理员审批", "admin", False)],
}


def load(apps, schema_editor):
    ApprovalFlow = apps.get_model("core", "ApprovalFlow")
    ApprovalStep = apps.get_model("core", "ApprovalStep")
    if ApprovalFlow.objects.filter(subject_kind=FLOW["subject_kind"], name=FLOW["name"]).exists():
        return
    flow = ApprovalFlow.objects.create(
        subject_kind=FLOW["subject_kind"], name=FLOW["name"], conditions=FLOW["conditions"], priority=FLOW["priority"]
    )
    for sequence, (name, role, match_region) in enumerate(FLOW["steps"], start=1):
        ApprovalStep.objects.create(flow=flow, sequence=sequence, name=name, approver_role=role, match_region=match_region)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_targets"), ("core", "0003_webhooks")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
