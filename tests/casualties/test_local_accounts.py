"""`make run`'s local accounts: the editor is an editor, and the other roles are one command away."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection


@pytest.fixture
def local_sqlite(settings, db):
    """The embedded default: the command refuses any other database (the last test)."""
    if connection.vendor != "sqlite":
        pytest.skip("the local accounts are for the embedded SQLite default only")
    settings.DEBUG = True


def run(*args) -> str:
    out = io.StringIO()
    call_command("ensure_local_editor", *args, stdout=out)
    return out.getvalue()


def test_the_local_editor_is_in_the_editor_group_not_a_superuser(local_sqlite):
    output = run()
    user = get_user_model().objects.get(username="editor")
    assert not user.is_superuser
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["editor"]
    assert not user.has_perm("claims.publish_claim")
    assert not user.has_perm("auth.view_user")
    assert not user.has_perm("claims.delete_claim")
    assert "password:" in output


def test_the_password_stands_out_and_the_other_roles_are_explained(local_sqlite):
    output = run()
    lines = output.splitlines()
    password_line = next(line for line in lines if "password:" in line)
    password = password_line.split("password:")[1].strip(" |")
    assert get_user_model().objects.get(username="editor").check_password(password)
    # Boxed: a rule of "=" above and below.
    assert any(set(line) == {"="} for line in lines)
    assert "ensure_local_editor --role reviewer" in output
    assert "ensure_local_editor --role administrator" in output


def test_a_reviewer_account_can_publish(local_sqlite):
    run("--role", "reviewer")
    user = get_user_model().objects.get(username="reviewer")
    assert user.has_perm("claims.publish_claim")
    assert not user.is_superuser


def test_the_password_is_printed_once(local_sqlite):
    run()
    assert "password:" not in run()


def test_it_refuses_outside_the_local_default(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="embedded SQLite default"):
        run()
    assert not get_user_model().objects.filter(username="editor").exists()
