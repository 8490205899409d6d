"""Server time of the public pages over many synthetic claims, on SQLite and PostgreSQL.

Fills a dedicated database with synthetic claims spread like real ones (a few figures draw
most of the claims, cumulative series that grow through the war, self-reports low, adversary
claims high, some period and event claims, a share of drafts and retractions), then times:

- a full rebuild of the stored figures (``manage.py reconcile --all``);
- one claim of the busiest figure edited through the service and followed (``catch_up``: its
  category and every category it adds into recomputed and stored);
- every public page through Django's test client, rendered (no page cache: pages read the
  stored figures), and a figure "as known on" a day, cached and computed;
- the load of the rows the reconciliation reads, in the same run.

Usage (see bench/README.md):
    .venv/bin/python bench/reconcile_bench.py --claims 100000 --db both
"""

import argparse
import gc
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "cl_bench3"


def percentile(values, q):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "runs": runs}


# --- the child: one database ----------------------------------------------------------------


def fill(n_claims, seed=3):
    """Create the world and ``n_claims`` claims with bulk inserts (no history rows: the bench
    reads, and the cache is cleared by hand where it matters)."""
    import datetime

    from casualties.history import change_context
    from casualties.models import Category, Conflict, Event, Party, Side
    from claims.figures import parse_figure
    from claims.models import Claim, Claimant, ClaimSource, Source

    rnd = random.Random(seed)
    start = datetime.date(2020, 9, 27)
    with change_context(user=None, reason="bench fill"):
        conflict = Conflict.objects.create(
            name="Bench war", slug="bench-war", start_date=start,
            end_date=datetime.date(2020, 11, 10),
        )  # fmt: skip
        side_a = Side.objects.create(conflict=conflict, name="Side A", slug="bench-a")
        side_b = Side.objects.create(conflict=conflict, name="Side B", slug="bench-b")
        parties = []

        def party(slug, side, parent=None):
            p = Party.objects.create(
                conflict=conflict, name=slug.title(), slug=slug, side=side, parent=parent
            )
            parties.append(p)
            return p

        a = party("a-root", side_a)
        a1 = party("a-army", side_a, a)
        party("a-army-corps", side_a, a1)
        party("a-state", side_a, a)
        party("a-militia", side_a, a)
        b = party("b-root", side_b)
        party("b-army", side_b, b)
        party("b-fighters", side_b, b)
        party("b-civil", side_b, b)
        for i in range(3):
            party(f"third-{i}", None)
        cats = []
        for i, (slug, kind, unit) in enumerate(
            [("military-killed", "personnel", "persons"), ("military-wounded", "personnel", "persons"),
             ("military-missing", "personnel", "persons"), ("military-captured", "personnel", "persons"),
             ("civilians-killed", "civilian", "persons"), ("civilians-injured", "civilian", "persons"),
             ("civilians-missing", "civilian", "persons"), ("civilians-displaced", "civilian", "persons"),
             ("economic", "economic", "usd")]
            + [(f"equipment-{j}", "equipment", "items") for j in range(15)]
        ):  # fmt: skip
            cats.append(
                Category.objects.create(
                    name=slug.replace("-", " ").capitalize(),
                    slug=slug,
                    kind=kind,
                    unit=unit,
                    outcome="destroyed" if kind == "equipment" else "",
                    position=i,
                )  # fmt: skip
            )
        claimants = {"a": [], "b": [], "none": []}
        for side_key, pool in (("a", parties[:5]), ("b", parties[5:9])):
            for i in range(10):
                claimants[side_key].append(
                    Claimant.objects.create(
                        name=f"{side_key.upper()} source {i}",
                        slug=f"{side_key}-src-{i}",
                        kind="government",
                        party=rnd.choice(pool),
                    )  # fmt: skip
                )
        for i in range(15):
            claimants["none"].append(
                Claimant.objects.create(name=f"Monitor {i}", slug=f"monitor-{i}", kind="ngo")
            )
        events = [
            Event.objects.create(
                conflict=conflict,
                name=f"Event {i}",
                slug=f"event-{i}",
                start_date=start + datetime.timedelta(days=rnd.randrange(45)),
            )  # fmt: skip
            for i in range(200)
        ]
        sources = [
            Source.objects.create(
                slug=f"src-{i}", title=f"Report {i}", url=f"https://example.org/{i}"
            )
            for i in range(100)
        ]

    groups = [(p, c) for p in parties for c in cats]
    rnd.shuffle(groups)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(groups))]
    base = {(p.pk, c.pk): rnd.choice([20, 80, 300, 1500, 4000]) for p, c in groups}
    side_of = {
        p.pk: ("a" if p.side_id == side_a.pk else "b" if p.side_id else None) for p in parties
    }
    statuses = ["published"] * 85 + ["draft"] * 8 + ["in_review"] * 5 + ["retracted"] * 2
    patterns = ["{n}", "{n}", "{n}", "more than {n}", "up to {n}", "about {n}", "at least {n}",
                "{n} to {m}"]  # fmt: skip
    batch, claim_objs = [], []
    chosen = rnd.choices(groups, weights=weights, k=n_claims)
    for subject, category in chosen:
        side = side_of[subject.pk]
        roll = rnd.random()
        if side and roll < 0.45:
            claimant, factor = rnd.choice(claimants[side]), 0.8
        elif side and roll < 0.8:
            claimant, factor = rnd.choice(claimants["b" if side == "a" else "a"]), 2.5
        else:
            claimant, factor = rnd.choice(claimants["none"]), 1.0
        day = rnd.randrange(60)
        progress = min(day, 44) / 44
        value = max(1, int(base[(subject.pk, category.pk)] * factor * (0.2 + 0.8 * progress)
                           * rnd.uniform(0.9, 1.1)))  # fmt: skip
        if rnd.random() < 0.01:
            value *= 4  # the odd outlier
        is_period = rnd.random() < 0.3
        if is_period:
            value = max(1, value // 20)
        text = rnd.choice(patterns).format(n=f"{value:,}", m=f"{int(value * 1.3) + 1:,}")
        figure = parse_figure(text)
        when = start + datetime.timedelta(days=day)
        fields = {
            "conflict": conflict, "claimant": claimant, "subject": subject, "category": category,
            "figure_text": text, "lower": figure.lower, "upper": figure.upper, "qualifier": figure.qualifier,
            "status": rnd.choice(statuses), "stated_on": when + datetime.timedelta(days=rnd.randrange(3)),
            "assessment": rnd.choice(["not_assessed", "fair", "weak", "confirmed", "contested"]),
            "event": rnd.choice(events) if rnd.random() < 0.08 else None,
        }  # fmt: skip
        if is_period:
            length = rnd.randrange(3)
            fields.update(scope="period", period_start=when,
                          period_end=when + datetime.timedelta(days=length))  # fmt: skip
        else:
            fields.update(scope="cumulative", as_of=when if rnd.random() < 0.95 else None)
        batch.append(Claim(**fields))
        if len(batch) == 5000:
            claim_objs += Claim.objects.bulk_create(batch)
            batch = []
    claim_objs += Claim.objects.bulk_create(batch)
    ClaimSource.objects.bulk_create(
        [ClaimSource(claim=c, source=rnd.choice(sources)) for c in claim_objs], batch_size=5000
    )
    counts = {}
    for s, c in chosen:
        counts[(s.slug, c.slug)] = counts.get((s.slug, c.slug), 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return conflict, ranked[0], ranked[len(ranked) // 2]


def child(args):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
    # A persistent connection, as a deployment would use, so a request is not a reconnect.
    os.environ.setdefault("CONN_MAX_AGE", "600")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from claims.loaders import load_rows
    from claims.models import Claim
    from claims.refresh import catch_up, rebuild
    from claims.services import claim_update

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG=0 serves the manifest
    start = time.perf_counter()
    conflict, busiest, middling = fill(args.claims)
    fill_seconds = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    results = {"database": connection.vendor, "claims": args.claims, "fill_s": fill_seconds}
    # Every figure stored from nothing (``manage.py reconcile --all``).
    results["full rebuild (every figure stored)"] = timed(
        lambda: rebuild(reason="bench"), args.rebuild_runs
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    (party, category), count = busiest
    # One claim of the busiest figure edited through the service, then followed: the time of
    # following it (its category and every category it adds into recomputed and stored).
    claims = list(
        Claim.objects.published()
        .filter(subject__slug=party, category__slug=category)
        .order_by("pk")[: args.edit_runs]
    )
    samples = []
    for claim in claims:
        claim_update(
            claim=claim, user=None, reason="bench edit", figure_text=f"{claim.pk % 97 + 1}"
        )
        started = time.perf_counter()
        catch_up()
        samples.append((time.perf_counter() - started) * 1000)
    results[f"one claim edit followed (busiest category: {count} claims)"] = {
        "p50": percentile(samples, 50), "p95": percentile(samples, 95), "runs": len(samples),
    }  # fmt: skip
    # Pages are timed in a process the size of a web worker's: the fill's objects collected
    # and the rest frozen, so the garbage collector does not walk them during every request.
    gc.collect()
    gc.freeze()
    # Every page rendered, as the target asks: the page cache (claims.public.page_cache) off.
    from claims.public import page_cache

    page_cache.ENABLED = False
    client = Client()
    event = (
        Claim.objects.published()
        .filter(event__isnull=False)
        .values_list("event__slug", flat=True)
        .first()
    )
    one = Claim.objects.published().filter(subject__slug=party, category__slug=category).first()
    pages = {
        "overview": "/",
        f"figure (busiest: {count} claims)": f"/parties/{party}/{category}/",
        f"figure (middling: {middling[1]} claims)": f"/parties/{middling[0][0]}/{middling[0][1]}/",
        "whole war figure": f"/wars/{conflict.slug}/{category}/",
        "party": f"/parties/{party}/",
        "category": f"/categories/{category}/",
        "claim": one.get_absolute_url(),
        "claimant": one.claimant.get_absolute_url(),
        "event": f"/events/{event}/" if event else None,
        "browse": "/browse/",
        "figure as known on a day (cached after the first)": (
            f"/parties/{party}/{category}/?as_of=2020-10-20"
        ),
    }
    for name, url in pages.items():
        if url is None:
            continue
        assert client.get(url).status_code == 200, url
        results[f"{name}, rendered"] = timed(lambda url=url: client.get(url), args.runs)

    def cold_as_of():
        cache.clear()
        client.get(f"/parties/{party}/{category}/?as_of=2020-10-20")

    results["figure as known on a day, computed (cache cleared)"] = timed(
        cold_as_of, args.cold_runs
    )
    results["load rows for reconciliation"] = timed(lambda: load_rows(conflict.pk), args.cold_runs)
    results["published claims"] = len(load_rows(conflict.pk))
    print(json.dumps(results))


# --- the parent: one child per database --------------------------------------------------


def prepare(db, sqlite_file="bench.sqlite3", pg_name=PG_NAME):
    """A fresh, empty database for a run: the SQLite file removed, or the PostgreSQL database
    dropped and created. Returns its URL."""
    if db == "sqlite":
        path = OUT / sqlite_file
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_name}")
        conn.execute(f"CREATE DATABASE {pg_name}")
    return f"{PG_BASE}/{pg_name}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per warm page")
    parser.add_argument("--cold-runs", type=int, default=5, help="timed cold requests per page")
    parser.add_argument("--rebuild-runs", type=int, default=3, help="timed full rebuilds")
    parser.add_argument("--edit-runs", type=int, default=10, help="timed single-claim edits")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    OUT.mkdir(parents=True, exist_ok=True)
    all_results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        # Production settings (DEBUG=0: cached templates, no debug bookkeeping), on plain
        # http from the test client.
        env = {
            **os.environ, "DATABASE_URL": prepare(db), "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
        }  # fmt: skip
        cmd = [sys.executable, __file__, "--child", "--claims", str(args.claims),
               "--runs", str(args.runs), "--cold-runs", str(args.cold_runs),
               "--rebuild-runs", str(args.rebuild_runs), "--edit-runs", str(args.edit_runs)]  # fmt: skip
        output = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        all_results.append(json.loads(output.stdout.strip().splitlines()[-1]))
    (OUT / "results.json").write_text(json.dumps(all_results, indent=2))
    for result in all_results:
        print(
            f"\n## {result['database']}: {result['claims']:,} claims "
            f"({result['published claims']:,} published), filled in {result['fill_s']:.0f} s\n"
        )
        print("| what | p50 ms | p95 ms | runs |\n|---|---|---|---|")
        for name, value in result.items():
            if isinstance(value, dict):
                print(f"| {name} | {value['p50']:.1f} | {value['p95']:.1f} | {value['runs']} |")


if __name__ == "__main__":
    main()
