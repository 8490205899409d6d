"""Outside data of the three shapes the ledger exists for, written as the documented import files
(docs/import-export.md), to import into the default data with no code change:

1. an independent research programme's estimate for the whole war: best, low and high, for both
   sides together (an empty ``subject``);
2. visually confirmed equipment losses by outcome (tanks destroyed / damaged / abandoned /
   captured and their total; other armoured vehicles likewise), one independent counter;
3. a register of thousands of named servicemen, each with a date of death within the war.

    python -m tests.outside.generate OUTDIR [--people N]

The numbers are made up; their shapes are the real ones.
"""

import argparse
import csv
import datetime
import io
import random
from pathlib import Path

from claims.resources import CLAIM_COLUMNS, RECORD_COLUMNS

CONFLICT = "second-nagorno-karabakh-war"
START, END = datetime.date(2020, 9, 27), datetime.date(2020, 11, 10)

CLAIMANTS_CSV = (
    "slug,name,kind,party,description\n"
    "research-programme,A conflict data research programme,ngo,,"
    '"Battle-related deaths for the whole war: best, low and high."\n'
    "equipment-counter,An open-source equipment counter,ngo,,"
    '"Losses confirmed by photographs or video, one row per item."\n'
)
SOURCES_CSV = (
    "slug,title,publisher,url,published_on,accessed_on,archive_url,language,note\n"
    "brd-2021,Battle-related deaths dataset 2021,A research programme,"
    "https://research.example.org/brd/21.1,2021-06-01,,,en,\n"
    "equipment-list,Documented equipment losses,An equipment counter,"
    "https://counter.example.org/list,2020-11-15,,,en,\n"
)

ESTIMATE = "7,600 (7,300–8,100)"  # best 7,600, low 7,300, high 8,100

# (category, figure) for the Armenian side; the totals ("-lost") match the sum of outcomes.
EQUIPMENT = [
    ("tanks-destroyed", "146"), ("tanks-damaged", "9"), ("tanks-abandoned", "2"),
    ("tanks-captured", "48"), ("tanks-lost", "205"),
    ("other-armoured-vehicles-destroyed", "40"), ("other-armoured-vehicles-damaged", "3"),
    ("other-armoured-vehicles-captured", "20"), ("other-armoured-vehicles-lost", "63"),
]  # fmt: skip


def _csv(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({h: row.get(h, "") for h in headers})
    return out.getvalue().encode()


def claims_csv() -> bytes:
    headers = [c.name for c in CLAIM_COLUMNS]
    rows = [
        {
            "external_id": "brd-2021-all", "conflict": CONFLICT, "claimant": "research-programme",
            "subject": "", "category": "military-killed", "figure_text": ESTIMATE,
            "scope": "cumulative", "as_of": "2020-11-10", "stated_on": "2021-06-01",
            "status": "published", "sources": "brd-2021 (table 3)",
            "quote": f"Battle-related deaths, both sides: {ESTIMATE}",
        }
    ]  # fmt: skip
    for category, figure in EQUIPMENT:
        rows.append(
            {
                "external_id": f"eq-{category}", "conflict": CONFLICT,
                "claimant": "equipment-counter", "subject": "armenia-and-artsakh",
                "category": category, "figure_text": figure, "scope": "cumulative",
                "as_of": "2020-11-10", "stated_on": "2020-11-15", "status": "published",
                "sources": "equipment-list",
            }
        )  # fmt: skip
    return _csv(headers, rows)


def records_csv(people: int, seed: int = 2020) -> tuple[bytes, dict[datetime.date, int]]:
    """``people`` named Azerbaijani servicemen killed, dated over the war; returns the file and
    how many died on each day (to check "as known on")."""
    rng = random.Random(seed)
    headers = [c.name for c in RECORD_COLUMNS]
    days = (END - START).days + 1
    per_day: dict[datetime.date, int] = {}
    rows = []
    for i in range(people):
        day = START + datetime.timedelta(days=rng.randrange(days))
        per_day[day] = per_day.get(day, 0) + 1
        rows.append(
            {
                "external_id": f"reg-{i:05d}", "conflict": CONFLICT,
                "name": f"Əsgər {i:05d} oğlu", "name_transliterated": f"Asgar {i:05d} oglu",
                "role": "serviceman", "rank": rng.choice(["Private", "Sergeant", "Lieutenant"]),
                "party": "azerbaijan", "outcome": "killed", "date": day.isoformat(),
                "sources": "seed-article",
            }
        )  # fmt: skip
    return _csv(headers, rows), per_day


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--people", type=int, default=3000)
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    (args.outdir / "claimants.csv").write_text(CLAIMANTS_CSV)
    (args.outdir / "sources.csv").write_text(SOURCES_CSV)
    (args.outdir / "claims.csv").write_bytes(claims_csv())
    (args.outdir / "records.csv").write_bytes(records_csv(args.people)[0])


if __name__ == "__main__":
    main()
