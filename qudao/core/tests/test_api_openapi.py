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


def _models_of_every_route():
    """Every pydantic model an operation reads or answers with, nested ones included."""
    import typing

    from pydantic import BaseModel

    from qudao.api import api

    def types_in(annotation):
        yield annotation
        for argument in typing.get_args(annotation):
            yield from types_in(argument)

    seen: set[type] = set()

    def walk(model):
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or model in seen:
            return
        seen.add(model)
        for field in model.model_fields.values():
            for candidate in types_in(field.annotation):
                walk(candidate)

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    walk(model)
                for response in operation.response_models.values():
                    for candidate in types_in(response):
                        walk(candidate)
    return seen


def test_no_two_schemas_of_the_api_share_a_name():
    """django-ninja names a component schema by its class name: two classes of one name and one
    silently replaces the other in the document (an endpoint documented with another's fields)."""
    # given every model of every route
    by_name: dict[str, set[str]] = {}
    for model in _models_of_every_route():
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    # then each name is one class
    assert {name: classes for name, classes in by_name.items() if len(classes) > 1} == {}
    assert len(by_name) > 150


def test_the_document_is_valid_openapi_and_every_ref_resolves(db):
    from openapi_spec_validator import validate

    document = Client().get("/api/v1/openapi.json").json()
    validate(document)  # raises on an invalid document

    def refs(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    schemas = document["components"]["schemas"]
    dangling = {ref for ref in refs(document) if ref.removeprefix("#/components/schemas/") not in schemas}
    assert dangling == set()
    # the request bodies that used to name another endpoint's schema, or a dangling one
    paths = document["paths"]

    def body(path, method="post"):
        schema = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        return schemas[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema

    assert set(body("/api/v1/approvals/{request_id}/decision")["properties"]) == {
        "decision",
        "comment",
        "expected_step_id",
    }
    assert set(body("/api/v1/returns/{return_id}/approve")["properties"]) == {"note"}
    assert set(body("/api/v1/tiers")["properties"]) == {"code", "name", "rank", "description", "is_active"}
    assert set(
        body("/api/v1/rebates/policies")["properties"]["tiers"]["anyOf"][0]["items"]["$ref"].split("/")[-1:]
    ) == {"RebateTierIn"}
    rows = body("/api/v1/inventory/stock/bulk")["properties"]["rows"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert (rows, set(schemas[rows]["properties"])) == (
        "StockBulkRowIn",
        {"warehouse", "sku", "on_hand", "erp_version"},
    )
    lines = body("/api/v1/orders/{order_id}/returns")["properties"]["lines"]["items"]["$ref"]
    assert lines == "#/components/schemas/ReturnLineIn"
    assert set(schemas["ReturnLineIn"]["properties"]) == {"line_no", "quantity"}
    assert schemas["ReturnLineIn"]["properties"]["quantity"]["maximum"] == 1_000_000_000
    answer = paths["/api/v1/catalog/lines"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["items"]["$ref"] == "#/components/schemas/ProductLineOut"
    assert "path" in schemas["ProductLineOut"]["properties"]


def test_every_operation_documents_its_error_answers_as_problem_details(db):
    document = Client().get("/api/v1/openapi.json").json()
    problem = {"$ref": "#/components/schemas/Problem"}
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]
    missing = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            expected = {"403", "404", "422", "default"} | ({"401"} if operation.get("security") else set())
            for status in expected:
                content = operation["responses"].get(status, {}).get("content", {})
                if content.get("application/problem+json", {}).get("schema") != problem:
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []
    # the public ones do not promise a 401
    assert "401" not in document["paths"]["/api/v1/applications"]["post"]["responses"]


def test_every_number_an_operation_reads_is_bounded(db):
    """Ids, quantities and counts are integers with a minimum and a maximum (they must fit their
    columns); amounts are strings with a pattern; no input is a JSON number (a float)."""
    document = Client().get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    unbounded = []

    def check(schema, where, depth=0):
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        if depth > 6:
            return
        for option in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
            check(option, where, depth + 1)
        kind = schema.get("type")
        if kind == "number" or (kind == "integer" and ("minimum" not in schema or "maximum" not in schema)):
            unbounded.append(where)
        if kind == "array":
            for item in [schema.get("items", {})] + schema.get("prefixItems", []):
                check(item, f"{where}[]", depth + 1)
        for name, field in schema.get("properties", {}).items():
            check(field, f"{where}.{name}", depth + 1)

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                check(parameter["schema"], f"{method.upper()} {path} {parameter['in']}:{parameter['name']}")
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                check(content.get("schema", {}), f"{method.upper()} {path} {media}")
    assert unbounded == []
    credit = schemas["CreditChangeIn"]["properties"]["credit_limit"]
    assert (credit["type"], credit["pattern"]) == ("string", r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$")
