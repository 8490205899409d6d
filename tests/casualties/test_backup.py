"""backup_db and restore_db: a backup restored into a fresh database has every row of every
table, history tables included. On SQLite through the online backup API, on PostgreSQL through
pg_dump/pg_restore; each half runs on its own database's suite."""

import sqlite3

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from casualties import backup as backup_module
from claims.models import Claim
from claims.services import claim_update

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads only committed rows

on_sqlite = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's backup")
on_postgres = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="pg_dump")


@pytest.fixture
def filled():
    """The default data, a few edits (more history rows) and a user."""
    call_command("load_default_data", verbosity=0)
    editor = get_user_model().objects.create_user("ed", password="pw-ed-123!")
    for claim in Claim.objects.order_by("pk")[:3]:
        claim_update(claim=claim, user=editor, reason="checked against the source", note="ok")
    claim = Claim.objects.order_by("pk").first()
    claim_update(claim=claim, user=editor, reason="typo", figure_text="more than 700")


def row_counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return row_counts(cursor, connection.introspection.table_names(cursor))


def assert_same_rows(restored: dict[str, int]):
    original = source_counts()
    assert restored == original
    # The comparison covers the history tables, and they hold the edits.
    assert original["claims_historicalclaim"] >= original["claims_claim"] + 4
    assert original["casualties_historicalparty"] > 0
    assert original["auth_user"] == 2  # ed, and the "default-data" system user


@on_sqlite
def test_sqlite_backup_restores_into_a_fresh_file(filled, tmp_path):
    out, fresh = tmp_path / "ledger.backup", tmp_path / "fresh.sqlite3"
    call_command("backup_db", str(out), verbosity=0)
    call_command(
        "restore_db", str(out), "--database-url", f"sqlite:///{fresh}", "--noinput", verbosity=0
    )
    restored = sqlite3.connect(fresh)
    try:
        assert_same_rows(row_counts(restored.cursor(), source_counts().keys()))
        tables = {
            r[0] for r in restored.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert set(source_counts()) <= tables
    finally:
        restored.close()


@pytest.fixture
def fresh_postgres():
    """A new, empty PostgreSQL database beside the test database; dropped afterwards."""
    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    server = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"],
              "password": db["PASSWORD"]}.items() if v}  # fmt: skip
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"]
    yield f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{name}", {"dbname": name, **server}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@on_postgres
def test_postgres_backup_restores_into_a_fresh_database(filled, tmp_path, fresh_postgres):
    url, conninfo = fresh_postgres
    out = tmp_path / "ledger.dump"
    call_command("backup_db", str(out), verbosity=0)
    call_command("restore_db", str(out), "--database-url", url, "--noinput", verbosity=0)
    with psycopg.connect(**conninfo) as restored:
        assert_same_rows(row_counts(restored.cursor(), source_counts().keys()))
        # Sequences come along: the next claim gets a new id, not a clash.
        next_id = restored.execute("SELECT nextval('claims_claim_id_seq')").fetchone()[0]
    assert next_id > Claim.objects.order_by("-pk").first().pk


@on_postgres
def test_postgres_tools_older_than_the_server_are_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(backup_module, "pg_tool_major", lambda name: 9)
    with pytest.raises(CommandError, match=r"pg_dump is version 9 but the server is PostgreSQL"):
        call_command("backup_db", str(tmp_path / "x.dump"), verbosity=0)
    assert not (tmp_path / "x.dump").exists()


def test_restoring_something_that_is_no_backup_changes_nothing(filled, tmp_path):
    before = source_counts()
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup\n" * 100)
    with pytest.raises(CommandError, match="is not an? (SQLite|pg_dump)"):
        call_command("restore_db", str(junk), "--noinput", verbosity=0)
    assert source_counts() == before
