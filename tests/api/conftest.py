"""The API's tests: an API client, and the default data loaded once per module."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client


@pytest.fixture
def api():
    """An anonymous client asking for JSON, as a script would."""
    return Client(HTTP_ACCEPT="application/json")


@pytest.fixture(scope="module")
def default_data(django_db_setup, django_db_blocker):
    """The default data, loaded once for the module inside a transaction rolled back at the end
    (tests/test_default_data.py does the same); each test runs in a savepoint within it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_default_data", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    """The rate limit has its own tests (test_http.py); elsewhere it would only count."""
    settings.API_RATE = "100000/minute"
