"""The hostile sweeps' oracle: ``audit_html`` must find what a hostile payload could do in a page
(or every sweep passes for nothing), and nothing in a page that only shows it escaped."""

import pytest

from tests.hostile.corpus import audit_html

PAGE = '<!DOCTYPE html><html lang="en"><head><title>T</title>{}</head><body>{}</body></html>'

FOUND = [
    ("", "<script>alert(1)</script>"),
    ("", "<SCRIPT>alert(1)</SCRIPT>"),
    ("", '<img src=x onerror="alert(1)">'),
    ("", "<img src=x ONERROR=alert(1)>"),
    ("", '<svg onload="alert(1)"></svg>'),
    ("", '<a href="javascript:alert(1)">x</a>'),
    ("", '<a href="jav&#x09;ascript:alert(1)">x</a>'),
    ("", '<a href=" JAVASCRIPT:alert(1)">x</a>'),
    ("", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    ("", '<form><button formaction="javascript:alert(1)">x</button></form>'),
    ("", '<img srcset="vbscript:x 1x">'),
    ("", '<div style="background:url(https://evil.example/x)">x</div>'),
    ("", '<iframe src="https://evil.example/"></iframe>'),
    ("", '<object data="https://evil.example/x.swf"></object>'),
    ("", '<embed src="https://evil.example/x">'),
    ('<base href="https://evil.example/">', ""),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', ""),
    ("", '<script src="https://cdn.example/x.js"></script>'),
    ("", '<script src="//cdn.example/x.js"></script>'),
    ("", '<script src="/\\cdn.example/x.js"></script>'),
    ("", '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>'),
]


@pytest.mark.parametrize(("head", "body"), FOUND)
def test_what_a_payload_could_do_is_found(head, body):
    assert audit_html(PAGE.format(head, body)) != []


def test_a_payload_in_the_page_unescaped_is_found_even_where_it_does_nothing():
    payload = "<b>bold</b>"
    assert audit_html(PAGE.format("", f"<p>{payload}</p>"), payload) != []


@pytest.mark.parametrize(
    "body",
    [
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        '<input value="&quot; onerror=&quot;alert(1)">',
        '<a href="https://example.org/?q=javascript:alert(1)">x</a>',
        '<a href="/parties/alpha/">x</a> <a href="#main">skip</a>',
        '<script src="/static/js/charts.js"></script>',
        '<script type="application/json" id="d">{"a": "&lt;"}</script>',
        '<link rel="icon" href="data:,">',
        '<meta charset="utf-8"><p>x\u202e\u200by</p>',
    ],
)
def test_what_is_shown_escaped_or_is_the_sites_own_is_not(body):
    assert audit_html(PAGE.format("", body), "<script>alert(1)</script>") == []
