"""Load test: gunicorn with the production settings over 100,000 claims on PostgreSQL, driven by wrk.

1. Fills a dedicated PostgreSQL database (dropped and created) with bench/reconcile_bench.py's
   synthetic claims, runs ANALYZE and collectstatic.
2. Starts gunicorn (./gunicorn.conf.py) on loopback with the production settings: DEBUG=0, a
   SECRET_KEY generated for the run, HSTS, CSP, secure cookies and SECURE_SSL_REDIRECT all on.
   The load comes over plain http on loopback, so it runs as behind a TLS proxy:
   TRUSTED_PROXY=1 and every request carries `X-Forwarded-Proto: https` (no redirect).
3. Warms every worker, then runs wrk on the overview and on the busiest figure page, 60 s each at
   20 connections with --latency, and reads requests/s, p99 and errors: socket errors plus every
   response that is not 2xx (counted by a wrk Lua script, since wrk itself counts 3xx as fine).
4. Prints a table and exits 1 if the target is missed: zero errors and p99 under 500 ms.

Pages read the stored figures; rendered pages are kept in each process's cache and shared
through the database (claims/public/page_cache.py). The cache is the per-process default
(memory; --cache redis for Redis on loopback). Workers are recycled every --max-requests requests (1,000,
gunicorn.conf.py's default), so the run includes new workers starting mid-run.

Usage (see bench/README.md):
    .venv/bin/python bench/load.py --claims 100000 --database cl_load
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
TARGET_P99_MS = 500.0

# Counts non-2xx responses in every wrk thread and prints the total; also sets the header a
# TLS-terminating proxy would add.
WRK_SCRIPT = """
wrk.headers["X-Forwarded-Proto"] = "https"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("non_2xx_responses %d\\n", total))
end
"""

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p99 in ms, request count and errors from `wrk --latency` output (with
    the Lua script's non-2xx line)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if not (rps and p50 and p99 and total):
        raise ValueError("not the output of wrk --latency:\n" + output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    lua = re.search(r"^non_2xx_responses (\d+)", output, re.MULTILINE)
    wrk_non_2xx_3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    non_2xx = int(lua.group(1)) if lua else int(wrk_non_2xx_3xx.group(1) if wrk_non_2xx_3xx else 0)
    return {
        "requests_per_s": float(rps.group(1)),
        "p50_ms": to_ms(p50.group(1)),
        "p99_ms": to_ms(p99.group(1)),
        "requests": int(total.group(1)),
        "socket_errors": socket_errors,
        "non_2xx": non_2xx,
        "errors": socket_errors + non_2xx,
    }


def meets_target(result: dict) -> bool:
    # No request answered within the run is no pass, whatever the (empty) percentiles say.
    return result["requests"] > 0 and result["errors"] == 0 and result["p99_ms"] < TARGET_P99_MS


# --- the data -----------------------------------------------------------------------------


def fill_child(claims: int) -> None:
    """In a child process with the production environment: migrate, fill, analyse."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from reconcile_bench import fill

    from claims.refresh import rebuild

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    _conflict, busiest, _middling = fill(claims)
    rebuild(reason="bench: the figures stored")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    (subject, category), count = busiest
    print(json.dumps({"figure": f"/parties/{subject}/{category}/", "figure_claims": count,
                      "fill_s": time.perf_counter() - start}))  # fmt: skip


def recreate_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def wrk(url, seconds, connections, threads, script: Path, timeout="10s") -> str:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", timeout, "-s", str(script), url]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--database", default="cl_load", help="dropped and created (PostgreSQL)")
    parser.add_argument("--reuse", action="store_true", help="keep the database a run filled")
    parser.add_argument("--seconds", type=int, default=60, help="wrk duration per page")
    parser.add_argument("--warm-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: its config)")
    parser.add_argument(
        "--max-requests", type=int, default=1000, help="GUNICORN_MAX_REQUESTS: recycle workers"
    )
    parser.add_argument(
        "--cache", choices=["redis", "memory"], default="memory",
        help="per-process memory (the default) or Redis shared by all workers",
    )  # fmt: skip
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="for --cache redis")
    parser.add_argument("--fill-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill_child:
        fill_child(args.fill_child)
        return 0
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    OUT.mkdir(parents=True, exist_ok=True)
    state_file = OUT / f"load-{args.database}.json"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXY": "1",
        "CONN_MAX_AGE": "600",
        "DATABASE_URL": f"{PG_BASE}/{args.database}",
        "GUNICORN_MAX_REQUESTS": str(args.max_requests),
    }
    if args.cache == "redis":
        env["CACHE_BACKEND"] = "django.core.cache.backends.redis.RedisCache"
        env["CACHE_LOCATION"] = args.redis
        flush = [sys.executable, "manage.py", "shell", "-c",
                 "from django.core.cache import cache; cache.clear()"]  # fmt: skip
        subprocess.run(flush, env=env, cwd=ROOT, check=True)  # nothing left from a previous run
    if args.reuse and state_file.exists():
        data = json.loads(state_file.read_text())
    else:
        env["DATABASE_URL"] = recreate_database(args.database)
        cmd = [sys.executable, __file__, "--fill-child", str(args.claims)]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        data = {"claims": args.claims, **json.loads(out.strip().splitlines()[-1])}
        state_file.write_text(json.dumps(data))
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)

    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    env["GUNICORN_ACCESS_LOG"] = str(OUT / "load-access.log")
    (OUT / "load-access.log").write_text("")  # gunicorn appends; keep this run's only
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "casualties.wsgi"],
        env=env, cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=open(OUT / "load-gunicorn.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    pages = {"overview": "/", f"figure ({data['figure_claims']:,} claims)": data["figure"]}
    results = {}
    try:
        wait_until_up(base + "/", seconds=300)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        for name, path in pages.items():
            # A short warm-up: connections opened, templates loaded.
            wrk(base + path, args.warm_seconds, args.connections, args.threads,
                Path(script.name), timeout="120s")  # fmt: skip
            output = wrk(
                base + path, args.seconds, args.connections, args.threads, Path(script.name)
            )
            (OUT / f"load-wrk-{path.strip('/').replace('/', '_') or 'overview'}.txt").write_text(
                output
            )
            results[name] = parse_wrk(output)
        Path(script.name).unlink()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    print(
        f"\n{data['claims']:,} claims on PostgreSQL; gunicorn (gunicorn.conf.py, production "
        f"settings); wrk {args.seconds} s per page, {args.connections} connections; workers "
        f"recycled every {args.max_requests} requests; cache: {args.cache}\n"
    )
    print("| page | requests/s | p50 ms | p99 ms | requests | errors | target |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        ok = "met" if meets_target(r) else "MISSED"
        print(f"| {name} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
              f"{r['requests']:,} | {r['errors']} | {ok} |")  # fmt: skip
    settings = {"max_requests": args.max_requests, "cache": args.cache}
    (OUT / "load-results.json").write_text(
        json.dumps({"data": data, "settings": settings, "results": results}, indent=2)
    )
    return 0 if all(meets_target(r) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
