"""Import (and export) of many claims, with history, on SQLite and PostgreSQL.

One generated file of N claims (the synthetic data of ``reconcile_bench.fill``, written in the
import columns), and in the same run on the same database:

- **stock**: django-import-export's per-row ``ClaimResource.import_data`` (history through
  ``save()``) on the first ``--stock-rows`` rows (it is linear; timed on a slice);
- **project**: ``claims.importing.import_file`` on the whole file (validation, lookups,
  history of claims and cited sources);
- **raw**: the same rows, already resolved to ids, written with ``COPY`` (PostgreSQL) or
  ``executemany`` (SQLite) plus one ``INSERT … SELECT`` of their history (claims and cited
  sources) — no validation at all: the floor.

each for an insert (empty table) and for a re-import in which every row changed (update).
Then, if ``claims.exporting`` exists, the export of all N claims against a plain
``values_list`` + ``csv.writer`` loop. Peak memory is the child process's max RSS after each
phase (``resource.getrusage``), plus ``tracemalloc``'s peak of the project import of the
whole file and of a tenth of it (memory that does not grow with the file).

Usage (see bench/README.md):
    .venv/bin/python bench/import_export_bench.py --claims 100000 --db both
"""

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "cl_bench_import"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the child: one database ----------------------------------------------------------------


def dump(path, *, changed=False):
    """All claims in the import columns (what an export writes), to ``path``."""
    from claims.models import Claim, ClaimSource
    from claims.resources import CLAIM_COLUMNS, render_sources

    plain = [c for c in CLAIM_COLUMNS if c.kind != "many"]
    cited: dict[int, list] = {}
    for claim_id, slug, locator in ClaimSource.objects.values_list(
        "claim_id", "source__slug", "locator"
    ):
        cited.setdefault(claim_id, []).append((slug, locator))
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([c.name for c in CLAIM_COLUMNS])
        rows = Claim.objects.order_by("pk").values_list("pk", *(c.path for c in plain))
        names = [c.name for c in CLAIM_COLUMNS]
        for pk, *values in rows.iterator(chunk_size=5000):
            cells = dict(zip((c.name for c in plain), values, strict=True))
            cells = {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                     for k, v in cells.items()}  # fmt: skip
            if changed:
                cells["quote"] = f"revised {pk}"
            cells["sources"] = render_sources(cited.get(pk, []))
            cells["version"] = ""  # the rows are re-created by each path: no stale check
            writer.writerow([cells[name] for name in names])


def wipe():
    from django.db import connection

    from claims.models import Claim, ClaimSource

    tables = [ClaimSource.history.model, ClaimSource, Claim.history.model, Claim]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def analyze():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def child_prepare(args):
    sys.path.insert(0, str(ROOT / "bench"))
    from django.core.management import call_command
    from reconcile_bench import fill

    call_command("migrate", verbosity=0)
    fill(args.claims)
    dump(OUT / "import_a.csv")
    dump(OUT / "import_b.csv", changed=True)
    wipe()
    analyze()
    print(json.dumps({"prepared": args.claims}))


def resolved_rows(path):
    """The file's rows as database values (slugs resolved): what raw COPY writes."""
    from casualties.models import Category, Conflict, Event, Party, Place
    from claims.figures import parse_figure
    from claims.models import Claimant, Source
    from claims.resources import CLAIM_COLUMNS, parse_sources

    maps = {m: dict(m.objects.values_list("slug", "pk"))
            for m in (Conflict, Claimant, Party, Category, Event, Place, Source)}  # fmt: skip
    fks = {c.name: maps[c.fk_model] for c in CLAIM_COLUMNS if c.kind == "fk"}
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            values = {}
            for col in CLAIM_COLUMNS:
                text = row[col.name]
                if col.kind == "fk":
                    values[col.attr + "_id"] = fks[col.name].get(text) if text else None
                elif col.kind == "int":
                    values[col.attr] = int(text) if text else None
                elif col.kind == "date":
                    values[col.attr] = text or None
                elif col.kind == "bool":
                    values[col.attr] = text == "true"
                elif col.kind == "many":
                    values["sources"] = [(maps[Source][s], loc) for s, loc in parse_sources(text)]
                else:
                    values[col.attr] = text
            if values["lower"] is None and values["upper"] is None:
                parse_figure(values["figure_text"])
            out.append(values)
    return out


