"""Webhooks are never aimed at Qudao's own machine or network: loopback, private, link-local,
multicast, reserved and unspecified addresses (in any spelling: decimal, hex, octal, IPv4-mapped
IPv6, a name that resolves there) are refused when an endpoint is saved, with a field error, and
checked again at each delivery against the address actually connected to. QUDAO_WEBHOOK_ALLOWED_HOSTS
names the internal hosts (or networks) an on-premise ERP lives on."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from qudao.core import webhooks
from qudao.core.errors import FieldErrors
from qudao.core.events import publish
from qudao.core.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

from .webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def refusal(host: str, address: str) -> str:
    return (
        f"{host} is an internal address ({address}): webhooks are sent there only when the host is allowed "
        "in QUDAO_WEBHOOK_ALLOWED_HOSTS."
    )


@pytest.mark.parametrize(
    ("url", "host", "address"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "169.254.169.254"),
        ("http://localhost:8000/hooks", "localhost", "127.0.0.1"),
        ("http://[::1]/hooks", "::1", "::1"),
        ("http://0x7f000001/hooks", "0x7f000001", "127.0.0.1"),
        ("http://2130706433/hooks", "2130706433", "127.0.0.1"),
        ("http://0177.0.0.1/hooks", "0177.0.0.1", "127.0.0.1"),
        ("http://127.1/hooks", "127.1", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1", "127.0.0.1"),
        ("http://[::ffff:a9fe:a9fe]/hooks", "::ffff:a9fe:a9fe", "169.254.169.254"),
        ("https://10.1.2.3/hooks", "10.1.2.3", "10.1.2.3"),
        ("https://172.16.0.1/hooks", "172.16.0.1", "172.16.0.1"),
        ("https://192.168.1.1/hooks", "192.168.1.1", "192.168.1.1"),
        ("https://100.64.0.1/hooks", "100.64.0.1", "100.64.0.1"),
        ("http://0.0.0.0/hooks", "0.0.0.0", "0.0.0.0"),
        ("http://224.0.0.1/hooks", "224.0.0.1", "224.0.0.1"),
        ("http://240.0.0.1/hooks", "240.0.0.1", "240.0.0.1"),
        ("http://[fe80::1]/hooks", "fe80::1", "fe80::1"),
        ("http://[fd12:3456::1]/hooks", "fd12:3456::1", "fd12:3456::1"),
        ("http://[64:ff9b::7f00:1]/hooks", "64:ff9b::7f00:1", "127.0.0.1"),
        ("http://[2002:7f00:1::]/hooks", "2002:7f00:1::", "127.0.0.1"),
        ("http://erp.localhost/hooks", "erp.localhost", "erp.localhost"),
    ],
)
def test_an_internal_target_is_refused_when_saved(settings, url, host, address):
    # given: no internal host allowed
    settings.WEBHOOK_ALLOWED_HOSTS = []

    # when
    with pytest.raises(FieldErrors) as refused:
        webhooks.create_endpoint(data={"name": "ERP", "url": url})

    # then: a field error on the URL, and nothing saved
    assert refused.value.errors == {"url": [refusal(host, address)]}
    assert not WebhookEndpoint.objects.exists()


def test_the_api_refuses_an_internal_target_and_changes_nothing(world, api_client, settings):
    # given: an endpoint on a public address
    settings.WEBHOOK_ALLOWED_HOSTS = []
    admin = api_client(world.admin)
    created = admin.post(
        "/api/v1/webhooks/endpoints",
        json.dumps({"name": "ERP", "url": "https://93.184.216.34/hooks"}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content

    # when: it is aimed at the cloud metadata service, on creation and on a change
    new = admin.post(
        "/api/v1/webhooks/endpoints",
        json.dumps({"name": "meta", "url": "http://169.254.169.254/"}),
        content_type="application/json",
    )
    changed = admin.patch(
        f"/api/v1/webhooks/endpoints/{created.json()['id']}",
        json.dumps({"url": "http://[::1]:6379/"}),
        content_type="application/json",
    )

    # then: 422 on the url field; the endpoint keeps its address
    for response, host in ((new, "169.254.169.254"), (changed, "::1")):
        assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")
        assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("url", refusal(host, host))]
    assert list(WebhookEndpoint.objects.values_list("url", flat=True)) == ["https://93.184.216.34/hooks"]


def test_a_public_address_or_a_name_that_does_not_resolve_yet_is_accepted(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []

    # when: a public address and a name unknown to this machine's resolver (checked at delivery)
    public = webhooks.create_endpoint(data={"name": "cloud", "url": "https://93.184.216.34/hooks"})
    later = webhooks.create_endpoint(data={"name": "ERP", "url": "https://erp.example.invalid/hooks"})

    # then
    assert (public.url, later.url) == ("https://93.184.216.34/hooks", "https://erp.example.invalid/hooks")


def test_the_allowed_hosts_let_named_internal_hosts_and_networks_through(settings, receiver):
    # given: the on-premise ERP's network and this machine's name are allowed
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.0.5.0/24", "LOCALHOST"]

    # when
    erp = webhooks.create_endpoint(data={"name": "ERP", "url": "http://10.0.5.7/hooks"})
    local = webhooks.create_endpoint(data={"name": "local", "url": f"http://localhost:{receiver.port}/hooks/qudao"})
    with pytest.raises(FieldErrors) as other_network:
        webhooks.create_endpoint(data={"name": "other", "url": "http://10.0.6.7/hooks"})
    with pytest.raises(FieldErrors) as loopback_by_address:
        webhooks.create_endpoint(data={"name": "loop", "url": f"http://127.0.0.1:{receiver.port}/hooks/qudao"})

    # then: only what is allowed is accepted, and a delivery to the allowed name arrives
    assert (erp.url, local.url) == ("http://10.0.5.7/hooks", f"http://localhost:{receiver.port}/hooks/qudao")
    assert other_network.value.errors == {"url": [refusal("10.0.6.7", "10.0.6.7")]}
    assert loopback_by_address.value.errors == {"url": [refusal("127.0.0.1", "127.0.0.1")]}
    WebhookEndpoint.objects.filter(pk=erp.pk).update(active=False)
    publish("order.submitted", "order", 1, {"step": "submitted"})
    report = webhooks.dispatch()
    assert (report.delivered, report.failed) == (1, 0)
    assert [r["json"]["type"] for r in receiver.accepted()] == ["order.submitted"]


def test_a_delivery_to_a_target_that_is_no_longer_allowed_is_refused_and_nothing_is_sent(settings, receiver):
    # given: an endpoint saved while this machine was allowed, with an event waiting
    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    by_name = webhooks.create_endpoint(data={"name": "name", "url": f"http://localhost:{receiver.port}/hooks/qudao"})
    by_address = webhooks.create_endpoint(data={"name": "ip", "url": f"http://127.0.0.1:{receiver.port}/hooks/qudao"})
    publish("order.submitted", "order", 1, {"step": "submitted"})

    # when: the allowance is withdrawn before the delivery (as a DNS answer may change)
    settings.WEBHOOK_ALLOWED_HOSTS = []
    now = timezone.now()
    report = webhooks.dispatch(now)

    # then: no request reached the receiver; each attempt failed and says why, and is retried
    assert (report.delivered, report.failed) == (0, 2)
    assert receiver.requests == []
    reason = "a loopback address (not allowed in QUDAO_WEBHOOK_ALLOWED_HOSTS)"
    expected = {
        by_name.pk: f"Refused: localhost is 127.0.0.1, {reason}",
        by_address.pk: f"Refused: 127.0.0.1 is 127.0.0.1, {reason}",
    }
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
            "failed",
            None,
            expected[delivery.endpoint_id],
        )
    assert WebhookAttempt.objects.filter(succeeded=False, status_code=None).count() == 2
    # and: a ping is refused the same way
    ping = webhooks.ping(endpoint=by_name)
    assert (ping.status, ping.last_error, receiver.requests) == ("failed", expected[by_name.pk], [])
