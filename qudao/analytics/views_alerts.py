"""Alert pages: the alerts (open, closed, all) with acknowledgement, and the rules (list, create,
edit, disable). Thin: the service and the reads are in qudao.analytics.alerts."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qudao.core.errors import FieldErrors, NotFound
from qudao.core.pages import apply_field_errors, hq_page, paginate, safe_next

from . import alerts
from .forms_alerts import AlertRuleForm, initial_of

STATES = ("open", "pending", "closed", "all")


@hq_page("alerts.view")
def alert_list_view(request):
    state = request.GET.get("state") if request.GET.get("state") in STATES else "open"
    try:
        rule_id = int(request.GET.get("rule") or 0) or None
    except ValueError:
        rule_id = None
    rows = alerts.visible_alerts(request.user, state=state, rule_id=rule_id)
    page = paginate(request, rows)
    for alert in page.object_list:
        alert.link = alerts.drilldown_url(alert)
        alert.value_text = alerts.value_text(alert)
    context = {
        "page": page,
        "rows": page.object_list,
        "state": state,
        "states": [("open", _("Open")), ("pending", _("To acknowledge")), ("closed", _("Closed")), ("all", _("All"))],
        "can_manage": request.user.can("alerts.manage"),
    }
    return render(request, "analytics/alert_list.html", context)


@require_POST
@hq_page("alerts.view", partner_users="404")
def alert_acknowledge_view(request, alert_id: int):
    try:
        alert = alerts.get_alert(request.user, alert_id)
    except NotFound:
        raise Http404() from None
    alerts.acknowledge(alert=alert, actor=request.user)
    messages.success(request, _("Alert acknowledged."))
    return redirect(safe_next(request, reverse("analytics:alerts")))


@hq_page("alerts.manage")
def rule_list_view(request):
    page = paginate(request, alerts.visible_rules(request.user))
    for rule in page.object_list:
        rule.threshold_text = alerts.threshold_text(rule)
    context = {"page": page, "rows": page.object_list, "create_url": reverse("analytics:alert_rule_create")}
    return render(request, "analytics/alert_rule_list.html", context)


def _rule_form(request, rule=None):
    form = AlertRuleForm(request.POST or None, user=request.user, initial=initial_of(rule) if rule else None)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is None:
                alerts.create_rule(data=form.cleaned_data, actor=request.user)
            else:
                alerts.update_rule(rule=rule, data=form.cleaned_data, actor=request.user)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Alert rule saved."))
            return redirect("analytics:alert_rules")
    return render(request, "analytics/alert_rule_form.html", {"form": form, "rule": rule})


@hq_page("alerts.manage")
def rule_create_view(request):
    return _rule_form(request)


@hq_page("alerts.manage", partner_users="404")
def rule_edit_view(request, rule_id: int):
    try:
        rule = alerts.get_rule(request.user, rule_id)
    except NotFound:
        raise Http404() from None
    return _rule_form(request, rule)


@require_POST
@hq_page("alerts.manage", partner_users="404")
def rule_active_view(request, rule_id: int):
    try:
        rule = alerts.get_rule(request.user, rule_id)
    except NotFound:
        raise Http404() from None
    active = request.POST.get("active") == "1"
    alerts.set_rule_active(rule=rule, active=active, actor=request.user)
    messages.success(request, _("Alert rule enabled.") if active else _("Alert rule disabled."))
    return redirect("analytics:alert_rules")