def raw_insert(rows, user_id, update=False):
    """COPY / executemany the rows (and cited sources), then INSERT … SELECT the history."""
    from django.db import connection
    from django.utils import timezone

    from claims.importing import _Writer, import_reason
    from claims.models import Claim, ClaimSource

    now = timezone.now()
    writer = _Writer(
        type("S", (), {"model": Claim, "many": "citations"}),
        None,
        import_reason(None, "raw", "bench"),
        now,
    )
    writer.user_id = user_id
    fields = writer.fields
    # Columns the file does not carry (added to the model later) take their defaults.
    defaults = {
        f.attname: f.get_default() for f in fields if f.has_default() and not callable(f.default)
    }
    for values in rows:
        for key, value in defaults.items():
            values.setdefault(key, value)
    if not update:
        pks = writer.allocate(Claim, len(rows))
        data = []
        for pk, values in zip(pks, rows, strict=True):
            values["id"] = pk
            data.append([pk, *(writer.value(f, values, new=True) for f in fields)])
        writer.insert(Claim, ["id", *(f.column for f in fields)], data)
        where, params = writer.ids_where(pks)
        writer.history(Claim, "+", where, params)
        cited = [(v["id"], s, loc) for v in rows for s, loc in v["sources"]]
        cpks = writer.allocate(ClaimSource, len(cited))
        writer.insert(ClaimSource, ["id", "claim_id", "source_id", "locator", "version"],
                      [[pk, *c, writer.version] for pk, c in zip(cpks, cited, strict=True)])  # fmt: skip
        where, params = writer.ids_where(cpks)
        writer.history(ClaimSource, "+", where, params)
        return
    ids = dict(Claim.objects.values_list("external_id", "pk"))
    for values in rows:
        values["id"] = ids[values["external_id"]]
    if connection.vendor == "postgresql":
        writer.update(rows)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO claims_historicalclaim ({', '.join(f.column for f in Claim._meta.concrete_fields)}, "
                "history_date, history_change_reason, history_type, history_user_id) "
                f"SELECT {', '.join('t.' + f.column for f in Claim._meta.concrete_fields)}, %s, %s, '~', %s "
                f"FROM claims_claim t JOIN {writer.stage} s ON s.id = t.id",
                [now, writer.reason, user_id],
            )
    else:
        writer.update(rows)
        where, params = writer.ids_where([v["id"] for v in rows])
        writer.history(Claim, "~", where, params)


def timed_import(path, user, *, dry_run=False, trace=False):
    from claims.importing import import_file

    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    with open(path, "rb") as f:
        result = import_file(f, path.name, kind="claims", user=user, via="command",
                             dry_run=dry_run)  # fmt: skip
    seconds = time.perf_counter() - start
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1_048_576
        tracemalloc.stop()
    assert result.ok, result.errors[:5]
    return seconds, result, peak


