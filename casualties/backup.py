"""Backup and restore of a whole database: pg_dump/pg_restore on PostgreSQL, SQLite's online
backup API on SQLite. Used by the backup_db and restore_db commands (README "Backups")."""

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management import CommandError
from django.db import connections


class BackupError(CommandError):
    pass


def target(database_url: str | None) -> dict:
    """The settings of the database to work on: the default one, or the one a URL names."""
    if database_url:
        return dj_database_url.parse(database_url)
    return connections["default"].settings_dict


def is_default(db: dict) -> bool:
    default = connections["default"].settings_dict
    return db is default or (
        db["ENGINE"] == default["ENGINE"]
        and str(db["NAME"]) == str(default["NAME"])
        and db.get("HOST", "") == default.get("HOST", "")
        and str(db.get("PORT", "")) == str(default.get("PORT", ""))
    )


def vendor(db: dict) -> str:
    if db["ENGINE"].endswith("sqlite3"):
        return "sqlite"
    if db["ENGINE"].endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"No backup for the database engine {db['ENGINE']}.")


# --- PostgreSQL ---------------------------------------------------------------------------


def pg_env(db: dict) -> dict:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pg_args(db: dict) -> list[str]:
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return [*args, "--dbname", str(db["NAME"])]


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def pg_tool_major(name: str) -> int:
    out = subprocess.run([pg_tool(name), "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    if not match:
        raise BackupError(f"Cannot read the version of {name}: {out.stdout!r}")
    return int(match.group(1))


def pg_server_major(db: dict) -> int:
    import psycopg

    conninfo = {"host": db.get("HOST") or None, "port": db.get("PORT") or None}
    with psycopg.connect(
        dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
        **{k: v for k, v in conninfo.items() if v},
    ) as conn:  # fmt: skip
        return conn.info.server_version // 10000


def pg_check_versions(db: dict, tool: str) -> None:
    """pg_dump reads servers of its own major version and older; a newer server is refused
    by pg_dump itself, late and cryptically, so say it first."""
    server, client = pg_server_major(db), pg_tool_major(tool)
    if client < server:
        raise BackupError(
            f"{tool} is version {client} but the server is PostgreSQL {server}: "
            f"install the client tools of version {server} or newer."
        )


def pg_backup(db: dict, out: Path) -> None:
    pg_check_versions(db, "pg_dump")
    partial = out.with_name(out.name + ".partial")
    # Tables whose rows are rebuilt from the rest (settings.BACKUP_SKIPS_ROWS_OF): their
    # structure is kept, their rows are not.
    skips = [f"--exclude-table-data={t}" for t in getattr(settings, "BACKUP_SKIPS_ROWS_OF", [])]
    result = subprocess.run(
        [pg_tool("pg_dump"), "--format=custom", *skips, "--file", str(partial), *pg_args(db)],
        env=pg_env(db), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.replace(out)


def pg_restore(db: dict, backup: Path) -> None:
    pg_check_versions(db, "pg_restore")
    listing = subprocess.run(
        [pg_tool("pg_restore"), "--list", str(backup)], capture_output=True, text=True, check=False
    )
    if listing.returncode:
        raise BackupError(
            f"{backup} is not a pg_dump custom-format backup: {listing.stderr.strip()}"
        )
    if is_default(db):
        connections.close_all()  # our own idle connection would hold no lock, but be plain
    result = subprocess.run(
        # One transaction: a restore that fails half-way leaves the database as it was.
        [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", *pg_args(db), str(backup)],
        env=pg_env(db), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode:
        raise BackupError(f"pg_restore failed (nothing was changed): {result.stderr.strip()}")


# --- SQLite -------------------------------------------------------------------------------


def sqlite_connection(db: dict) -> tuple[sqlite3.Connection, bool]:
    """A raw connection to the database, and whether we opened it (and must close it).
    For the default database, Django's own connection: that also reaches an in-memory one."""
    if is_default(db):
        connection = connections["default"]
        connection.ensure_connection()
        return connection.connection, False
    return sqlite3.connect(str(db["NAME"])), True


def sqlite_backup(db: dict, out: Path) -> None:
    source, opened = sqlite_connection(db)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    destination = sqlite3.connect(str(partial))
    try:
        # The online backup API copies a consistent snapshot while others go on writing.
        source.backup(destination)
    finally:
        destination.close()
        if opened:
            source.close()
    partial.replace(out)


def sqlite_restore(db: dict, backup: Path) -> None:
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        try:
            ok = source.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup} is not an SQLite backup: {exc}") from exc
        if not ok:
            raise BackupError(f"{backup} is damaged (PRAGMA quick_check failed).")
        destination, opened = sqlite_connection(db)
        try:
            # Replaces the whole database in one step, under the database's write lock.
            source.backup(destination)
        finally:
            if opened:
                destination.close()
    finally:
        source.close()


def backup(out: Path, database_url: str | None = None) -> None:
    db = target(database_url)
    {"postgresql": pg_backup, "sqlite": sqlite_backup}[vendor(db)](db, out)


def restore(backup_file: Path, database_url: str | None = None) -> None:
    if not backup_file.is_file():
        raise BackupError(f"No backup at {backup_file}.")
    db = target(database_url)
    {"postgresql": pg_restore, "sqlite": sqlite_restore}[vendor(db)](db, backup_file)
