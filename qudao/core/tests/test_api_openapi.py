"""API: the OpenAPI document describes every endpoint, with amounts as strings."""

from django.test import Client


def test_the_openapi_document_lists_the_endpoints_and_types_amounts_as_strings(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    for path, methods in {
        "/api/v1/regions": {"get"},
        "/api/v1/partners": {"get", "post"},
        "/api/v1/partners/{partner_id}": {"get", "patch"},
        "/api/v1/partners/{partner_id}/credit-changes": {"get", "post"},
        "/api/v1/applications": {"get", "post"},
        "/api/v1/approvals/{request_id}/decision": {"post"},
        "/api/v1/approval-flows/{flow_id}": {"get", "patch", "delete"},
        "/api/v1/settings": {"get", "patch"},
        "/api/v1/changes": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    schemas = document["components"]["schemas"]
    assert schemas["CreditChangeIn"]["properties"]["credit_limit"]["type"] == "string"
    assert schemas["CreditChangeOut"]["properties"]["new_limit"]["type"] == "string"
    assert schemas["CreditTermsOut"]["properties"]["credit_limit"]["type"] == "string"
    assert schemas["PartnerListPage"]["required"] == ["count", "items"]
    assert "multipart/form-data" in paths["/api/v1/applications"]["post"]["requestBody"]["content"]
    assert paths["/api/v1/applications"]["post"].get("security") in (None, [])
