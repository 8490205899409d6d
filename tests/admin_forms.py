"""Posting admin forms the way a browser does: with the signed version each form carries.

Change forms and inline rows must post the version they were opened at (``version`` and
``<prefix>-<i>-version``); action forms post ``"<pk>,<version>"`` per selected object.
"""

from html.parser import HTMLParser

from django.contrib.admin import helpers

from casualties.concurrency import sign_version


def version_of(obj) -> str:
    """The signed version a change form opened now would carry for ``obj``."""
    return sign_version(obj.version)


def with_version(data: dict, obj, prefix: str = "") -> dict:
    """``data`` plus the hidden version of ``obj`` (under ``prefix-`` for an inline row)."""
    key = f"{prefix}-version" if prefix else "version"
    return {**data, key: version_of(obj)}


def selected(*objs) -> list[str]:
    """The ``_selected_action`` values of an action form for ``objs``."""
    return [f"{obj.pk},{obj.version}" for obj in objs]


ACTION_CHECKBOX_NAME = helpers.ACTION_CHECKBOX_NAME


class _FormValues(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.done, self.values = form_id, False, False, {}
        self._select = self._textarea = None
        self._multiple = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done:
            wanted = a.get("id") == self.form_id if self.form_id else a.get("id") != "logout-form"
            self.inside = wanted
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.values.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.values.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            if "multiple" in a:  # posts one value per selected option, none if none is
                self._multiple.add(name)
                self.values.setdefault(name, [])
            else:
                self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            if self._select in self._multiple:
                self.values[self._select].append(a.get("value", ""))
            else:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += (
                data.removeprefix("\n") if not self.values[self._textarea] else data
            )


def form_values(response, form_id: str | None = None) -> dict:
    """What a browser would post from the (first, or ``form_id``) form of a rendered page."""
    parser = _FormValues(form_id)
    parser.feed(response.content.decode())
    values = parser.values
    values.pop("csrfmiddlewaretoken", None)
    for name in parser._multiple:
        if not values[name]:
            del values[name]
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in values.items()}
