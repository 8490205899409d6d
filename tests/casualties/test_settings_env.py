"""Settings come from the environment: the database from DATABASE_URL alone."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_DB = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"


def settings_with(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_DB}"],
        env={**base, "DJANGO_SETTINGS_MODULE": "casualties.settings", **env},
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_sqlite_is_the_default():
    assert settings_with().stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_database_url_picks_postgres_whatever_debug_says():
    url = "postgres://postgres@127.0.0.1:5432/x"
    for debug in ("1", "0"):
        result = settings_with(DATABASE_URL=url, DEBUG=debug, SECRET_KEY="k" * 50)
        assert result.stdout.split()[0] == "django.db.backends.postgresql", result.stderr


def test_secret_key_is_required_without_debug():
    result = settings_with(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
