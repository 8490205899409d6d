"""Personas and a small hand-made world shared by the tests."""

import copy
import datetime
import os

import pytest
from django.contrib.auth import get_user_model
from django.test.utils import override_settings
from hypothesis import settings as hypothesis_settings
from pytest_django.fixtures import validate_django_db

from casualties.history import change_context
from casualties.models import Category, Conflict, Party, Side
from claims.models import Claimant, Source
from claims.services import claim_create

SETUP = "test setup"

# Hypothesis: the same examples on every run, so a run fails or passes for the code and not for
# the draw ("ci", the default; each test's max_examples is its fixed budget). `make test-deep`
# loads "deep": random draws and HYPOTHESIS_DEEP_FACTOR (10) times the examples.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None)
hypothesis_settings.register_profile("deep", derandomize=False, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items):
    # The longest tests first (``@pytest.mark.long``): the workers share the rest as they go,
    # and the run does not end with one worker finishing a long test while the other waits.
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
    if os.environ.get("HYPOTHESIS_PROFILE") != "deep":
        return
    factor = int(os.environ.get("HYPOTHESIS_DEEP_FACTOR", "10"))
    for item in items:
        test = getattr(item, "obj", None)
        chosen = getattr(test, "_hypothesis_internal_use_settings", None)
        if chosen is not None:
            test._hypothesis_internal_use_settings = hypothesis_settings(
                chosen, max_examples=chosen.max_examples * factor
            )


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Users are made in most tests; the production hasher (PBKDF2, a million rounds) took
    about a third of a second for each. Passwords are still checked, just cheaply."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _release_storage(tmp_path_factory):
    """Release files (claims/releases.py) go to a folder of the test session, not var/."""
    from django.conf import settings

    storages = {
        **settings.STORAGES,
        "releases": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("releases"))},
        },
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, and before they are dropped: a connection a test left
    open is ended (one stays after the browser and backup tests; which thread holds it is not
    known yet). PostgreSQL waited five seconds for it, then refused to drop the database, at
    the end of a worker's run."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.close()


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-boss-123!")


TRANSACTIONAL = {"transactional_db", "live_server"}


def shares_the_world(item) -> bool:
    """Whether a test can take its world from its module's: it uses no database, or it asks
    for the world and does not commit for real (no live server or other connection has to see
    its writes)."""
    marker, names = item.get_closest_marker("django_db"), set(item.fixturenames)
    if marker is None and not {"db", *TRANSACTIONAL} & names:
        return True
    # The marker read as pytest-django reads it (its arguments may also come by position).
    transaction, reset_sequences, *_ = validate_django_db(marker) if marker else (False, False)
    commits = TRANSACTIONAL & names or transaction or reset_sequences
    return "world" in names and not commits


def make_world():
    """Two sides, a child party, a third country, claimants of each kind, a few categories."""
    w = type("World", (), {})()
    with change_context(user=None, reason=SETUP):
        w.conflict = Conflict.objects.create(
            name="Test war", slug="test-war", start_date=datetime.date(2020, 9, 27),
            end_date=datetime.date(2020, 11, 10),
        )  # fmt: skip
        w.side_a = Side.objects.create(conflict=w.conflict, name="Side A", slug="side-a")
        w.side_b = Side.objects.create(conflict=w.conflict, name="Side B", slug="side-b")
        w.alpha = Party.objects.create(
            conflict=w.conflict, name="Alpha", slug="alpha", side=w.side_a
        )
        w.alpha_army = Party.objects.create(
            conflict=w.conflict, name="Alpha army", slug="alpha-army", side=w.side_a, parent=w.alpha
        )
        w.beta = Party.objects.create(conflict=w.conflict, name="Beta", slug="beta", side=w.side_b)
        w.neutral = Party.objects.create(
            conflict=w.conflict, name="Neutralia", slug="neutralia", kind="third_country"
        )
        w.alpha_mod = Claimant.objects.create(
            name="Alpha MoD", slug="alpha-mod", kind="military", party=w.alpha
        )
        w.beta_mod = Claimant.objects.create(
            name="Beta MoD", slug="beta-mod", kind="military", party=w.beta
        )
        w.ngo = Claimant.objects.create(name="Watchers", slug="watchers", kind="ngo")
        w.killed = Category.objects.create(
            name="Military personnel killed", slug="military-killed", kind="personnel"
        )
        w.civilians_killed = Category.objects.create(
            name="Civilians killed", slug="civilians-killed", kind="civilian"
        )
        w.tanks = Category.objects.create(
            name="Tanks destroyed", slug="tanks-destroyed", kind="equipment", unit="items",
            outcome="destroyed",
        )  # fmt: skip
        w.source = Source.objects.create(
            slug="report", title="A report", publisher="Watchers", url="https://example.org/r"
        )
    return w


