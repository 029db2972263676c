"""The OpenAPI document describes the bodies the API really sends, its errors included."""

from __future__ import annotations

import jsonschema


def _documented_error(spec: dict) -> dict:
    response = spec["components"]["responses"]["DEFAULT_ERROR"]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_error_body_is_the_documented_error(app, login):
    schema = _documented_error(app.test_client().get("/api/openapi.json").get_json())
    applicant = login("zhangsan")
    responses = [
        app.test_client().get("/api/tasks/"),
        applicant.get("/api/tasks/"),
        applicant.get("/api/cases/YJS-0000-000000"),
        applicant.post_json("/api/cases/", {"answers": {}}),  # marshmallow: field → messages
        applicant.post_json("/api/cases/", {"theme": "enterprise-opening", "answers": {}}),
    ]
    bodies = [r.get_json() for r in responses]
    assert [(r.status_code, b["code"]) for r, b in zip(responses, bodies, strict=True)] == [
        (401, "unauthorized"),
        (403, "forbidden"),
        (404, "not_found"),
        (422, "unprocessable_entity"),
        (422, "invalid"),
    ]
    assert isinstance(bodies[3]["errors"], dict) and isinstance(bodies[4]["errors"], list)
    for body in bodies:
        jsonschema.validate(body, schema)
    assert set(schema["required"]) == {"code", "message"}
