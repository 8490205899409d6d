"""Production settings: security headers, cookies, login throttling, the movable admin URL and
Django's deployment checks, all with the settings a DEBUG=0 environment produces."""

import importlib
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.template.loader import get_template
from django.urls import clear_url_caches, reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "testserver,localhost,example.org",
}
# What the test database, static files and templates need stays as the test run has it.
KEEP = {"DEBUG", "DATABASES", "STORAGES", "INSTALLED_APPS", "TEMPLATES", "CACHES", "LOGGING"}


def production_settings(**env) -> dict:
    """The settings module's values as a production environment (plus `env`) makes them."""
    with mock.patch.dict(os.environ, {**PRODUCTION_ENV, **env}):
        values = runpy.run_path(str(ROOT / "casualties" / "settings.py"))
    return {k: v for k, v in values.items() if k.isupper() and k not in KEEP}


@pytest.fixture
def production(settings):
    """Apply the production settings to this test; returns a function to apply more env."""

    def apply(**env):
        for key, value in production_settings(**env).items():
            setattr(settings, key, value)
        return settings

    apply()
    return apply


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_production_defaults_are_the_safe_ones():
    prod = production_settings()
    assert prod["SECURE_SSL_REDIRECT"] is True
    assert prod["SECURE_HSTS_SECONDS"] == 31536000
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert "SECURE_PROXY_SSL_HEADER" not in prod  # only with TRUSTED_PROXY=1
    behind_proxy = production_settings(TRUSTED_PROXY="1", SECURE_HSTS_PRELOAD="0")
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert behind_proxy["SECURE_HSTS_PRELOAD"] is False


def test_debug_keeps_plain_http_for_local_work():
    with mock.patch.dict(os.environ, {"DEBUG": "1"}):
        values = runpy.run_path(str(ROOT / "casualties" / "settings.py"))
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SESSION_COOKIE_SECURE"] is False


def assert_security_headers(response):
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_a_public_page_sends_the_security_headers(production, client, world, make_claim):
    make_claim(figure_text="3,825")
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert_security_headers(response)
    figure = client.get("/parties/alpha/military-killed/", secure=True)
    assert figure.status_code == 200
    assert_security_headers(figure)


def test_plain_http_is_redirected_to_https(production, client, db):
    response = client.get("/methodology/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/methodology/"


def test_behind_a_trusted_proxy_the_forwarded_scheme_counts(production, client, db):
    production(TRUSTED_PROXY="1")
    assert client.get("/methodology/", headers={"X-Forwarded-Proto": "https"}).status_code == 200
    assert client.get("/methodology/", headers={"X-Forwarded-Proto": "http"}).status_code == 301


def test_the_admin_login_sends_the_headers_and_safe_cookies(production, client, admin_user):
    login_url = reverse("admin:login")
    page = client.get(login_url, secure=True)
    assert page.status_code == 200
    assert_security_headers(page)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"

    response = client.post(
        login_url,
        {"username": "boss", "password": "pw-boss-123!", "next": reverse("admin:index")},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def failed_login(client, address, username="boss", **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": "wrong"},
        secure=True,
        REMOTE_ADDR=address,
        headers=headers,
    )


def good_login(client, address, **headers):
    return client.post(
        reverse("admin:login"),
        {"username": "boss", "password": "pw-boss-123!"},
        secure=True,
        REMOTE_ADDR=address,
        headers=headers,
    )


def test_a_user_is_locked_out_from_one_address_after_too_many_failures(
    production, client, admin_user
):
    production(AXES_FAILURE_LIMIT="3")
    for _ in range(2):
        assert failed_login(client, "10.0.0.1").status_code == 200  # the form again
    assert failed_login(client, "10.0.0.1").status_code == 429  # the third: locked
    # Now even the right password is refused from that address, and no session is made.
    locked = good_login(client, "10.0.0.1")
    assert locked.status_code == 429
    assert "sessionid" not in locked.cookies
    # The same user from another address, and another user from that address, go on.
    assert good_login(client, "10.0.0.2").status_code == 302
    assert failed_login(client, "10.0.0.1", username="someone-else").status_code == 200


def test_behind_a_trusted_proxy_the_lockout_uses_the_forwarded_address(
    production, client, admin_user
):
    production(AXES_FAILURE_LIMIT="2", TRUSTED_PROXY="1")
    # The proxy appends the real address; what the client put before it is ignored.
    for forged in ("1.1.1.1", "2.2.2.2"):
        failed_login(client, "127.0.0.1", X_Forwarded_For=f"{forged}, 10.0.0.9")
    assert good_login(client, "127.0.0.1", X_Forwarded_For="3.3.3.3, 10.0.0.9").status_code == 429
    assert good_login(client, "127.0.0.1", X_Forwarded_For="10.0.0.8").status_code == 302


def test_without_a_trusted_proxy_forwarded_for_is_ignored(production, client, admin_user):
    production(AXES_FAILURE_LIMIT="2")
    for forged in ("1.1.1.1", "2.2.2.2"):
        failed_login(client, "10.0.0.7", X_Forwarded_For=forged)
    assert good_login(client, "10.0.0.7", X_Forwarded_For="3.3.3.3").status_code == 429


@pytest.fixture
def move_admin(settings):
    """Move the admin to another URL for one test; the URLconf is rebuilt both ways."""
    import casualties.urls

    original = django_settings.ADMIN_URL

    def move(url):
        settings.ADMIN_URL = url
        clear_url_caches()
        importlib.reload(casualties.urls)

    yield move
    move(original)


def test_the_admin_can_be_moved_by_setting(move_admin, client, admin_user):
    move_admin("editorial-7f3a/")
    client.force_login(admin_user)
    assert reverse("admin:index") == "/editorial-7f3a/"
    assert client.get("/editorial-7f3a/").status_code == 200
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404


def test_admin_url_from_the_environment_is_normalised():
    assert production_settings(ADMIN_URL="/editorial-7f3a")["ADMIN_URL"] == "editorial-7f3a/"


def run_check_deploy(**env):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never does.
    unset = {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_") and k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**base, **PRODUCTION_ENV, "ALLOWED_HOSTS": "example.org", **env},
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_check_deploy_gives_no_warning_with_the_production_settings():
    result = run_check_deploy()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_fails_when_a_safe_default_is_turned_off():
    result = run_check_deploy(SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_our_templates_have_no_inline_script_or_style():
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}: {m.group(0)!r}"
        for path in (ROOT / "templates").rglob("*.html")
        for m in inline.finditer(path.read_text())
    ]
    assert found == []


def test_the_hashed_third_party_styles_are_still_those_templates_have():
    for name, styles in django_settings.THIRD_PARTY_INLINE_STYLES.items():
        source = get_template(name).template.source
        inline = re.findall(r'<style>(.*?)</style>|\sstyle="([^"]*)"', source, re.DOTALL)
        assert sorted(a or b for a, b in inline) == sorted(styles), name
