"""The default approval flow of rebate policies (返利政策审批): the channel manager reviews, finance
approves. Idempotent: an installation that already has a flow of that name keeps it."""

from django.db import migrations

FLOW = {
    "subject_kind": "rebate_policy",
    "name": "返利政策审批",
    "conditions": {},
    "priority": 0,
    "steps": [("渠道经理审核", "channel_manager", False), ("财务审批", "finance", False)],
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
    dependencies = [("rebates", "0001_initial"), ("core", "0003_webhooks")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