def child_time(args):
    import tablib
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from casualties.history import change_context
    from claims.models import Claim
    from claims.resources import ClaimResource

    wipe()
    user = get_user_model().objects.create_user("bench-importer")
    file_a, file_b = OUT / "import_a.csv", OUT / "import_b.csv"
    n = args.claims
    res = {"database": connection.vendor, "claims": n, "rss_start_mb": rss_mb()}

    def note(key, value):
        res[key] = value
        sys.stderr.write(f"{key}: {value}\n")
        sys.stderr.flush()

    # The project's path on the whole file: insert, then a re-import where every row changed.
    seconds, result, _ = timed_import(file_a, user)
    assert result.new == n, result.summary()
    note("project insert rows/s", n / seconds)
    res["rss_after_project_insert_mb"] = rss_mb()
    analyze()
    seconds, result, _ = timed_import(file_b, user)
    assert result.changed == n, result.summary()
    note("project update rows/s", n / seconds)
    res["rss_after_project_update_mb"] = rss_mb()
    seconds, result, _ = timed_import(file_b, user)
    assert result.unchanged == n
    res["project re-import unchanged rows/s"] = n / seconds
    res["history rows"] = Claim.history.count()

    # The raw floor: the same rows, ids resolved beforehand (not timed).
    wipe()
    analyze()
    rows_a, rows_b = resolved_rows(file_a), resolved_rows(file_b)
    start = time.perf_counter()
    with transaction.atomic():
        raw_insert(rows_a, user.pk)
    res["raw insert rows/s"] = n / (time.perf_counter() - start)
    analyze()
    start = time.perf_counter()
    with transaction.atomic():
        raw_insert(rows_b, user.pk, update=True)
    res["raw update rows/s"] = n / (time.perf_counter() - start)
    del rows_a, rows_b

    # The stock per-row path on a slice.
    wipe()
    analyze()
    k = min(args.stock_rows, n)

    def dataset(path):
        with open(path, encoding="utf-8") as f:
            lines = [next(f) for _ in range(k + 1)]
        return tablib.Dataset().load("".join(lines), format="csv")

    data_a, data_b = dataset(file_a), dataset(file_b)
    with change_context(user=user, reason="stock import"):
        start = time.perf_counter()
        outcome = ClaimResource().import_data(data_a, raise_errors=True)
        res["stock insert rows/s"] = k / (time.perf_counter() - start)
        assert outcome.totals["new"] == k, outcome.totals
        start = time.perf_counter()
        outcome = ClaimResource().import_data(data_b, raise_errors=True)
        res["stock update rows/s"] = k / (time.perf_counter() - start)
        assert outcome.totals["update"] == k, outcome.totals
    res["stock rows"] = k

    # Memory: tracemalloc peak of a validation pass (dry run) on the file and on a tenth of it.
    wipe()
    tenth = OUT / "import_tenth.csv"
    with open(file_a, encoding="utf-8") as f, open(tenth, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i > n // 10:
                break
            out.write(line)
    res["tracemalloc peak MB, dry run of N/10"] = timed_import(
        tenth, user, dry_run=True, trace=True
    )[2]
    res["tracemalloc peak MB, dry run of N"] = timed_import(file_a, user, dry_run=True, trace=True)[
        2
    ]

    # Export, if the export module is there.
    try:
        from claims import exporting
    except ImportError:
        exporting = None
    if exporting is not None and hasattr(exporting, "write_export"):
        timed_import(file_a, user)

        class Sink:
            def write(self, data):
                return len(data)

        table = exporting.table("claims")
        start = time.perf_counter()
        exporting.write_export(table, Claim.objects.all(), "csv", Sink())
        res["export rows/s"] = n / (time.perf_counter() - start)
        paths = [c.path for c in table.columns if hasattr(c, "path")]
        start = time.perf_counter()
        writer = csv.writer(io.StringIO())
        for row in Claim.objects.order_by("pk").values_list(*paths).iterator(chunk_size=2000):
            writer.writerow(row)
        res["plain values_list+csv rows/s"] = n / (time.perf_counter() - start)
    res["rss_end_mb"] = rss_mb()
    print(json.dumps(res))


def prepare(db):
    from reconcile_bench import prepare as fresh_database

    return fresh_database(db, "import_bench.sqlite3", PG_NAME)


def report(r):
    print(
        f"\n## {r['database']}: {r['claims']:,} claims (stock path timed on {r['stock rows']:,})\n"
    )
    print("| path | insert rows/s | update rows/s |\n|---|---|---|")
    for name in ("stock", "project", "raw"):
        print(f"| {name} | {r[f'{name} insert rows/s']:,.0f} | {r[f'{name} update rows/s']:,.0f} |")
    for what in ("insert", "update"):
        p = r[f"project {what} rows/s"]
        print(f"\n{what}: project / stock = {p / r[f'stock {what} rows/s']:.1f}x (target >= 25); "
              f"project / raw = {p / r[f'raw {what} rows/s']:.2f} (target >= 0.2)")  # fmt: skip
    print(f"\nre-import of the unchanged file: {r['project re-import unchanged rows/s']:,.0f} rows/s, "
          f"history rows after all project imports: {r['history rows']:,}")  # fmt: skip
    print(f"max RSS MB: start {r['rss_start_mb']:.0f}, after project insert "
          f"{r['rss_after_project_insert_mb']:.0f}, after update {r['rss_after_project_update_mb']:.0f}, "
          f"end {r['rss_end_mb']:.0f}")  # fmt: skip
    print(f"tracemalloc peak of a dry run: N/10 rows {r['tracemalloc peak MB, dry run of N/10']:.1f} MB, "
          f"N rows {r['tracemalloc peak MB, dry run of N']:.1f} MB")  # fmt: skip
    if "export rows/s" in r:
        ratio = r["plain values_list+csv rows/s"] / r["export rows/s"]
        print(f"export: {r['export rows/s']:,.0f} rows/s; plain loop "
              f"{r['plain values_list+csv rows/s']:,.0f} rows/s; export takes {ratio:.2f}x the plain "
              "loop's time (target <= 3)")  # fmt: skip
    else:
        print("export: claims.exporting not on this branch yet (hook in child_time)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--stock-rows", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", choices=["prepare", "time"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        return child_prepare(args) if args.child == "prepare" else child_time(args)
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        env = {**os.environ, "DATABASE_URL": prepare(db), "DEBUG": "0", "SECRET_KEY": "bench-only"}
        base = [sys.executable, __file__, "--claims", str(args.claims),
                "--stock-rows", str(args.stock_rows)]  # fmt: skip
        for phase in ("prepare", "time"):
            out = subprocess.run([*base, "--child", phase], env=env,
                                 capture_output=True, text=True)  # fmt: skip
            if out.returncode:
                sys.exit(f"{db} {phase} failed:\n{out.stderr}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        report(results[-1])
    (OUT / "import_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
