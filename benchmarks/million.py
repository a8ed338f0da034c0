"""A million school sections from a CSV file: time, peak memory, and a malformed row.

    .venv/bin/python benchmarks/million.py [--scale 5.0]

Writes the national synthetic data at ``--scale`` (5 ≈ 1,000,000 sections) to a CSV
file, breaks one cell in the middle, evaluates the file in a child process and reports
the child's peak resident memory, the time, the row accounting and the finding that
names the broken row. ``benchmarks/run.py --only memory`` uses :func:`write_inputs`
for its target (peak < 1.5 GiB).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from measure import python_child

from eduscore.synthetic import national

CHILD = """
import json, sys, time
import eduscore
start = time.perf_counter()
result = eduscore.evaluate(schools=sys.argv[1], counties=sys.argv[2])
seconds = time.perf_counter() - start
bad = [f for f in result.findings.to_pylist() if f["severity"] == "error"]
print(json.dumps({
    "seconds": seconds,
    "sections": result.sections.num_rows,
    "counties": result.verdicts.num_rows,
    "accounting": result.accounting.to_pylist(),
    "errors": bad[:3],
}, ensure_ascii=False))
"""


def write_inputs(scale: float, folder: Path) -> tuple[Path, Path, int]:
    """schools.csv (one cell broken in the middle) and counties.csv; the broken file row."""
    data = national(scale, seed=7)
    schools = data["schools"]
    middle = schools.num_rows // 2
    texts = [None if v is None else str(v) for v in schools.column("students_primary").to_pylist()]
    texts[middle] = "约两百"  # what a hand-edited cell looks like
    schools = schools.set_column(
        schools.column_names.index("students_primary"), "students_primary", pa.array(texts)
    )
    s_path, c_path = folder / "schools.csv", folder / "counties.csv"
    pacsv.write_csv(schools, s_path)
    pacsv.write_csv(data["counties"], c_path)
    return s_path, c_path, middle + 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        s_path, c_path, broken = write_inputs(args.scale, Path(tmp))
        print(
            f"wrote {s_path.stat().st_size / 1e6:,.0f} MB of CSV in {time.perf_counter() - start:.1f} s; "
            f"broken cell at file row {broken:,}"
        )
        child = python_child(CHILD, str(s_path), str(c_path), timeout=args.timeout)
    if not child.ok:
        raise SystemExit(f"the evaluation failed: {child.failure()}")
    report = child.json()
    print(
        f"evaluated {report['sections']:,} sections of {report['counties']:,} counties "
        f"from CSV in {report['seconds']:.1f} s"
    )
    print(f"peak resident memory of the evaluating process: {child.peak_mib:,.0f} MiB")
    for a in report["accounting"]:
        print(
            f"  {a['table']}: {a['rows']:,} rows = {a['scored']:,} scored + {a['excluded']:,} excluded "
            f"+ {a['rejected']:,} rejected + {a['unused']:,} unused"
        )
    for f in report["errors"]:
        print(f"  finding: row {f['row']:,} column {f['column']} value {f['value']!r}: {f['message_en']}")
    assert any(f["row"] == broken for f in report["errors"]), "the broken row was not reported"


if __name__ == "__main__":
    main()
