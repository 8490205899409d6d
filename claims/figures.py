"""Read the words of a figure into bounds, a best value and a qualifier.

"more than 700" -> lower 701, upper open, qualifier more_than. Bounds are inclusive integers.
"about 70,000" -> best 70,000, bounds 63,000-77,000 (``ABOUT_PERCENT``): an approximate figure
is a central estimate, not a floor. "6,500 (5,900-7,100)" and "6,500, low 5,900, high 7,100"
-> best 6,500 within those bounds. An exact figure is its own best.
When the words cannot be read, ``parse_figure`` says so plainly and returns no bounds: the
words are still stored by the caller, and an editor can type the bounds by hand.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_VALUE = 9_223_372_036_854_775_807  # the largest value a bound column holds
MAX_TEXT = 200

EXACT = "exact"
AT_LEAST = "at_least"
MORE_THAN = "more_than"
AT_MOST = "at_most"
ABOUT = "about"
RANGE = "range"
UNREADABLE = "unreadable"


# "about N" allows N minus or plus this percentage of it, rounded outwards, and at least 1 either
# way: "about 70,000" is 63,000-77,000, "around 26" is 23-29, "approximately a dozen" 10-14.
ABOUT_PERCENT = 10


@dataclass(frozen=True)
class ParsedFigure:
    lower: int | None
    upper: int | None
    qualifier: str
    error: str = ""
    currency: str = ""
    best: int | None = None

    @property
    def ok(self) -> bool:
        return not self.error


_UNITS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "dozen": 12,
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}

# Longest phrases first so "no more than" is not read as "more than".
_PREFIXES = [
    ("in excess of", MORE_THAN), ("no fewer than", AT_LEAST), ("not less than", AT_LEAST),
    ("no less than", AT_LEAST), ("a minimum of", AT_LEAST), ("no more than", AT_MOST),
    ("not more than", AT_MOST), ("a maximum of", AT_MOST), ("as many as", AT_MOST),
    ("approximately", ABOUT), ("more than", MORE_THAN), ("fewer than", AT_MOST),
    ("less than", AT_MOST), ("at least", AT_LEAST), ("at most", AT_MOST), ("up to", AT_MOST),
    ("roughly", ABOUT), ("nearly", ABOUT), ("around", ABOUT), ("almost", ABOUT),
    ("about", ABOUT), ("circa", ABOUT), ("some", ABOUT), ("over", MORE_THAN), ("c.", ABOUT),
    ("~", ABOUT),
]  # fmt: skip
# "fewer than 100" means at most 99; "more than 700" at least 701.
_STRICT = {"fewer than", "less than"}

_CURRENCY = re.compile(r"^(?:us\$|usd|\$)\s*", re.IGNORECASE)
_RANGE = re.compile(r"^(?:between\s+)?(?P<a>.+?)\s*(?:\bto\b|\band\b|-|–|—)\s*(?P<b>.+)$")
_DIGITS = re.compile(
    r"^(?P<num>\d{1,3}(?:(?P<sep>[,. \u00a0\u202f\u2009])\d{3})(?:(?P=sep)\d{3})*|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<scale>dozen|hundred|thousand|million|billion))?$"
)


def _read_words(text: str) -> int | None:
    """'about forty' -> 40 after the prefix is gone; 'a dozen' -> 12; 'two hundred' -> 200."""
    words = [w for w in re.split(r"[\s-]+", text) if w and w != "and"]
    if not words or any(w not in _UNITS and w not in _SCALES for w in words):
        return None
    total, current = 0, 0
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
        else:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
    return total + current


def _read_number(text: str) -> int | None:
    text = text.strip()
    match = _DIGITS.match(text)
    if match:
        raw = match["num"]
        scale = _SCALES.get(match["scale"] or "", 1)
        if match["sep"]:
            # "3,825", "14.000" and "7 630": a separator before groups of three is a
            # thousands separator, whatever the character.
            value = Decimal(re.sub(r"\D", "", raw))
        else:
            try:
                value = Decimal(raw)
            except InvalidOperation:
                return None
        value = value * scale
        if value != value.to_integral_value():
            return None
        return int(value)
    return _read_words(text)


def best_within(best: int | None, lower: int | None, upper: int | None) -> int | None:
    """``best`` if the bounds allow it, else None: bounds typed by hand drop a best they leave out."""
    if best is None or (lower is not None and best < lower) or (upper is not None and best > upper):
        return None
    return best


def about_margin(value: int) -> int:
    """How far "about ``value``" reaches either way (``ABOUT_PERCENT``, rounded up, at least 1)."""
    return max(1, -(-value * ABOUT_PERCENT // 100))


_NUM = r"\d[\d,. \u00a0\u202f\u2009]*\d|\d"
_DASH = r"(?:to|-|–|—)"
# "6,500 (5,900–7,100)", "6,500 [5,900 to 7,100]", "6,500 (range 5,900-7,100)"
_BEST_RANGE = re.compile(
    rf"^(?:best\s*:?\s*)?(?P<b>{_NUM})\s*[(\[]\s*(?:range\s*:?\s*)?(?P<l>{_NUM})\s*"
    rf"(?:{_DASH}|,)\s*(?P<h>{_NUM})\s*[)\]]$"
)
# "6,500, low 5,900, high 7,100", "best 6,500 (low 5,900, high 7,100)"
_BEST_LOW_HIGH = re.compile(
    rf"^(?:best\s*(?:estimate)?\s*:?\s*)?(?P<b>{_NUM})\s*[,;]?\s*\(?\s*low\s*:?\s*"
    rf"(?P<l>{_NUM})\s*[,;]?\s*high\s*:?\s*(?P<h>{_NUM})\s*\)?$"
)


def _best_and_bounds(words: str, currency: str) -> ParsedFigure | None:
    """A best value given with its bounds, or None when the words are not of that form."""
    match = _BEST_RANGE.match(words) or _BEST_LOW_HIGH.match(words)
    if not match:
        return None
    best, low, high = (_read_number(match[k].strip()) for k in ("b", "l", "h"))
    if best is None or low is None or high is None:
        return None
    if max(best, low, high) > MAX_VALUE:
        return ParsedFigure(None, None, UNREADABLE, "The figure is too large to store.")
    if not low <= best <= high:
        return ParsedFigure(
            None, None, UNREADABLE,
            f"The best value {best:,} is not within its range {low:,}–{high:,}.",
        )  # fmt: skip
    return ParsedFigure(low, high, RANGE, currency=currency, best=best)


def parse_figure(text: str) -> ParsedFigure:
    """Turn "more than 700", "300 to 400", "US$1.2 billion", "about forty"… into bounds and a best."""
    if text is None:
        text = ""
    if "\x00" in text:
        return ParsedFigure(None, None, UNREADABLE, "The figure contains a NUL character.")
    if len(text) > MAX_TEXT:
        return ParsedFigure(
            None, None, UNREADABLE, f"The figure is longer than {MAX_TEXT} characters."
        )
    words = " ".join(text.lower().split())
    if not words:
        return ParsedFigure(None, None, UNREADABLE, "The figure is empty.")

    qualifier = EXACT
    strict = False
    for prefix, meaning in _PREFIXES:
        if words.startswith(prefix) and (
            len(words) == len(prefix) or not words[len(prefix)].isalnum() or prefix[-1] in ".~"
        ):
            qualifier, strict = meaning, prefix in _STRICT
            words = words[len(prefix) :].strip()
            break

    currency = ""
    if _CURRENCY.match(words):
        currency = "USD"
        words = _CURRENCY.sub("", words)
    words = re.sub(r"\s*(?:us dollars|dollars|usd)$", "", words).strip()

    estimate = _best_and_bounds(words, currency)
    if estimate is not None:
        return estimate
    value = _read_number(words)
    if value is None:
        range_match = _RANGE.match(words)
        if range_match:
            low = _read_number(_CURRENCY.sub("", range_match["a"]))
            high = _read_number(_CURRENCY.sub("", range_match["b"]))
            if low is not None and high is not None:
                if low > high:
                    return ParsedFigure(
                        None, None, UNREADABLE,
                        f"The range runs backwards: {low:,} is above {high:,}.",
                    )  # fmt: skip
                if high > MAX_VALUE:
                    return ParsedFigure(None, None, UNREADABLE, "The figure is too large to store.")
                # "up to 300 to 400" is still the range 300-400.
                return ParsedFigure(low, high, RANGE, currency=currency)
        return ParsedFigure(
            None, None, UNREADABLE, f"Could not read a number in “{text.strip()[:60]}”."
        )
    if value > MAX_VALUE or (qualifier == MORE_THAN and value == MAX_VALUE):
        return ParsedFigure(None, None, UNREADABLE, "The figure is too large to store.")

    if qualifier == MORE_THAN:
        return ParsedFigure(value + 1, None, MORE_THAN, currency=currency)
    if qualifier == AT_LEAST:
        return ParsedFigure(value, None, AT_LEAST, currency=currency)
    if qualifier == AT_MOST:
        upper = value - 1 if strict else value
        if upper < 0:
            return ParsedFigure(None, None, UNREADABLE, "“Fewer than zero” is not a figure.")
        return ParsedFigure(None, upper, AT_MOST, currency=currency)
    if qualifier == ABOUT or words.startswith("a dozen") or words == "dozen":
        # "a dozen" is itself approximate.
        margin = about_margin(value)
        if value + margin > MAX_VALUE:
            return ParsedFigure(None, None, UNREADABLE, "The figure is too large to store.")
        low, high = max(0, value - margin), value + margin
        return ParsedFigure(low, high, ABOUT, currency=currency, best=value)
    return ParsedFigure(value, value, EXACT, currency=currency, best=value)


# A claim's fields that the words fill in, unless the editor (or the file, or the caller) types them.
FIGURE_FIELDS = ("lower", "upper", "best", "qualifier")


def read_words(values: dict, before: Mapping | None = None) -> str:
    """Fill a claim's bounds, best value and qualifier in ``values`` from its words
    (``figure_text``) where the write leaves them to the words; return the parser's complaint
    ("" if none).

    The one rule for the admin form, the services and the import. ``values`` is the claim as it
    will be saved, ``before`` as it is stored (None for a new claim); what this write changes
    decides:

    - new words, and none of the figure fields changed with them: the words are read;
    - marked not a number (``unreadable``) and no bounds: only the words are kept;
    - no bounds, and no qualifier or no best value either: the words are read;
    - otherwise the bounds stay as given, and a best value not given with them stays only
      while it lies within them (``best_within``).

    Words that cannot be read leave no bounds and the qualifier ``unreadable``; the admin keeps
    them with the complaint as a warning, an import refuses the row with it.
    """

    def changed(name):
        if before is None:
            return values.get(name) not in (None, "")
        return values.get(name) != before.get(name)

    lower, upper, best = values.get("lower"), values.get("upper"), values.get("best")
    qualifier = values.get("qualifier")
    no_bounds = lower is None and upper is None
    if changed("figure_text") and not any(changed(name) for name in FIGURE_FIELDS):
        return _fill(values)
    if no_bounds and qualifier == UNREADABLE:
        values["best"] = None
        return ""
    if no_bounds and (best is None or not qualifier):
        return _fill(values)
    if not changed("best"):
        values["best"] = best_within(best, lower, upper)
    return ""


def _fill(values: dict) -> str:
    figure = parse_figure(values.get("figure_text") or "")
    values["lower"], values["upper"] = figure.lower, figure.upper
    values["best"], values["qualifier"] = figure.best, figure.qualifier
    return figure.error
