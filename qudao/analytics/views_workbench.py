"""The HQ workbench (工作台, /workbench/): where HQ users land after logging in. Its to-dos, KPI
cards and charts come from the registries in qudao.core.workbench, filled by every context
(docs/workbench.md); this page only lays them out, each section hidden when it has nothing."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from qudao.core import workbench
from qudao.core.pages import hq_page


@require_GET
@hq_page("workbench.view")
def workbench_view(request):
    user = request.user
    today = timezone.localdate()
    context = {
        "today": today,
        "todos": workbench.todos_for(user),
        "kpis": workbench.kpis_for(user, today),
        "charts": workbench.charts_for(user, today),
    }
    return render(request, "analytics/workbench.html", context)
