"""Probable duplicates: the same person recorded twice, across scripts and spellings.

Blocking (so 100,000 records are not compared pairwise): two records are compared only if they
share a party and a blocking key of one of their names (``casualties.names.blocking_keys``):
the sound key's words sorted, or the longest word with the others' initials. The sound key
folds case, diacritics, script (anyascii) and the usual variants of transliteration schemes
(y/i, sh/ch/tch, kh/x, doubled letters; a/e for Azerbaijani ə; h/g/k/q; -off for -ov; the
vowel Eastern Armenian drops before -yan), so “Սերգեյ Շաքարյան”, “Сергей Шакарян” and “Sergey
Shakaryan” meet in one block, as do “Məmmədov” and “Mamedov”, “Sargsyan” and “Саркисян”. A
name with an h also has a sound key without it (Russian leaves an Armenian h out:
“Harutyunyan”, “Арутюнян”); a candidate's blocks and name score use all its keys. A block bigger than ``MAX_BLOCK`` (a very common name) compares
each record with the ``MAX_BLOCK`` before it only. Memory stays flat: with more than
``IN_MEMORY`` records the blocks are built in several passes over the records, each holding
the blocks whose key hashes to it.

Scoring, in a block: name similarity (rapidfuzz's token-sort ratio of the sound keys, 0–100),
then evidence for and against: the same date of death (+10), dates of death within a month
(0, noted: “the same name with dates a month apart”), further apart (−30); the same date of
birth (+15), different ones (−40); the same rank (+5), different ranks (−15). Pairs scoring at
least ``THRESHOLD`` are suggested, with the reasons, unless an editor marked them different
people (``DistinctPair``) or one is merged into the other.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from zlib import crc32

from rapidfuzz.fuzz import token_sort_ratio

from casualties.names import blocking_keys, search_key, sound_key, sound_keys

THRESHOLD = 85
NAME_MIN = 85
MAX_BLOCK = 200
MONTH = 31
IN_MEMORY = 25_000  # records whose blocks are held at once (find_pairs' passes)
IMPORT_ROWS_CHECKED = 20_000  # rows of an import file checked for duplicates in its preview


@dataclass(slots=True)
class Candidate:
    key: object  # a record's pk, or ("row", number) for an import row
    label: str
    party_id: int | None
    sounds: tuple[str, ...]
    date: datetime.date | None
    dob: datetime.date | None
    rank: str
    scripts: frozenset = frozenset()
    blocks: frozenset = frozenset()  # "party|blocking key" of every name


@dataclass
class Pair:
    first: Candidate
    second: Candidate
    score: int
    reasons: list[str] = field(default_factory=list)


def _script(name: str) -> str:
    return "Latin" if name.isascii() else "other"


def candidate(
    key, *, name, name_transliterated="", party_id, date, dob, rank, label=""
) -> Candidate:
    sounds = tuple(
        dict.fromkeys(s for n in (name, name_transliterated) for s in sound_keys(n) if s)
    )
    blocks = frozenset(f"{party_id}|{b}" for sound in sounds for b in blocking_keys(sound))
    return Candidate(
        key, label or name, party_id, sounds, date, dob, search_key(rank),
        frozenset({_script(name)}), blocks,
    )  # fmt: skip


def score(a: Candidate, b: Candidate) -> Pair | None:
    """The pair with its score and reasons, or None if it is not a probable duplicate."""
    name = max((token_sort_ratio(x, y) for x in a.sounds for y in b.sounds), default=0)
    if name < NAME_MIN:
        return None
    total = name
    reasons = [
        f"names {round(name)}% alike" + (" across scripts" if a.scripts != b.scripts else "")
    ]
    if a.date and b.date:
        days = abs((a.date - b.date).days)
        if days == 0:
            total += 10
            reasons.append("same date of death")
        elif days <= MONTH:
            reasons.append(f"dates of death {days} day{'s' if days > 1 else ''} apart")
        else:
            total -= 30
            reasons.append(f"dates of death {days} days apart")
    if a.dob and b.dob:
        if a.dob == b.dob:
            total += 15
            reasons.append("same date of birth")
        else:
            total -= 40
            reasons.append("different dates of birth")
    if a.rank and b.rank:
        if a.rank == b.rank or sound_key(a.rank) == sound_key(b.rank):
            total += 5
            reasons.append("same rank")
        else:
            total -= 15
            reasons.append("different ranks")
    total = max(0, min(100, round(total)))
    if total < THRESHOLD:
        return None
    return Pair(a, b, total, reasons)


def find_pairs(source, *, skip=frozenset(), wanted=None, passes: int = 1) -> Iterator[Pair]:
    """Every probable duplicate pair among the candidates ``source()`` yields (each pair once).

    ``source`` is called once per pass and must yield the same candidates each time: with
    ``passes`` > 1 each pass keeps only the blocks whose key hashes to it, so memory is about
    1/passes of the records (``passes_for``), at the cost of reading them again. A pair is
    compared under the smallest blocking key the two share, so never twice. ``skip`` holds
    frozensets of keys never to suggest; ``wanted(a, b)``, if given, filters pairs first.
    """
    for this in range(passes):
        blocks: dict[str, list[Candidate]] = defaultdict(list)
        for c in source():
            for bkey in sorted(c.blocks):
                if passes > 1 and crc32(bkey.encode()) % passes != this:
                    continue
                block = blocks[bkey]
                for other in block[-MAX_BLOCK:]:
                    if other.key == c.key or min(c.blocks & other.blocks) != bkey:
                        continue
                    if wanted is not None and not wanted(other, c):
                        continue
                    if frozenset((other.key, c.key)) in skip:
                        continue
                    pair = score(other, c)
                    if pair is not None:
                        yield pair
                block.append(c)


def passes_for(records: int) -> int:
    """Passes that keep about ``IN_MEMORY`` records' blocks in memory at a time."""
    return max(1, -(-records // IN_MEMORY))


def database_candidates(queryset=None) -> Iterator[Candidate]:
    """The records that can still be duplicates (not merged, not retracted), read in chunks."""
    from casualties.models import CasualtyRecord

    qs = CasualtyRecord.objects.all() if queryset is None else queryset
    qs = qs.filter(merged_into__isnull=True).exclude(status=CasualtyRecord.Status.RETRACTED)
    rows = qs.order_by("party_id", "id").values_list(
        "pk", "name", "name_transliterated", "party_id", "date", "date_of_birth", "rank"
    )
    for pk, name, translit, party_id, date, dob, rank in rows.iterator(chunk_size=5000):
        yield candidate(
            pk, name=name, name_transliterated=translit, party_id=party_id, date=date, dob=dob,
            rank=rank,
        )  # fmt: skip


def distinct_pairs() -> set[frozenset]:
    from casualties.models import DistinctPair

    return {frozenset(p) for p in DistinctPair.objects.values_list("first_id", "second_id")}


def database_pairs(queryset=None) -> list[Pair]:
    """Probable duplicates in the database, best first (the admin's duplicates page)."""
    from casualties.models import CasualtyRecord

    qs = CasualtyRecord.objects.all() if queryset is None else queryset
    pairs = list(
        find_pairs(
            lambda: database_candidates(qs), skip=distinct_pairs(), passes=passes_for(qs.count())
        )
    )
    pairs.sort(key=lambda p: (-p.score, p.first.label))
    return pairs


class ImportDuplicates:
    """The probable duplicates of an import file: among its rows, and against the database."""

    def __init__(self, limit: int = IMPORT_ROWS_CHECKED):
        self.rows: list[Candidate] = []
        self.own: dict[tuple, int] = {}  # a row's key → the record it updates
        self.limit = limit
        self.unchecked = 0  # rows past the limit

    def add(self, number: int, values: dict, *, is_new: bool):
        # The import's memory must not grow with the file: past the limit, rows are left to
        # the duplicates page (the preview says so).
        if len(self.rows) >= self.limit:
            self.unchecked += 1
            return
        key = ("row", number)
        if not is_new:
            self.own[key] = values["id"]
        self.rows.append(
            candidate(
                key, name=values["name"], name_transliterated=values["name_transliterated"],
                party_id=values["party_id"], date=values["date"], dob=values["date_of_birth"],
                rank=values["rank"], label=f"row {number}: {values['name']}",
            )
        )  # fmt: skip

    def pairs(self) -> list[Pair]:
        if not self.rows:
            return []
        updated = set(self.own.values())

        def wanted(a, b):
            # At least one side is a row of the file; never a row and the record it updates;
            # records the file updates are compared as the file's rows.
            rows = [c for c in (a, b) if isinstance(c.key, tuple)]
            if not rows:
                return False
            others = [c.key for c in (a, b) if not isinstance(c.key, tuple)]
            return not (set(others) & updated)

        def everything():
            yield from database_candidates()
            yield from self.rows

        from casualties.models import CasualtyRecord

        passes = passes_for(CasualtyRecord.objects.count() + len(self.rows))
        pairs = list(find_pairs(everything, skip=distinct_pairs(), wanted=wanted, passes=passes))
        pairs.sort(key=lambda p: (-p.score, str(p.first.key)))
        return pairs
