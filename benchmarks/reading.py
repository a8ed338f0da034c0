"""Reading costs: the workbook child process, and a large CSV's time and peak memory.

    .venv/bin/python benchmarks/reading.py                 # 300 MB CSV (scale 5), 200,000-row workbook
    .venv/bin/python benchmarks/reading.py --scale 1       # a smaller CSV

Every measurement runs in a fresh process, so that its peak resident memory (VmHWM) is
its own. It prints:

1. the cost of reading a workbook in a capped child process (``eduscore.inputs.read``) against
   fastexcel called directly in the same process, on a 10-row and a 200,000-row workbook;
2. reading a large CSV of the national synthetic schools: eduscore against
   ``pyarrow.csv.read_csv`` (the floor: what eduscore calls, without record numbers) and
   ``pandas.read_csv(dtype=str)`` (what a user would pick instead), time and peak memory,
   and the file's size for scale.

Set ``PYTHONPATH`` to another checkout's ``src`` to measure that version's readers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys, time
mode, path = sys.argv[1], sys.argv[2]
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
import pyarrow as pa, pyarrow.csv as pacsv
from eduscore.inputs.read import load_table
if mode == "fastexcel":
    import fastexcel
def run():
    if mode == "eduscore":
        return load_table(path, "schools").table.num_rows
    if mode == "fastexcel":
        sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string")
        return sheet.to_arrow().num_rows
    if mode == "pyarrow":
        with open(path, "rb") as f:
            names = f.readline().decode().rstrip("\\r\\n").split(",")
        opts = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        return pacsv.read_csv(path, convert_options=opts).num_rows
    if mode == "pandas":
        import pandas as pd
        return len(pd.read_csv(path, dtype=str))
before = hwm()
best = None
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    rows = run()
    best = min(best or 1e9, time.perf_counter() - start)
print(json.dumps({"seconds": best, "rows": rows, "peak_mib": hwm(), "before_mib": before}))
"""


def child(mode: str, path: Path, repeat: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(proc.stdout)
    return result


def workbook(path: Path, rows: int) -> Path:
    import xlsxwriter

    from eduscore.synthetic import national

    schools = national(max(rows / 200_000, 0.01))["schools"].slice(0, rows)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("学校")
    ws.write_row(0, 0, schools.column_names)
    for r, row in enumerate(schools.to_pylist(), start=1):
        ws.write_row(r, 0, list(row.values()))
    book.close()
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=5.0, help="national scale of the CSV (5 ≈ 300 MB)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import pyarrow.csv as pacsv

    from eduscore.synthetic import national

    with tempfile.TemporaryDirectory() as tmp:
        print("workbooks (best of runs; the child process starts Python and imports fastexcel and pyarrow):")
        for rows in (10, 200_000):
            path = workbook(Path(tmp) / f"schools{rows}.xlsx", rows)
            ours = child("eduscore", path, args.repeat)
            floor = child("fastexcel", path, args.repeat)
            print(
                f"  {rows:>7,} rows ({path.stat().st_size / 1e6:5.1f} MB): "
                f"eduscore {ours['seconds']:6.2f} s, "
                f"fastexcel in-process {floor['seconds']:6.2f} s, overhead "
                f"{ours['seconds'] - floor['seconds']:+.2f} s; peak {ours['peak_mib']:,.0f} MiB "
                f"vs {floor['peak_mib']:,.0f} MiB"
            )
        csv = Path(tmp) / "schools.csv"
        pacsv.write_csv(national(args.scale, seed=7)["schools"], csv)
        size = csv.stat().st_size / 2**20
        print(f"\nCSV of {size:,.0f} MiB (national synthetic schools, scale {args.scale}):")
        results = {mode: child(mode, csv, 1) for mode in ("eduscore", "pyarrow", "pandas")}
        for mode, r in results.items():
            print(
                f"  {mode:9} {r['seconds']:6.2f} s  peak {r['peak_mib']:7,.0f} MiB "
                f"({r['peak_mib'] - r['before_mib']:+,.0f} MiB over the {r['before_mib']:,.0f} MiB "
                f"after imports; {(r['peak_mib'] - r['before_mib']) / size:.1f}× the file)"
            )
        ours, floor, pandas = results["eduscore"], results["pyarrow"], results["pandas"]
        print(
            f"  eduscore / pyarrow: {ours['seconds'] / floor['seconds']:.2f}× the time; "
            f"pandas / eduscore: {pandas['seconds'] / ours['seconds']:.1f}× the time"
        )


if __name__ == "__main__":
    main()
