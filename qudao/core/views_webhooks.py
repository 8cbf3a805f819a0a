"""Pages of outgoing webhooks (administrators): the endpoints (create, showing the secret once;
deactivate, rotate the secret, send a ping) and each endpoint's delivery log with replay."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import webhooks
from .errors import DomainError, FieldErrors
from .forms import Form
from .models import WebhookDelivery, WebhookEndpoint
from .pages import apply_field_errors, hq_page, paginate

PERMISSION = "webhooks.manage"


class EndpointForm(Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    url = forms.CharField(
        label=gettext_lazy("URL"), max_length=500, help_text=gettext_lazy("Where events are POSTed (http or https).")
    )
    event_types = forms.CharField(
        label=gettext_lazy("Event types"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Separated by spaces or commas, e.g. “order.shipped order.*”; empty for every event."),
    )


SECRET_KEY = "qudao_webhook_secret"


def _show_secret_once(request, endpoint: WebhookEndpoint):
    """Keep the new secret for the next page view only (then redirect: a reload never posts
    the form again, and the secret is gone from the session once shown)."""
    request.session[SECRET_KEY] = {"id": endpoint.pk, "name": endpoint.name, "secret": endpoint.secret}
    return redirect("core:webhooks")


@hq_page(PERMISSION)
def webhooks_view(request):
    """The endpoints, and the form for a new one (its secret is shown on the next view, once)."""
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.create_endpoint(data=form.cleaned_data)
        except FieldErrors as error:
            apply_field_errors(form, error)
        else:
            messages.success(request, _("Endpoint “%(name)s” is created.") % {"name": endpoint.name})
            return _show_secret_once(request, endpoint)
    endpoints = WebhookEndpoint.objects.order_by("-active", "name", "pk")
    created = request.session.pop(SECRET_KEY, None) if request.method == "GET" else None
    return render(
        request,
        "core/webhooks.html",
        {"form": form, "endpoints": endpoints, "created": created, "tab": "webhooks"},
    )


@hq_page(PERMISSION)
def webhook_detail_view(request, endpoint_id):
    """One endpoint's delivery log, newest first, filtered by status."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    status = request.GET.get("status") or ""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-pk")
    if status in WebhookDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    page = paginate(request, deliveries)
    return render(
        request,
        "core/webhooks_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "deliveries": page.object_list,
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
            "replayable": (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.DEAD),
            "tab": "webhooks",
        },
    )


@hq_page(PERMISSION)
@require_POST
def webhook_active_view(request, endpoint_id):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    active = request.POST.get("active") == "1"
    webhooks.update_endpoint(endpoint=endpoint, data={"active": active})
    if active:
        messages.success(request, _("Endpoint “%(name)s” is active again.") % {"name": endpoint.name})
    else:
        messages.success(
            request,
            _("Endpoint “%(name)s” is deactivated; its waiting deliveries go out if it is activated again.")
            % {"name": endpoint.name},
        )
    return redirect("core:webhooks")


@hq_page(PERMISSION)
@require_POST
def webhook_rotate_view(request, endpoint_id):
    """A new secret, shown on the next page view only."""
    endpoint = webhooks.rotate_secret(endpoint=get_object_or_404(WebhookEndpoint, pk=endpoint_id))
    messages.success(request, _("The secret of “%(name)s” is replaced.") % {"name": endpoint.name})
    return _show_secret_once(request, endpoint)


@hq_page(PERMISSION)
@require_POST
def webhook_test_view(request, endpoint_id):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    try:
        delivery = webhooks.ping(endpoint=endpoint)
    except DomainError as error:
        messages.error(request, str(error.detail))
        return redirect("core:webhooks")
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        messages.success(request, _("The ping was delivered (HTTP %(code)s).") % {"code": delivery.last_status_code})
    else:
        messages.error(request, _("The ping failed: %(error)s") % {"error": delivery.last_error})
    return redirect("core:webhook_detail", endpoint_id=endpoint.pk)


@hq_page(PERMISSION)
@require_POST
def webhook_replay_view(request, delivery_id):
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id)
    try:
        webhooks.replay(delivery=delivery)
    except DomainError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("Delivery %(id)s will be sent again.") % {"id": delivery.pk})
    return redirect("core:webhook_detail", endpoint_id=delivery.endpoint_id)
