"""HTTP behaviour: conditional GET, CORS, the rate limit, the security headers, the docs page."""

import pytest
from django.utils.http import http_date

from casualties.history import change_context

URLS = ["/api/v1/claims/", "/api/v1/parties/", "/api/v1/parties/alpha/", "/api/v1/figures/"]


@pytest.mark.parametrize("url", URLS)
def test_a_matching_etag_gets_304_and_a_write_changes_it(api, make_claim, world, url):
    make_claim()
    first = api.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    with change_context(user=None, reason="an edit"):
        world.alpha.description = "edited"
        world.alpha.save()
    assert api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_if_modified_since_gets_304(api, make_claim):
    make_claim()
    first = api.get("/api/v1/claims/")
    assert (
        api.get("/api/v1/claims/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    )
    assert api.get("/api/v1/claims/", HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200


def test_an_etag_depends_on_the_query(api, make_claim):
    make_claim()
    assert api.get("/api/v1/claims/?page_size=1")["ETag"] != api.get("/api/v1/claims/")["ETag"]


def test_errors_carry_no_etag(api, world):
    response = api.get("/api/v1/parties/nobody/")
    assert response.status_code == 404 and not response.has_header("ETag")


def test_cors_allows_any_origin_to_read(api, world):
    response = api.get("/api/v1/parties/", HTTP_ORIGIN="https://newsroom.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert not response.has_header("Access-Control-Allow-Credentials")
    preflight = api.options(
        "/api/v1/parties/",
        HTTP_ORIGIN="https://newsroom.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 200
    assert "POST" not in preflight["Access-Control-Allow-Methods"]


def test_no_cors_outside_the_api(client, world):
    response = client.get("/parties/alpha/", HTTP_ORIGIN="https://newsroom.example")
    assert not response.has_header("Access-Control-Allow-Origin")


def test_the_api_is_read_only(api, world):
    assert api.post("/api/v1/parties/", {"slug": "x"}).status_code == 405
    assert api.delete("/api/v1/parties/alpha/").status_code == 405


def test_too_many_requests_from_one_address_get_429_with_retry_after(api, settings, world):
    settings.API_RATE = "3/minute"
    for _ in range(3):
        assert api.get("/api/v1/parties/").status_code == 200
    refused = api.get("/api/v1/parties/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # Another address still gets through.
    assert api.get("/api/v1/parties/", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_behind_a_trusted_proxy_the_limit_is_per_forwarded_address(api, settings, world):
    settings.API_RATE = "1/minute"
    settings.TRUSTED_PROXY = True
    assert api.get("/api/v1/parties/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert api.get("/api/v1/parties/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert api.get("/api/v1/parties/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_the_api_keeps_the_sites_security_headers(api, world):
    response = api.get("/api/v1/parties/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert not response.cookies  # no session, no CSRF cookie


def test_the_docs_page_runs_no_inline_script(client, db):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    import re

    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "unpkg" not in html and "cdn" not in html.lower()
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_the_openapi_document(api, db):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/claims/", "/api/v1/figures/", "/api/v1/people/{external_id}/"} <= set(
        schema["paths"]
    )
