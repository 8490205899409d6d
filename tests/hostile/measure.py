"""Build full-size hostile import files and time their refusal, with peak memory.

    .venv/bin/python -m tests.hostile.measure            # through manage.py import_claims
    .venv/bin/python -m tests.hostile.measure --reader   # the reader alone, one process

Each file goes through ``manage.py import_claims FILE --dry-run`` in its own process; the
time is to the refusal and the peak is that process's maximum RSS (Django included). The
issue's numbers for the same files before the limits: 81 s (100,000 columns), 2 GB (the 1 GB
cell), 280 s (a million blank rows), RecursionError (deep JSON), ParseError (DOCTYPE).
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

GB = 1 << 30
ROOT = Path(__file__).resolve().parents[2]

BUILDERS = {
    "columns-1m.csv": lambda f: f.write(files.csv_with_a_wide_header(1_000_000)),
    "cell-1gb.xlsx": lambda f: files.xlsx_with_a_huge_cell(GB, f),
    "cell-200mb.xlsx": lambda f: files.xlsx_with_a_huge_cell(200 << 20, f),
    "blank-rows-1m.xlsx": lambda f: files.xlsx_with_blank_rows(1_000_000, f),
    "blank-rows-skipped.xlsx": lambda f: files.xlsx_with_blank_rows(1_000_000, f, explicit=False),
    "wide-rows.xlsx": lambda f: files.xlsx_with_a_wide_row(f),
    "billion-laughs.xlsx": lambda f: f.write(files.xlsx_with_doctype()),
    "nested-1m.json": lambda f: f.write(files.deep_json(1_000_000)),
    "objects-10m.json": lambda f: f.write(files.json_of_many_objects(10_000_000)),
}

# The peak RSS of this process since its exec: VmHWM. (getrusage's ru_maxrss would start from
# the parent's peak: the child of a vfork reports its parent's memory at exec.)
PEAK = """
def peak_mb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
"""

READER = (
    PEAK
    + """
import sys, time
import django
django.setup()
from claims.resources import CLAIM_COLUMNS
from claims.tabular import FileError, read_table
for path in sys.argv[1:]:
    start = time.perf_counter()
    try:
        with open(path, "rb") as f:
            for _ in read_table(f, path, CLAIM_COLUMNS).rows():
                pass
        outcome = "ACCEPTED"
    except FileError as exc:
        outcome = exc.message
    took = time.perf_counter() - start
    peak = peak_mb()
    print(f"{took:.2f}\\t{peak:.0f}\\t{outcome}", flush=True)
"""
)


def build(folder: Path, names=None) -> list[Path]:
    global files
    from tests.hostile import files  # needs Django's settings (the claim columns)

    paths = []
    for name, builder in BUILDERS.items():
        if names and name not in names:
            continue
        path = folder / name
        with open(path, "wb") as f:
            builder(f)
        paths.append(path)
    return paths


def read_in_subprocess(paths) -> list[tuple[float, float, str]]:
    """(seconds, peak MB so far, message) per file, read by the reader in one process."""
    env = {**_base_env(), "DJANGO_SETTINGS_MODULE": "casualties.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", READER, *map(str, paths)],
        capture_output=True, text=True, check=True, env=env, cwd=ROOT,
    )  # fmt: skip
    return [
        (float(t), float(p), m)
        for t, p, m in (line.split("\t", 2) for line in out.stdout.splitlines())
    ]


def _base_env():
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}


files = None


def main():
    if "--build" in sys.argv:
        import os

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
        django.setup()
        build(Path(sys.argv[-1]))
        return
    with tempfile.TemporaryDirectory() as folder:
        # Built in another process: a child's peak RSS starts from its parent's at fork.
        subprocess.run(
            [sys.executable, "-m", "tests.hostile.measure", "--build", folder], check=True
        )
        paths = [Path(folder) / name for name in BUILDERS]
        if "--reader" in sys.argv:
            for path, (took, peak, message) in zip(paths, read_in_subprocess(paths), strict=True):
                print(
                    f"| `{path.name}` | {path.stat().st_size / 1e6:,.1f} MB | {took:.2f} s | {peak:.0f} MB | {message[:90]} |"
                )
            return
        print("| file | size | refused after | peak RSS | message |\n|---|---|---|---|---|")
        for path in paths:
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", COMMAND, "import_claims", str(path), "--dry-run"],
                capture_output=True, text=True,
            )  # fmt: skip
            took = time.perf_counter() - start
            lines = done.stderr.strip().splitlines()
            peak = lines.pop() if lines and lines[-1].startswith("peak ") else "peak ?"
            message = lines[0] if lines else "?"
            print(
                f"| `{path.name}` | {path.stat().st_size / 1e6:,.1f} MB | {took:.2f} s "
                f"| {peak[5:]} | {message[:100]} |"
            )


# manage.py in a process that reports its own peak RSS as its last line on stderr.
COMMAND = (
    PEAK
    + """
import atexit, os, sys
atexit.register(lambda: print(f"peak {peak_mb():.0f} MB", file=sys.stderr))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casualties.settings")
sys.path.insert(0, ".")
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""
)


if __name__ == "__main__":
    main()
