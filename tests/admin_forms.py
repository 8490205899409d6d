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
    """The successful controls of one form, in the order a browser submits them.

    Disabled controls and options are not sent, nor unchecked checkboxes and radios, nor
    buttons and file inputs. A ``<select multiple>`` sends each selected option and nothing
    when none is; a single ``<select>`` sends its (last) selected option, or its first
    enabled one when none is. An option without a ``value`` sends its text. A textarea sends
    its text less the one newline that follows the start tag.
    """

    NOT_SENT = {"submit", "button", "reset", "image", "file"}

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.done = form_id, False, False
        self.values: dict[str, list[str]] = {}
        self._textarea = self._select = self._option = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done:
            wanted = a.get("id") == self.form_id if self.form_id else a.get("id") != "logout-form"
            self.inside = wanted
        if not self.inside:
            return
        name, disabled, kind = a.get("name"), "disabled" in a, (a.get("type") or "").lower()
        if tag == "input" and name and not disabled and kind not in self.NOT_SENT:
            if kind not in {"checkbox", "radio"}:
                self._add(name, a.get("value", ""))
            elif "checked" in a:
                self._add(name, a.get("value", "on"))
        elif tag == "select" and name and not disabled:
            self._select = {"name": name, "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select:
            self._end_option()
            self._option, self._text = a, []
        elif tag == "textarea" and name and not disabled:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
        elif tag == "option":
            self._end_option()
        elif tag == "select" and self._select:
            self._end_option()
            self._end_select()
        elif tag == "textarea" and self._textarea:
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea or self._option is not None:
            self._text.append(data)

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def _end_option(self):
        if self._option is None:
            return
        a, text = self._option, " ".join("".join(self._text).split())
        self._select["options"].append((a.get("value", text), "selected" in a, "disabled" in a))
        self._option = None

    def _end_select(self):
        select, self._select = self._select, None
        options = select["options"]  # (value, selected, disabled) each
        chosen = [option for option in options if option[1]]
        if not select["multiple"]:  # the last one marked, else the first enabled one
            chosen = chosen[-1:] or [option for option in options if not option[2]][:1]
        for value, _, disabled in chosen:
            if not disabled:  # a disabled option is not sent, even when selected
                self._add(select["name"], value)


def form_values(response, form_id: str | None = None) -> dict:
    """What a browser would post from the (first, or ``form_id``) form of a rendered page.

    A name sent once maps to its value, one sent more than once to the list of its values;
    a name a browser would not send (e.g. a multiple select with nothing selected) is absent.
    """
    parser = _FormValues(form_id)
    parser.feed(response.content.decode())
    parser.close()
    values = parser.values
    values.pop("csrfmiddlewaretoken", None)
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}
