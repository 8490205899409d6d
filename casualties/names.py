"""Names in any script, in Latin letters: for display, search and finding duplicates.

The automatic Latin form is anyascii's (pinned in requirements.txt): one small, pure-Python,
well-kept library with tables for every script the war's records come in (Armenian, Azerbaijani
Latin and Cyrillic, Russian, Georgian, Persian...), no system dependency, and the same output
on every machine, so keys stored in the database stay valid. It is a transliteration for
machines, not a scholarly romanisation: editors enter the spelling a family or a source uses in
``name_transliterated``; search looks at both.
"""

import re
from functools import lru_cache

from anyascii import anyascii

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"([a-z])\1+")
# Spellings that differ between transliteration schemes of the same sounds (Armenian and
# Russian names in English, French, German and passport usage), folded to one letter. Applied in
# order, on lower-case ASCII.
_FOLDS = [
    ("tch", "c"), ("ch", "c"), ("ts", "c"), ("tz", "c"), ("sh", "s"), ("zh", "j"), ("kh", "x"),
    ("gh", "g"), ("ph", "f"), ("th", "t"), ("dj", "j"), ("ie", "e"), ("y", "i"), ("w", "v"),
    ("q", "k"), ("ck", "k"), ("ou", "u"),
    # Russian writes Armenian and Azerbaijani h as г (Hamidov / Гамидов): fold h into g.
    ("h", "g"),
]  # fmt: skip
# Armenian ու is one vowel, u (anyascii writes the two letters: “ow”); ռ is an r (not “rr”).
_ARMENIAN = [("ու", "u"), ("Ու", "U"), ("ՈՒ", "U"), ("Ռ", "R"), ("ռ", "r")]


def latin(name: str) -> str:
    """The automatic Latin form: anyascii, without the apostrophes it writes for aspirates
    (Armenian ք → k'), Armenian ու as u, spaces collapsed."""
    text = name or ""
    for armenian, latin_ in _ARMENIAN:
        text = text.replace(armenian, latin_)
    text = anyascii(text).replace("'", "").replace("`", "")
    return " ".join(text.split())


def search_key(text: str) -> str:
    """Lower-case ASCII letters and digits, words separated by one space: what search compares.
    Case, diacritics and script do not matter (“Ülvi”, “Ulvi” and “Улви” give “ulvi”)."""
    return " ".join(_NOT_ALNUM.sub(" ", latin(text).lower()).split())


@lru_cache(maxsize=131_072)  # bounded; the duplicates' passes read each name again
def sound_key(text: str) -> str:
    """A rough phonetic form of ``search_key``: doubled letters single, scheme variants folded
    (“Sergey Shakaryan”, “Sergei Chakarian”… → “sergei sakarian”)."""
    if not text:
        return ""
    return " ".join(_sound_word(word) for word in search_key(text).split())


@lru_cache(maxsize=100_000)
def _sound_word(word: str) -> str:
    # Cached: first names and surnames repeat, and duplicate finding reads every record.
    for a, b in _FOLDS:
        word = word.replace(a, b)
    return _DOUBLE.sub(r"\1", word)


def search_text(*names: str) -> str:
    """What ``CasualtyRecord.search_text`` stores: every name's search key and sound key."""
    keys: list[str] = []
    for name in names:
        for line in (name or "").splitlines():
            for key in (search_key(line), sound_key(line)):
                if key and key not in keys:
                    keys.append(key)
    return "|" + "|".join(keys) + "|" if keys else ""


def blocking_keys(sound: str) -> set[str]:
    """Keys under which two spellings of one name meet (the duplicates' blocking rule), from
    its ``sound_key``: the words sorted (“Shakaryan Sergey” = “Sergey Shakaryan”), and the
    longest word with the first letter of the others (“S. Shakaryan”)."""
    words = sorted(sound.split())
    if not words:
        return set()
    keys = {" ".join(words)}
    longest = max(words, key=len)
    rest = sorted(w[0] for w in words if w is not longest)
    keys.add(longest + ":" + "".join(rest))
    return keys
