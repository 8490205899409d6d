"""Duplicate detection over many named records: time, memory, recall and precision.

Generates N records (tests/people_generator.py: Armenian and Cyrillic script, every person
with a date of birth, ``--dup-rate`` of them planted again in the other script or another
Latin spelling, same party, rank and date of birth, date of death the same or days apart) and
runs ``casualties.duplicates.find_pairs`` on them, as the admin's duplicates page does on the
database (``database_pairs`` reads the same candidates from a chunked query).

Blocking rule (casualties/duplicates.py): records are compared only within a party and a
blocking key of the name's sound key (its words sorted; or its longest word with the others'
initials), so the work grows with the number of records times the size of a block, not with
the square of the number of records.

Reports: seconds, records per second, tracemalloc peak (MB) at a tenth and at all of N, the
pairs found, the planted pairs, recall (planted found / planted) and precision (found that
were planted / found).

    .venv/bin/python bench/duplicates_bench.py --records 100000
"""

import argparse
import datetime
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")


def candidates(rows, ids):
    from casualties.duplicates import candidate

    for row in rows:
        yield candidate(
            ids[row["external_id"]], name=row["name"], party_id=hash(row["party"]) % 1000,
            date=datetime.date.fromisoformat(row["date"]),
            dob=datetime.date.fromisoformat(row["date_of_birth"]), rank=row["rank"],
        )  # fmt: skip


def run(n, dup_rate, parties):
    from casualties.duplicates import find_pairs, passes_for
    from tests.people_generator import generate

    rows, planted = generate(n, dup_rate=dup_rate, parties=parties, seed=2020)
    ids = {row["external_id"]: i for i, row in enumerate(rows)}
    planted_keys = {frozenset((ids[a], ids[b])) for a, b in planted}
    tracemalloc.start()
    started = time.perf_counter()
    found = {
        frozenset((p.first.key, p.second.key))
        for p in find_pairs(lambda: candidates(rows, ids), passes=passes_for(n))
    }
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1_048_576
    tracemalloc.stop()
    hits = len(found & planted_keys)
    return {
        "records": n,
        "seconds": round(seconds, 1),
        "records_per_s": round(n / seconds),
        "peak_mb": round(peak, 1),
        "found": len(found),
        "planted": len(planted_keys),
        "recall": round(hits / len(planted_keys), 4) if planted_keys else None,
        "precision": round(hits / len(found), 4) if found else None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dup-rate", type=float, default=0.05)
    parser.add_argument("--parties", type=int, default=2)
    args = parser.parse_args()
    import django

    django.setup()
    parties = [f"party-{i}" for i in range(args.parties)]
    for n in (args.records // 10, args.records // 2, args.records):
        print(run(n, args.dup_rate, parties), flush=True)


if __name__ == "__main__":
    main()
