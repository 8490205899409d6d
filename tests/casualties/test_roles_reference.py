"""The role matrix, walked over every other editorial admin: anonymous, editor, reviewer,
administrator × each page and action of the reference tables and the named records (the claims
have their own walk in tests/claims/test_roles.py).

The models come from the admin registry (every registered model that claims.roles calls
editorial), so a newly registered one joins the walk, or fails it until it has a factory here.
Who may use a row is derived from the permissions each role has in ``claims.roles.MATRIX`` and
the permissions each page asks for, never from what the pages answer.
"""

import datetime
from functools import cache

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.forms.models import _get_foreign_key
from django.urls import reverse

from casualties.admin_history import RESTORE_PERMISSION
from casualties.history import change_context
from casualties.models import (
    CasualtyRecord,
    Category,
    Conflict,
    Event,
    Party,
    Place,
    PlaceName,
    Side,
)
from claims.admin_export import ExportAdminMixin
from claims.admin_import import ImportButtonMixin
from claims.models import Claim, Claimant, Source
from claims.roles import EDITABLE, MATRIX
from tests.admin_forms import form_values, selected, version_of

A, E, R, D = "anonymous", "editor", "reviewer", "administrator"
PEOPLE = [A, E, R, D]
WALKED_ELSEWHERE = {Claim}  # tests/claims/test_roles.py


def fresh(model, w, n):
    """The ``n``-th new object of ``model`` nothing refers to (so that it can be deleted)."""
    day = datetime.date(2020, 10, 1)
    values = {
        Conflict: {"name": f"War {n}", "slug": f"war-{n}", "start_date": day},
        Side: {"conflict": w.conflict, "name": f"Side {n}", "slug": f"side-{n}"},
        Party: {"conflict": w.conflict, "name": f"Party {n}", "slug": f"party-{n}",
                "side": w.side_a},
        Place: {"name": f"Place {n}", "slug": f"place-{n}"},
        Event: {"conflict": w.conflict, "name": f"Event {n}", "slug": f"event-{n}",
                "start_date": day},
        Category: {"name": f"Category {n}", "slug": f"category-{n}", "kind": "personnel"},
        CasualtyRecord: {"conflict": w.conflict, "external_id": f"record-{n}",
                         "name": f"Person {n}", "role": "civilian", "party": w.alpha,
                         "outcome": "killed"},
        Claimant: {"name": f"Claimant {n}", "slug": f"claimant-{n}", "kind": "ngo"},
        Source: {"slug": f"source-{n}", "title": f"Source {n}", "url": f"https://example.org/{n}"},
    }[model]  # fmt: skip
    return model.objects.create(**values)


def fresh_inline(model, parent):
    """A row of an inline (``model``) under ``parent``."""
    values = {PlaceName: {"name": "Other name", "language": "en"}}[model]
    return model.objects.create(**{_get_foreign_key(type(parent), model).name: parent, **values})


def inline_models(model):
    return [inline.model for inline in admin.site._registry[model].inlines]


def walked_models():
    """Every registered editorial admin but the claims' own."""
    editable = {tuple(pair) for pair in EDITABLE}
    return sorted(
        (
            model
            for model in admin.site._registry
            if (model._meta.app_label, model._meta.model_name) in editable
            and model not in WALKED_ELSEWHERE
        ),
        key=lambda m: m._meta.label,
    )


MODELS = walked_models()


def label_field(model) -> str:
    """The first plain text field of ``model`` (its name or title): what a change changes."""
    for field in model._meta.get_fields():
        if (
            type(field) is models.CharField
            and field.editable
            and not field.unique
            and not field.choices
        ):
            return field.name
    raise AssertionError(f"{model.__name__} has no plain text field to change")


# --- who may: from the roles' permissions ---------------------------------------------------


@cache
def perms_of(person) -> set[str] | None:
    """The permissions of ``person``'s role (None: all of them; anonymous: none)."""
    return set() if person == A else MATRIX[person]


def has(person, perms) -> bool:
    held = perms_of(person)
    return person != A and (held is None or set(perms) <= held)


