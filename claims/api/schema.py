"""The error answers every operation may give, in the OpenAPI document (a drf-spectacular
postprocessing hook): 400 (a malformed parameter, with the reason by parameter), 404 (no such
object, release or page) and 429 (over the rate limit, with Retry-After)."""

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
INVALID = {
    "type": "object",
    "description": "The reason, by parameter.",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
}


def _json(ref, description, headers=None):
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("InvalidParameters", INVALID)
    retry_after = {
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
    }
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/") or path.endswith("openapi.json"):
            continue
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", _json("InvalidParameters", "A malformed parameter."))
            responses.setdefault("404", _json("Error", "No such object, release or page."))
            responses.setdefault(
                "429", _json("Error", "Too many requests from this address.", retry_after)
            )
    return result
