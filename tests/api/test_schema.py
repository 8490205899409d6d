"""Schemathesis against the OpenAPI document: generated requests to every operation, through
the WSGI app in this process (so against the test database, on either engine); no 500, and
every response matches the schema. A fixed, derandomized budget keeps it fast and repeatable.

The operations are driven with Hypothesis directly (``APIOperation.as_strategy``): the
schemathesis pytest plugin's parametrisation does not run under pytest 9.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from casualties.wsgi import application

pytestmark = pytest.mark.usefixtures("default_data", "db")

EXAMPLES = 10
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
]
# The operations, read from the document itself at collection (no request needed).
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SchemaGenerator().get_schema(request=None, public=True)["paths"].items()
    for method in item
)


@pytest.fixture(scope="module")
def api_schema(default_data):
    """The document, read through the WSGI app. Its requests must not close the database
    connection at their end (Django's request_finished handler would, rolling back the test's
    transaction on PostgreSQL): the test client unhooks it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_every_operation_is_tested():
    assert ("GET", "/api/v1/figures/") in OPERATIONS and len(OPERATIONS) == 25


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_its_schema(api_schema, method, path):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(headers={"Host": "localhost"}, checks=CHECKS)

    run()