@pytest.fixture(scope="module")
def module_world(request, django_db_setup, django_db_blocker):
    """The world made once for a module whose database tests all use it (Django's
    ``setUpTestData``): in a transaction rolled back after the module's last test, each test
    running in a savepoint inside it. None elsewhere: a test that did not ask for the world
    must not find it, nor a transactional test a transaction around it."""
    if not all(shares_the_world(item) for item in request.session.items
               if item.module is request.module):  # fmt: skip
        yield None
        return
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield make_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world, db):
    """The small hand-made world (``make_world``); a test's own copy of the module's, or made
    for the test in a module of transactional tests. Writes a test makes to it are undone after
    the test either way."""
    return make_world() if module_world is None else copy.deepcopy(module_world)


@pytest.fixture
def make_claim(world):
    """Create a published claim through the service; keyword arguments override defaults."""

    def make(**overrides):
        fields = {
            "conflict": world.conflict,
            "claimant": world.alpha_mod,
            "subject": world.alpha,
            "category": world.killed,
            "figure_text": "100",
            "as_of": datetime.date(2020, 10, 1),
            "stated_on": datetime.date(2020, 10, 1),
            "status": "published",
            **overrides,
        }
        return claim_create(user=None, reason=SETUP, sources=[world.source], **fields)

    return make


def follow_writes():
    """Follow the writes a test made through services and models (``claims.refresh``), as the
    writer's request or command does in production. Its queries are the writer's, not the
    reader's: query counts leave them out. Nothing to do in a test without the database."""
    from django.db import connection

    from claims.refresh import catch_up

    logged = len(connection.queries_log)
    try:
        catch_up()
    except RuntimeError as exc:
        if "Database access not allowed" not in str(exc):
            raise
    while len(connection.queries_log) > logged:
        connection.queries_log.pop()


@pytest.fixture(autouse=True)
def _figures_follow_writes(monkeypatch):
    """Tests write through services and models, then read pages: each test client request
    follows those writes first (tests of the following itself call ``claims.refresh``
    directly, tests/claims/test_refresh.py)."""
    from django.test import Client

    original = Client.request

    def request(self, **kwargs):
        follow_writes()
        return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True)
def _template_instrumentation(request, monkeypatch):
    """Django's test setup makes every template rendered copy its context for the test client
    (``response.context``, ``response.templates``): a copy for each widget, hundreds on an
    admin page, kept until the response goes. That was a fifth of the CPU time of the hostile
    admin sweeps. Templates render as in production, unless a test is marked
    ``template_context`` (it reads them); reading ``response.context`` unmarked fails, as it is
    None."""
    if request.node.get_closest_marker("template_context") is None:
        from django.template.base import Template
        from django.test.utils import _TestState

        monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)


@pytest.fixture(autouse=True)
def _no_page_cache(monkeypatch):
    """Pages are rendered for every request, so tests see (and count) what a page does; the
    page cache has its own tests (the end of tests/casualties/test_views.py)."""
    from claims.public import page_cache

    monkeypatch.setattr(page_cache, "ENABLED", False)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (a past day's figures are cached there)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _downloads_storage(settings, tmp_path):
    """Each test keeps its downloads in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "downloads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "downloads"},
        },
    }


@pytest.fixture
def member_of(db):
    """A staff user in the named role's group (editor, reviewer, administrator)."""
    from django.contrib.auth.models import Group

    def make(role, username=None):
        user = get_user_model().objects.create_user(
            username or role, f"{role}@example.org", f"pw-{role}-123!", is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def editor(member_of):
    return member_of("editor")


@pytest.fixture
def reviewer(member_of):
    return member_of("reviewer")


@pytest.fixture
def administrator(member_of):
    return member_of("administrator")