def need(*actions, extra=(), inline_actions=()):
    """The permissions a row asks for: ``actions`` on the model itself, ``inline_actions`` on
    the models of its inlines, and ``extra``."""

    def perms(model):
        def on(m, acts):
            return {f"{m._meta.app_label}.{a}_{m._meta.model_name}" for a in acts}

        inlined = set().union(*(on(m, inline_actions) for m in inline_models(model)))
        return on(model, actions) | inlined | set(extra)

    return perms


# --- the scene ------------------------------------------------------------------------------


class Scene:
    """Per model: ``obj`` (fresh, with two revisions: created, then renamed, and one row in
    each inline) and ``gone`` (created, then deleted: the undelete target)."""

    def __init__(self, model, world):
        self.model, self.field = model, label_field(model)
        with change_context(user=None, reason="setup"):
            self.obj = fresh(model, world, 1)
            self.original = getattr(self.obj, self.field)
            setattr(self.obj, self.field, f"{self.original} (renamed)")
            self.obj.save()
            self.inline_rows = [fresh_inline(m, self.obj) for m in inline_models(model)]
            self.gone = fresh(model, world, 2)
            self.gone_pk = self.gone.pk
            self.gone.delete()
        self.obj.refresh_from_db()

    def url(self, view, *args):
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)

    def live(self):
        return self.model._base_manager.filter(pk=self.obj.pk).first()


def page(view, *args):
    def do(client, s):
        return client.get(s.url(view, *(arg(s) for arg in args)))

    return do


def pk(s):
    return s.obj.pk


def first_revision(s):
    return s.obj.history.earliest().history_id


def change(client, s):
    response = client.get(s.url("change", s.obj.pk))
    data = form_values(response, f"{s.model._meta.model_name}_form")
    data.setdefault("version", version_of(s.obj))
    return client.post(
        s.url("change", s.obj.pk), {**data, s.field: "edited", "change_reason": "edit"}
    )


def delete_inline_rows(client, s):
    """Tick "Delete" on each inline row of the change form, as far as the form offers it."""
    response = client.get(s.url("change", s.obj.pk))
    data = form_values(response, f"{s.model._meta.model_name}_form")
    for row in s.inline_rows:
        fk = _get_foreign_key(s.model, type(row))
        prefix = fk.remote_field.get_accessor_name(model=False)
        for key, value in list(data.items()):
            if key.startswith(f"{prefix}-") and key.endswith("-id") and value == str(row.pk):
                data[key.removesuffix("-id") + "-DELETE"] = "on"
    data.setdefault("version", version_of(s.obj))
    return client.post(s.url("change", s.obj.pk), {**data, "change_reason": "names"})


def restore(client, s):
    """Restore the first revision (before the rename) over the live object."""
    address = s.url("simple_history", s.obj.pk, first_revision(s))
    response = client.get(address)
    data = form_values(response) if response.status_code == 200 else {}
    return client.post(address, {**data, "version": version_of(s.obj), "change_reason": "restore"})


def undelete(client, s):
    last = s.model.history.filter(**{s.model._meta.pk.attname: s.gone_pk}).latest()
    address = s.url("simple_history", s.gone_pk, last.history_id)
    response = client.get(address)
    data = form_values(response) if response.status_code == 200 else {}
    return client.post(address, {**data, "change_reason": "undelete"})


def delete(client, s):
    return client.post(s.url("delete", s.obj.pk), {"post": "yes", "change_reason": "x"})


def bulk_delete(client, s):
    return client.post(s.url("changelist"), {
        "action": "delete_selected_with_reason", "_selected_action": selected(s.obj),
        "post": "yes", "change_reason": "x",
    })  # fmt: skip


def has_import(model):
    return isinstance(admin.site._registry[model], ImportButtonMixin)


def has_export(model):
    return isinstance(admin.site._registry[model], ExportAdminMixin)


