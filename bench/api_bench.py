"""API and release benchmark: /api/v1/claims/ pages, a full walk against the CSV, a release cut.

Fills a fresh database with ``reconcile_bench.fill`` (100,000 claims by default), then writes
one history row for every row it inserted (``bulk_history_create``, one reason): a release is
built from the history tables, and the fill alone writes none. Then it times, through Django's
test client in this process:

- a page of 100 claims of ``/api/v1/claims/`` (random pages, p50 and p95);
- a full walk of the claims through the API (following ``next``, pages of 1,000; of 100 too
  with ``--walk-100``),
  beside building and reading the CSV download of the same claims (``/downloads/claims.csv``,
  from an empty downloads cache), and their ratio;
- cutting a release (``claims.releases.release_cut``) of all of it, and a page of its claims.

```sh
.venv/bin/python bench/api_bench.py --claims 100000 --db postgres
```
PostgreSQL: the database ``cl_bench_api`` (``--pg-name``) is dropped and created (``BENCH_PG``
for another server), filled, then vacuumed and analyzed as autovacuum would leave it.
``--reuse`` keeps the database of an earlier run (no drop, no fill: the migrations and the
timings only, in seconds rather than minutes; each run cuts one more release). Results: printed
as Markdown and written to ``bench/out/api_results.json``.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reconcile_bench import OUT, PG_BASE, ROOT, fill, prepare, timed  # noqa: E402

PG_NAME = "cl_bench_api"


def write_history():
    """One '+' history row for every row the fill inserted (it bypassed ``save()``)."""
    from casualties.models import Category, Conflict, Event, Party, Side
    from claims.models import Claim, Claimant, ClaimSource, Source

    for model in (Conflict, Side, Party, Category, Claimant, Event, Source, Claim, ClaimSource):
        model.history.bulk_history_create(
            list(model.objects.all()), batch_size=5000, default_change_reason="bench fill"
        )


def drain(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def walk(client, page_size):
    url = f"/api/v1/claims/?page_size={page_size}"
    pages = 0
    while url:
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, url
        url = response.json()["next"]
        pages += 1
    return pages


def child(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
    os.environ.setdefault("CONN_MAX_AGE", "600")
    os.environ["API_RATE"] = "100000000/minute"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from casualties.history import system_user
    from claims.models import Claim
    from claims.releases import release_cut

    setup_test_environment()
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    if not (args.reuse and Claim.objects.exists()):
        fill(args.claims)
        write_history()
    fill_seconds = time.perf_counter() - start
    if connection.vendor == "postgresql":
        # As autovacuum leaves a table that has settled: statistics, and the visibility map
        # that lets a count or a page's start be read from an index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    client = Client()
    published = Claim.objects.published().count()
    pages = (published + 99) // 100
    results = {"database": connection.vendor, "claims": args.claims, "published": published,
               "fill_s": fill_seconds}  # fmt: skip
    rng = random.Random(5)

    def page():
        n = rng.randint(1, pages)
        response = client.get(f"/api/v1/claims/?page={n}", HTTP_ACCEPT="application/json")
        assert response.status_code == 200

    page()
    results["/api/v1/claims/ page of 100 (random page)"] = timed(page, args.runs)
    results["/api/v1/claims/ first page of 100"] = timed(
        lambda: client.get("/api/v1/claims/", HTTP_ACCEPT="application/json"), args.runs
    )

    start = time.perf_counter()
    walk(client, 1000)
    results["walk_1000_s"] = time.perf_counter() - start
    if args.walk_100:  # 10 times the requests: minutes at 100,000 claims
        start = time.perf_counter()
        walk(client, 100)
        results["walk_100_s"] = time.perf_counter() - start

    def csv_cold():
        shutil.rmtree(os.environ["DOWNLOADS_CACHE_DIR"], ignore_errors=True)
        return drain(client.get("/downloads/claims.csv"))

    start = time.perf_counter()
    results["csv_bytes"] = csv_cold()
    results["csv_build_and_read_s"] = time.perf_counter() - start
    start = time.perf_counter()
    drain(client.get("/downloads/claims.csv"))
    results["csv_cached_read_s"] = time.perf_counter() - start

    start = time.perf_counter()
    from claims.release_models import Release

    # A reused database keeps the releases of earlier runs: a new name each run.
    name = f"bench-{Release.objects.count()}" if args.reuse else "bench"
    release = release_cut(name=name, user=system_user("release-cut"), reason="bench")
    results["release_cut_s"] = time.perf_counter() - start
    results["release_claims"] = release.counts["claims"]
    client.get(f"/api/v1/releases/{name}/claims/", HTTP_ACCEPT="application/json")

    def release_page():
        n = rng.randint(1, pages)
        url = f"/api/v1/releases/{name}/claims/?page={n}"
        assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200

    results["/api/v1/releases/bench/claims/ page of 100 (random page)"] = timed(
        release_page, args.runs
    )
    print(json.dumps(results))


def reuse(db, sqlite_file, pg_name):
    """The URL of the database of an earlier run, created empty if there is none."""
    if db == "sqlite":
        return f"sqlite:///{OUT / sqlite_file}"
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        sql = "SELECT 1 FROM pg_database WHERE datname = %s"
        if not conn.execute(sql, [pg_name]).fetchone():
            conn.execute(f"CREATE DATABASE {pg_name}")
    return f"{PG_BASE}/{pg_name}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--walk-100", action="store_true", help="also walk in pages of 100")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of an earlier run when it has claims (no drop, no fill; "
        "fill_s is then 0): for timing a change again in seconds, not minutes",
    )
    parser.add_argument("--pg-name", default=PG_NAME, help=f"PostgreSQL database ({PG_NAME})")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    OUT.mkdir(parents=True, exist_ok=True)
    storage = OUT / "api-bench-releases"
    if args.reuse:  # keep what is there (created empty if missing)
        url = reuse(args.db, "api-bench.sqlite3", args.pg_name)
    else:
        shutil.rmtree(storage, ignore_errors=True)
        url = prepare(args.db, "api-bench.sqlite3", args.pg_name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "1",
        "RELEASES_STORAGE_DIR": str(storage),
        "DOWNLOADS_CACHE_DIR": str(OUT / "api-bench-downloads"),
    }
    cmd = [sys.executable, __file__, "--child", "--claims", str(args.claims),
           "--runs", str(args.runs), *(["--walk-100"] if args.walk_100 else []),
           *(["--reuse"] if args.reuse else [])]  # fmt: skip
    output = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    result = json.loads(output.stdout.strip().splitlines()[-1])
    (OUT / "api_results.json").write_text(json.dumps(result, indent=2))
    print(
        f"\n## {result['database']}: {result['claims']:,} claims ({result['published']:,} "
        f"published), filled with history in {result['fill_s']:.0f} s\n"
    )
    print("| what | p50 ms | p95 ms | runs |\n|---|---|---|---|")
    for name, value in result.items():
        if isinstance(value, dict):
            print(f"| {name} | {value['p50']:.1f} | {value['p95']:.1f} | {value['runs']} |")
    csv = result["csv_build_and_read_s"]
    print(
        f"\n| what | seconds |\n|---|---|\n"
        f"| claims walk, pages of 1,000 | {result['walk_1000_s']:.1f} |\n"
        f"| claims.csv, built and read | {csv:.1f} |\n"
        f"| claims.csv, cached, read | {result['csv_cached_read_s']:.2f} |\n"
        f"| walk (1,000) / CSV built | {result['walk_1000_s'] / csv:.1f}x |\n"
        f"| release cut ({result['release_claims']:,} claims) | {result['release_cut_s']:.1f} |"
    )
    if "walk_100_s" in result:
        print(f"| claims walk, pages of 100 | {result['walk_100_s']:.1f} |")


if __name__ == "__main__":
    main()
