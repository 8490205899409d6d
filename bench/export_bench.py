"""Export of many claims: the project's streaming export beside a plain values_list + csv loop.

Fills a dedicated database with the synthetic claims of ``reconcile_bench.fill`` (one cited
source each), then, each in a fresh process so its peak memory is its own:

- **baseline**: ``values_list(<the same columns, slugs by join>).iterator(chunk_size=2000)``
  into ``csv.writer``, the sources left out (the plain loop of MEASURED.md);
- **csv / json / xlsx**: ``claims.exporting.export_response`` over all claims, the response's
  content read to the end (the admin export goes through it; the downloads write the same): the
  columns of the import, sources merged from a second streamed query, formulas escaped;

at two sizes (the first fifth of the claims, and all of them) so the peak memory can be seen
not to grow with the rows. Prints rows/s, the ratio to the baseline and the peak RSS.

Usage (see bench/README.md):
    .venv/bin/python bench/export_bench.py --claims 100000 --db both
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "cl_bench_export"
PATHS = ["baseline", "csv", "json", "xlsx"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class _Echo:
    def write(self, value):
        return value


def run_fill(n_claims):
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(ROOT / "bench"))
    from reconcile_bench import fill

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    fill(n_claims)
    seconds = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(json.dumps({"fill_s": seconds, "database": connection.vendor}))


def run_measure(path, limit):
    setup_django()
    import csv

    from django.db import connection

    from claims import exporting
    from claims.models import Claim

    claims = Claim.objects.all()
    if limit:
        last = claims.order_by("pk").values_list("pk", flat=True)[limit - 1]
        claims = claims.filter(pk__lte=last)
    table = exporting.table("claims")
    connection.ensure_connection()
    base = rss_mb()
    start = time.perf_counter()
    size = rows = 0
    if path == "baseline":
        plain = [c.path for c in table.columns if not isinstance(c, exporting.ManyColumn)]
        writer = csv.writer(_Echo())
        size += len(writer.writerow(plain).encode())
        for row in claims.order_by("pk").values_list(*plain).iterator(chunk_size=2000):
            size += len(writer.writerow(row).encode())
            rows += 1
    else:
        response = exporting.export_response(table, claims, path, filename="bench")
        for chunk in response.streaming_content:
            size += len(chunk)
        rows = claims.count()
        response.close()
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "path": path,
                "rows": rows,
                "seconds": seconds,
                "bytes": size,
                "peak_mb": rss_mb(),
                "base_mb": base,
            }
        )  # fmt: skip
    )


def prepare(db):
    from reconcile_bench import prepare as fresh_database

    return fresh_database(db, "export_bench.sqlite3", PG_NAME)


def child(env, *args):
    cmd = [sys.executable, __file__, *args]
    output = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if output.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per path (best kept)")
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        return run_fill(args.claims)
    if args.measure:
        return run_measure(args.measure, args.limit)
    OUT.mkdir(parents=True, exist_ok=True)
    report = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        env = {**os.environ, "DATABASE_URL": prepare(db), "DEBUG": "0", "SECRET_KEY": "bench"}
        filled = child(env, "--fill", "--claims", str(args.claims))
        results = []
        for limit in (args.claims // 5, 0):
            for path in PATHS:
                runs = [
                    child(env, "--measure", path, "--limit", str(limit)) for _ in range(args.runs)
                ]
                best = min(runs, key=lambda r: r["seconds"])
                best["peak_mb"] = max(r["peak_mb"] for r in runs)
                results.append(best)
        report.append({**filled, "claims": args.claims, "results": results})
    (OUT / "export_results.json").write_text(json.dumps(report, indent=2))
    for entry in report:
        print(f"\n## {entry['database']}: {entry['claims']:,} claims\n")
        print("| path | rows | seconds | rows/s | × baseline time | peak RSS MB | MB |")
        print("|---|---|---|---|---|---|---|")
        baseline = {r["rows"]: r["seconds"] for r in entry["results"] if r["path"] == "baseline"}
        for r in entry["results"]:
            ratio = r["seconds"] / baseline[r["rows"]]
            print(
                f"| {r['path']} | {r['rows']:,} | {r['seconds']:.2f} | {r['rows'] / r['seconds']:,.0f} "
                f"| {ratio:.2f} | {r['peak_mb']:.0f} | {r['bytes'] / 1_048_576:.1f} |"
            )


if __name__ == "__main__":
    main()
