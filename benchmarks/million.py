"""A million school sections from a CSV file: time, peak memory, and a malformed row.

    .venv/bin/python benchmarks/million.py [--scale 5.0]

Writes the national synthetic data at ``--scale`` (5 ≈ 1,000,000 sections) to a CSV
file, breaks one cell in the middle, evaluates the file in a child process and reports
the child's peak resident memory, the time, the row accounting and the finding that
names the broken row. The memory bound stated in docs/performance.md comes from here.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from eduscore.synthetic import national

CHILD = """
import json, sys, time, resource
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
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}, ensure_ascii=False))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=5.0)
    args = ap.parse_args()
    data = national(args.scale, seed=7)
    schools = data["schools"]
    middle = schools.num_rows // 2
    students = schools.column("students_primary").to_pylist()
    students[middle] = None
    texts = pa.array([None if v is None else str(v) for v in students], pa.string())
    texts = texts.to_pylist()
    texts[middle] = "约两百"  # what a hand-edited cell looks like
    schools = schools.set_column(
        schools.column_names.index("students_primary"), "students_primary", pa.array(texts)
    )
    with tempfile.TemporaryDirectory() as tmp:
        s_path, c_path = Path(tmp) / "schools.csv", Path(tmp) / "counties.csv"
        start = time.perf_counter()
        pacsv.write_csv(schools, s_path)
        pacsv.write_csv(data["counties"], c_path)
        print(
            f"wrote {schools.num_rows:,} schools ({s_path.stat().st_size / 1e6:,.0f} MB CSV) in "
            f"{time.perf_counter() - start:.1f} s; broken cell at file row {middle + 2:,}"
        )
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(s_path), str(c_path)],
            capture_output=True,
            text=True,
            check=True,
        )
    report = json.loads(proc.stdout)
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"evaluated {report['sections']:,} sections of {report['counties']:,} counties "
        f"from CSV in {report['seconds']:.1f} s"
    )
    print(f"peak resident memory of the evaluation: {max(report['peak_mib'], child_peak):,.0f} MiB")
    for a in report["accounting"]:
        print(
            f"  {a['table']}: {a['rows']:,} rows = {a['scored']:,} scored + {a['excluded']:,} excluded "
            f"+ {a['rejected']:,} rejected + {a['unused']:,} unused"
        )
    for f in report["errors"]:
        print(f"  finding: row {f['row']:,} column {f['column']} value {f['value']!r}: {f['message_en']}")
    assert any(f["row"] == middle + 2 for f in report["errors"]), "the broken row was not reported"


if __name__ == "__main__":
    main()
