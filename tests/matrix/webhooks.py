"""Authorization matrix rows of outgoing webhooks (administrators only: webhooks.manage)."""

from __future__ import annotations

from tests.test_authorization_matrix import LOGIN, PORTAL, Case, expect, only


def admin(status):
    return only({"admin": status}, 403, 401)


ADMIN_PAGE = expect(403, anonymous=LOGIN, partners=PORTAL, admin=200)


def admin_post(location):
    return ADMIN_PAGE | {"admin": location}


def targets(world) -> dict:
    from qudao.core import webhooks
    from qudao.core.events import publish
    from qudao.core.models import WebhookDelivery

    # port 9 (discard) on the loopback refuses at once: the ping fails fast, nothing leaves the host
    endpoint = webhooks.create_endpoint(data={"name": "矩阵 ERP", "url": "http://127.0.0.1:9/matrix"})
    event = publish("order.shipped", "order", 4242, {"number": "SO-MATRIX"})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="dead", attempts=3)
    return {"webhook_endpoint": endpoint.pk, "webhook_delivery": delivery.pk}


API_CASES = [
    Case("GET", "/api/v1/webhooks/endpoints", admin(200)),
    Case(
        "POST",
        "/api/v1/webhooks/endpoints",
        admin(201),
        body=lambda t: {"name": "矩阵新", "url": "https://erp.example.cn/hooks", "event_types": ["order.*"]},
    ),
    Case("GET", "/api/v1/webhooks/endpoints/{webhook_endpoint}", admin(200)),
    Case("PATCH", "/api/v1/webhooks/endpoints/{webhook_endpoint}", admin(200), body=lambda t: {"active": False}),
    Case("DELETE", "/api/v1/webhooks/endpoints/{webhook_endpoint}", admin(204)),
    Case("POST", "/api/v1/webhooks/endpoints/{webhook_endpoint}/rotate-secret", admin(200)),
    Case("POST", "/api/v1/webhooks/endpoints/{webhook_endpoint}/test", admin(200)),
    Case("GET", "/api/v1/webhooks/deliveries", admin(200)),
    Case("GET", "/api/v1/webhooks/deliveries/{webhook_delivery}", admin(200)),
    Case("POST", "/api/v1/webhooks/deliveries/{webhook_delivery}/replay", admin(200)),
]

PAGE_CASES = [
    Case("GET", "settings/webhooks/", ADMIN_PAGE, page=True),
    Case("GET", "settings/webhooks/{webhook_endpoint}/", ADMIN_PAGE, page=True),
    Case(
        "POST",
        "settings/webhooks/{webhook_endpoint}/active/",
        admin_post("settings/webhooks/"),
        page=True,
        params={"active": "0"},
    ),
    Case("POST", "settings/webhooks/{webhook_endpoint}/rotate/", admin_post("settings/webhooks/"), page=True),
    Case(
        "POST",
        "settings/webhooks/{webhook_endpoint}/test/",
        admin_post("settings/webhooks/{webhook_endpoint}/"),
        page=True,
    ),
    Case(
        "POST",
        "settings/webhooks/deliveries/{webhook_delivery}/replay/",
        admin_post("settings/webhooks/{webhook_endpoint}/"),
        page=True,
    ),
]
