"""Full-size hostile files are refused by the reader with bounded memory: one subprocess reads
them all (tests/hostile/measure.py) and reports its peak RSS, Django included."""

from tests.hostile import measure

PEAK_MB = 300
FILES = [
    "columns-1m.csv",
    "cell-200mb.xlsx",
    "blank-rows-1m.xlsx",
    "blank-rows-skipped.xlsx",
    "wide-rows.xlsx",
    "billion-laughs.xlsx",
    "nested-1m.json",
]


def test_full_size_hostile_files_are_refused_within_the_memory_bound(tmp_path):
    paths = measure.build(tmp_path, FILES)
    results = measure.read_in_subprocess(paths)
    assert len(results) == len(FILES)
    for path, (_seconds, peak, message) in zip(paths, results, strict=True):
        assert message != "ACCEPTED", path.name
        assert peak < PEAK_MB, (path.name, peak, message)
