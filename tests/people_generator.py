"""Generated named records in Armenian and Cyrillic script, with planted duplicates.

Used by tests/casualties/test_people_generated.py (5,000 records over the default data) and by
bench/duplicates_bench.py (100,000). Not part of the default data.

Names are built from syllables in Armenian script (so there are many distinct surnames); a
person's Cyrillic spelling is made from the automatic Latin form with a Russian-style table
(“-yan” → “-ян”). A planted duplicate is the same person again (same party, rank and date of
birth, date of death the same or days apart) in the other script, or in a Latin spelling of
another scheme (“-ian”, “i” for “y”).
"""

import datetime
import random

from casualties.names import latin

# Armenian letters (capital, small) with no special behaviour at the start of a word.
CONSONANTS = [
    ("Բ", "բ"), ("Գ", "գ"), ("Դ", "դ"), ("Զ", "զ"), ("Կ", "կ"), ("Լ", "լ"), ("Մ", "մ"),
    ("Ն", "ն"), ("Պ", "պ"), ("Ս", "ս"), ("Տ", "տ"), ("Ր", "ր"), ("Հ", "հ"), ("Շ", "շ"),
    ("Խ", "խ"), ("Ծ", "ծ"), ("Ժ", "ժ"), ("Չ", "չ"), ("Վ", "վ"), ("Ք", "ք"), ("Թ", "թ"),
]  # fmt: skip
VOWELS = ["ա", "ի", "ու", "ա", "ա", "ի"]
FIRST_NAMES = [
    "Արամ", "Արմեն", "Գոռ", "Դավիթ", "Էրիկ", "Հայկ", "Տիգրան", "Նարեկ", "Վահագն", "Սերգեյ",
    "Կարեն", "Արթուր", "Լևոն", "Մհեր", "Սամվել", "Գևորգ", "Համլետ", "Ռոման", "Անդրանիկ", "Միքայել",
]  # fmt: skip
RANKS = ["", "", "", "Private", "Sergeant", "Lieutenant", "Captain", "Major", "Colonel"]

# Latin (anyascii's output, lower case) → Cyrillic, longest first.
_CYR = [
    ("shch", "щ"), ("sh", "ш"), ("kh", "х"), ("ts", "ц"), ("zh", "ж"), ("ch", "ч"), ("ya", "я"),
    ("yu", "ю"), ("ye", "е"), ("a", "а"), ("b", "б"), ("v", "в"), ("g", "г"), ("d", "д"),
    ("e", "е"), ("z", "з"), ("i", "и"), ("y", "й"), ("k", "к"), ("l", "л"), ("m", "м"),
    ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("f", "ф"), ("h", "г"), ("j", "дж"), ("q", "к"), ("w", "в"), ("x", "кс"), ("c", "ц"),
]  # fmt: skip

# The default data's Armenian-side records, in Armenian script (for planted duplicates).
DEFAULT_IN_ARMENIAN = {
    "sergey-shakaryan": ("Սերգեյ Շաքարյան", "armenia-and-artsakh", "Colonel"),
    "vahagn-asatryan": ("Վահագն Ասատրյան", "armenia-and-artsakh", "Colonel"),
    "gor-sargsyan": ("Գոռ Սարգսյան", "armenia-and-artsakh", ""),
    "albert-dadoyan": ("Ալբերտ Դադոյան", "armenia-and-artsakh", ""),
    "tatul-harutyunyan": ("Տատուլ Հարությունյան", "armenia-and-artsakh", ""),
    "erik-saryan": ("Էրիկ Սարյան", "armenia-and-artsakh", ""),
}


def cyrillic(text: str) -> str:
    """A Russian-style spelling of a name, from its Latin form."""
    out = []
    for word in latin(text).split():
        low, res, i = word.lower(), "", 0
        while i < len(low):
            for a, b in _CYR:
                if low.startswith(a, i):
                    res += b
                    i += len(a)
                    break
            else:
                i += 1
        out.append(res[:1].upper() + res[1:])
    return " ".join(out)


def variant_latin(text: str) -> str:
    """Another scheme's Latin spelling: “-yan” → “-ian”, “y” → “i”, “k” → “c” before a."""
    return latin(text).replace("yan", "ian").replace("y", "i").replace("ka", "ca")


def surname(rng) -> str:
    parts = []
    for i in range(rng.choice([2, 2, 3])):
        cap, small = rng.choice(CONSONANTS)
        parts.append((cap if i == 0 else small) + rng.choice(VOWELS))
    cap, small = rng.choice(CONSONANTS)
    return "".join(parts) + small + "յան"


def generate(n, *, seed=12, start=datetime.date(2020, 9, 27), days=45, parties=("armenia",),
             conflict="war", source="", dup_rate=0.05, cyrillic_rate=0.3, prefix="gen"):  # fmt: skip
    """``n`` records as import rows (dicts of the import columns), and the planted duplicate
    pairs as (external_id, external_id). Every person has a date of birth, so two different
    people who share a name are told apart by it."""
    rng = random.Random(seed)
    rows, planted = [], []
    while len(rows) < n:
        number = len(rows)
        name = f"{rng.choice(FIRST_NAMES)} {surname(rng)}"
        script = "cyrillic" if rng.random() < cyrillic_rate else "armenian"
        row = {
            "external_id": f"{prefix}-{number}", "conflict": conflict,
            "name": cyrillic(name) if script == "cyrillic" else name, "role": "serviceman",
            "rank": rng.choice(RANKS), "party": rng.choice(parties), "outcome": "killed",
            "date": (start + datetime.timedelta(days=rng.randrange(days))).isoformat(),
            "date_of_birth": datetime.date(rng.randrange(1960, 2002), rng.randrange(1, 13),
                                           rng.randrange(1, 29)).isoformat(),
            "sources": source,
        }  # fmt: skip
        rows.append(row)
        if len(rows) < n and rng.random() < dup_rate:
            twin = dict(row, external_id=f"{prefix}-{number}-dup")
            if script == "cyrillic":
                twin["name"] = name
            else:
                twin["name"] = cyrillic(name) if rng.random() < 0.7 else variant_latin(name)
            shift = rng.choice([0, 0, 0, 1, 3, 10])
            day = datetime.date.fromisoformat(row["date"]) + datetime.timedelta(days=shift)
            twin["date"] = min(day, start + datetime.timedelta(days=days - 1)).isoformat()
            rows.append(twin)
            planted.append((row["external_id"], twin["external_id"]))
    return rows, planted
