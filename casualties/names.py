"""Names in any script, in Latin letters: for display, search and finding duplicates.

The automatic Latin form is anyascii's (pinned in requirements.txt): one small, pure-Python,
well-kept library with tables for every script the war's records come in (Armenian, Azerbaijani
Latin and Cyrillic, Russian, Georgian, Persian...), no system dependency, and the same output
on every machine, so keys stored in the database stay valid. It is a transliteration for
machines, not a scholarly romanisation: editors enter the spelling a family or a source uses in
``name_transliterated``; search looks at both.

Search and the duplicates also compare sound keys (``sound_keys``), which fold the spellings
schemes differ on: y/i, sh/ch/tch, kh/x, doubled letters; a/e (Azerbaijani ə is written
either); h, g, k and q as one letter, with a second key leaving h out (Russian writes an
Armenian or Azerbaijani h as г or not at all); Azerbaijani c as j; the old ending -off for
-ov; and the vowel Eastern Armenian drops before -yan (Sargsyan / Саркисян). Changing a fold
changes the stored ``search_text``: a data migration recomputes it.
"""

import re
from functools import lru_cache

from anyascii import anyascii

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"([a-z])\1+")
# Spellings that differ between transliteration schemes of the same sounds (Armenian,
# Azerbaijani and Russian names in English, French, German, passport and Russian usage),
# folded to one letter. Applied in order, on lower-case ASCII.
_FOLDS = [
    ("tch", "c"), ("ch", "c"), ("ts", "c"), ("tz", "c"), ("sh", "s"), ("zh", "j"), ("kh", "x"),
    ("gh", "g"), ("ph", "f"), ("th", "t"), ("dj", "j"), ("w", "v"), ("ck", "k"), ("ou", "u"),
    # y and i are one vowel (Aliev, Aliyev, Əliyev: “aliev”; Kuliev, Quliyev).
    ("y", "i"),
    # Azerbaijani ə is written a or e, in Russian and in English, even within one name
    # (Məmmədov, Mamedov, Mammadov; Əliyev, Aliyev): a and e are one vowel.
    ("e", "a"),
    # Russian writes Armenian and Azerbaijani h as г (Hamidov / Гамидов), and Armenian Eastern
    # g, k and gh (գ, կ, ղ) as г or к, Western Armenian the other way round (Sargsyan /
    # Саркисян, Ghazaryan / Казарян, Grigoryan / Krikorian), Azerbaijani q as г or к (Quliyev
    # / Гулиев / Кулиев): h, g, q and k are one letter.
    ("h", "k"), ("g", "k"), ("q", "k"),
]  # fmt: skip
# The old spelling of the Russian endings -ов, -ев: “Safaroff”, “Alieff”.
_OFF = re.compile(r"(?<=[aeiouy])ff$")
# An Armenian surname is a first name with -յան, and Eastern Armenian drops the vowel of the
# name's last syllable where Russian keeps it (Sargis: Sargsyan / Саркисян; Hovhannes:
# Hovhannisyan / Ованесян; Khachatur: Khachatryan / Хачатурян): that vowel is left out, before
# one consonant and the ending (the key of both is “sarksian”).
_YAN = re.compile(r"(?<=[^aeiou])[aeiou]+(?=[^aeiou]ian$)")
# Armenian ու is one vowel, u (anyascii writes the two letters: “ow”); ռ is an r (not “rr”).
_ARMENIAN = [("ու", "u"), ("Ու", "U"), ("ՈՒ", "U"), ("Ռ", "R"), ("ռ", "r")]
# Letters only Azerbaijani (and Turkish) Latin writes: in a word with one of them, c is the
# sound Russian writes дж and English j (Cəfərov / Джафаров / Jafarov), not ts.
_AZERBAIJANI = re.compile(r"[əƏıİğĞşŞçÇ]")
_AZERBAIJANI_C = str.maketrans("cC", "jJ")


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
    (“Sergey Shakaryan”, “Sergei Chakarian”… → “sarkai sakarian”; “Mamedov”, “Məmmədov” →
    “mamadov”)."""
    return sound_keys(text)[0] if text else ""


@lru_cache(maxsize=131_072)
def sound_keys(text: str) -> tuple[str, ...]:
    """``sound_key``, and the same without h when the name has one: Russian writes an
    Armenian h as г or leaves it out (Hamlet / Гамлет, but Harutyunyan / Арутюнян,
    Hovhannisyan / Ованесян), so a name with h has both keys."""
    if not text:
        return ()
    words = search_key(" ".join(_azerbaijani(word) for word in text.split())).split()
    keys = [" ".join(_sound_word(word, False) for word in words)]
    without_h = " ".join(_sound_word(word, True) for word in words)
    if without_h != keys[0]:
        keys.append(without_h)
    return tuple(keys)


def _azerbaijani(word: str) -> str:
    return word.translate(_AZERBAIJANI_C) if _AZERBAIJANI.search(word) else word


@lru_cache(maxsize=100_000)
def _sound_word(word: str, drop_h: bool) -> str:
    # Cached: first names and surnames repeat, and duplicate finding reads every record.
    word = _OFF.sub("v", word)
    for a, b in _FOLDS:
        word = word.replace(a, "" if drop_h and a == "h" else b)
    return _YAN.sub("", _DOUBLE.sub(r"\1", word))


def search_text(*names: str) -> str:
    """What ``CasualtyRecord.search_text`` stores: every name's search key and sound keys."""
    keys: list[str] = []
    for name in names:
        for line in (name or "").splitlines():
            for key in (search_key(line), *sound_keys(line)):
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