# (row, how, the permissions it needs, whether the model's admin has it, what a write leaves)
# Pages (no check) are allowed when they answer 200; writes when they happened.
ROWS = [
    ("list", page("changelist"), need("view"), None, None),
    ("deleted list", page("deleted"), need("view"), None, None),
    ("add page", page("add"), need("add"), None, None),
    ("change page", page("change", pk), need("view"), None, None),
    ("change", change, need("change"), None,
     lambda s: getattr(s.live(), s.field) == "edited"),
    ("delete inline rows", delete_inline_rows, need("change", inline_actions=["delete"]),
     inline_models, lambda s: not any(type(r).objects.filter(pk=r.pk) for r in s.inline_rows)),
    ("history", page("history", pk), need("view"), None, None),
    ("revision page", page("simple_history", pk, first_revision), need("view"), None, None),
    ("restore", restore, need("change", extra=[RESTORE_PERMISSION]), None,
     lambda s: getattr(s.live(), s.field) == s.original),
    ("undelete", undelete, need("add", extra=[RESTORE_PERMISSION]), None,
     lambda s: s.model.objects.filter(pk=s.gone_pk).exists()),
    ("delete page", page("delete", pk), need("delete"), None, None),
    ("delete", delete, need("delete"), None, lambda s: s.live() is None),
    ("bulk delete", bulk_delete, need("delete"), None, lambda s: s.live() is None),
    # Importing a list needs its add and change permissions (docs/import-export.md); only the
    # claims' import asks for publish_claim too (an imported claim may carry any status).
    ("import page", page("import"), need("add", "change"), has_import, None),
    ("export", lambda c, s: c.get(s.url("export", "csv")), need("view"), has_export, None),
]  # fmt: skip

CELLS = [
    pytest.param(model, row, id=f"{model._meta.model_name}-{row[0]}")
    for model in MODELS
    for row in ROWS
    if row[3] is None or row[3](model)
]


@pytest.fixture
def login_as(client):
    """Log ``client`` in as a staff member of a role (no password: nothing to hash)."""

    def do(person):
        if person != A:
            user = get_user_model().objects.create_user(person, is_staff=True)
            user.groups.add(Group.objects.get(name=person))
            client.force_login(user)
        return client

    return do


# Only the walk needs the database: its module then makes the world once for all its cells
# (tests/conftest.py: ``module_world``).
@pytest.mark.django_db
@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(("model", "row"), CELLS)
def test_the_reference_role_matrix(world, login_as, person, model, row):
    name, how, perms, _has, check = row
    s = Scene(model, world)
    allowed = has(person, perms(model))
    response = how(login_as(person), s)
    if person == A:
        assert response.status_code == 302 and "/login/" in response["Location"], name
    if check is not None:
        assert check(s) == allowed, (person, name, response.status_code)
    else:
        assert response.status_code == (200 if allowed else 403 if person != A else 302), (
            person,
            name,
        )


def test_the_walk_covers_every_registered_editorial_admin():
    assert [m._meta.label for m in MODELS] == [
        "casualties.CasualtyRecord", "casualties.Category", "casualties.Conflict",
        "casualties.Event", "casualties.Party", "casualties.Place", "casualties.Side",
        "claims.Claimant", "claims.Source",
    ]  # fmt: skip
    assert {m.__name__ for m in MODELS if has_import(m)} == {
        "CasualtyRecord", "Category", "Event", "Party", "Place", "Claimant", "Source",
    }  # fmt: skip
    assert {m.__name__ for m in MODELS if not has_export(m)} == {"Conflict", "Side"}
    assert {m.__name__: inline_models(m) for m in MODELS if inline_models(m)} == {
        "Place": [PlaceName]
    }


def test_the_expectations_come_from_the_roles():
    """Spot checks that ``has`` reads claims.roles as meant."""
    assert not has(A, need("view")(Place))
    assert has(E, need("add", "change")(Place)) and not has(E, need("delete")(Place))
    assert not has(E, need("change", extra=[RESTORE_PERMISSION])(Place))
    assert has(R, need("change", extra=[RESTORE_PERMISSION])(Place))
    assert not has(R, need("delete")(Source)) and has(D, need("delete")(Source))
