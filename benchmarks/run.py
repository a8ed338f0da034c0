"""The benchmark runner: eduscore against the code a user would write, and its targets.

    .venv/bin/pip install --group bench             # DuckDB, polars, pandas, openpyxl
    .venv/bin/python benchmarks/run.py              # everything (≈ 30 min on 2 cores)
    .venv/bin/python benchmarks/run.py --quick      # no 4×/16× scales, no nation CLI, no reading
    .venv/bin/python benchmarks/run.py --only baselines --only cli

Sections (``--only`` picks some; docs/performance.md explains each):

baselines  (national rules only: no plugin is loaded for this section, since the synthetic
           counties carry real province codes and an installed province rule set would
           change what eduscore computes) eduscore's resource rules of quality-balance-2017
           at national scale against
           one plain DuckDB query, a polars lazy query and a numpy/bincount floor, each
           first checked to give eduscore's CVs (1e-9) and six-of-seven statuses; the
           median of ``--repeat`` interleaved runs in this one process.
cli        ``eduscore evaluate --schools … --counties … --out DIR`` with the default
           outputs for one county (the bundled demo), a province and the nation.
memory     a million sections from CSV, and the nation × 4 from Parquet: peak memory.
json       preschool-2020 for the nation, written as JSON.
startup    ``eduscore --help`` and the slowest imports behind it.
scaling    ``evaluate`` from 0.1× to 16× the nation, and the CLI at 0.1×, 1×, 4× (16×
           with ``--cli-16``): the cost per unit must stay flat.
reading    a 200,000-row workbook and GBK CSV against pandas (not with ``--quick``).

Every target prints ``[MET ]`` or ``[MISSED]`` with its figure; the missed ones are
listed again at the end. Child processes have a timeout (``--timeout``): a slow run
reports MISSED (timeout) instead of hanging.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import baselines  # noqa: E402  (the baselines live beside this file)
from measure import Targets, interleaved, median, python_child, ratio_text, run_child  # noqa: E402

import eduscore  # noqa: E402
from eduscore.synthetic import national  # noqa: E402

SECTIONS = ("baselines", "cli", "province", "memory", "json", "startup", "scaling", "reading")
GIB = 1024.0  # MiB
PROVINCE = 150 / 2850  # ≈ 150 counties


# ---------------------------------------------------------------------------- baselines


def resources_only(fw: eduscore.Framework) -> eduscore.Framework:
    """The framework with only its scope and resource rules: the baselines' work."""
    import attrs

    return attrs.evolve(fw, rules=tuple(r for r in fw.rules if r.group in ("resources", "scope")))


def section_baselines(args: argparse.Namespace, targets: Targets) -> None:
    # The baselines encode the national rules: no province's rule set is loaded here.
    with baselines.national_rules_only():
        _baselines(args, targets)


def _baselines(args: argparse.Namespace, targets: Targets) -> None:
    import duckdb
    import polars as pl

    print(f"\n== baselines: quality-balance-2017 resource rules, national({args.scale:g}) ==")
    print(f"   duckdb {duckdb.__version__}, polars {pl.__version__}, pyarrow {pa.__version__}")
    data = national(args.scale)
    schools, counties = data["schools"], data["counties"]
    rules = baselines.load_rules()
    whole = eduscore.load_framework("quality-balance-2017")
    resources = resources_only(whole)
    frame = pl.from_arrow(schools)  # as a polars user holds the data (not timed)

    contenders = {
        "eduscore, resource rules": lambda: eduscore.evaluate(
            schools=schools, counties=counties, framework=resources
        ),
        "eduscore, whole framework": lambda: eduscore.evaluate(
            schools=schools, counties=counties, framework=whole
        ),
        "DuckDB, plain query": baselines.DuckDBBaseline(schools, rules, two_pass=True),
        "DuckDB, one-pass CV": baselines.DuckDBBaseline(schools, rules, two_pass=False),
        "polars lazy": lambda: baselines.polars_lazy(frame, rules, two_pass=True),
        "polars lazy, one-pass CV": lambda: baselines.polars_lazy(frame, rules, two_pass=False),
        "numpy/pyarrow bincount": lambda: baselines.numpy_floor(schools, rules),
    }
    # First the check (also the warm-up of every contender): the baselines must give
    # eduscore's numbers, or their times mean nothing.
    result = contenders["eduscore, whole framework"]()
    print(
        f"   {schools.num_rows:,} schools → {result.sections.num_rows:,} sections, "
        f"{counties.num_rows:,} counties; {os.cpu_count()} cores"
    )
    res_only = contenders["eduscore, resource rules"]()
    equal: dict[str, bool] = {}
    for name, run in contenders.items():
        if name.startswith("eduscore"):
            continue
        try:
            print("   " + baselines.check_equal(name, run(), result, schools, rules))
            equal[name] = True
        except AssertionError as e:
            print(f"   {name}: NOT equal to eduscore — {str(e).split(': ', 1)[-1][:200]}")
            equal[name] = False
    # The resource-only framework must give the same numbers as the whole one.
    baselines.check_equal(
        "DuckDB vs eduscore resources", contenders["DuckDB, plain query"](), res_only, schools, rules
    )
    del result, res_only
    for name in ("DuckDB, plain query", "polars lazy", "numpy/pyarrow bincount"):
        targets.check(f"{name} gives eduscore's CVs and six-of-seven statuses", equal[name], "checked")

    load = os.getloadavg()[0]
    times = interleaved(contenders, args.repeat)
    med = {n: median(t) for n, t in times.items()}
    print(
        f"\n   median of {args.repeat} interleaved runs (min – max); load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores:"
    )
    for name, t in times.items():
        note = (
            "" if name.startswith("eduscore") or equal[name] else "   (not accurate to 1e-9: not a baseline)"
        )
        print(f"   {name:<28} {med[name]:7.3f} s   ({min(t):.3f} – {max(t):.3f}){note}")
    es, whole_t, db = (
        med["eduscore, resource rules"],
        med["eduscore, whole framework"],
        med["DuckDB, plain query"],
    )
    for name in ("polars lazy", "numpy/pyarrow bincount"):
        print(f"   eduscore resource rules / {name}: {es / med[name]:.2f}×")
    targets.check("eduscore resource rules ≤ 1.0× plain DuckDB", es / db <= 1.0, ratio_text(es / db, 1.0))
    targets.check(
        "eduscore whole framework ≤ 1.5× plain DuckDB", whole_t / db <= 1.5, ratio_text(whole_t / db, 1.5)
    )


# --------------------------------------------------------------------------------- CLI


def eduscore_program() -> str:
    beside = Path(sys.executable).parent / "eduscore"
    found = str(beside) if beside.exists() else shutil.which("eduscore")
    if found is None:
        raise SystemExit("the eduscore program is not installed beside this Python")
    return found


def write_parquet(scale: float, folder: Path) -> tuple[Path, Path]:
    data = national(scale)
    s, c = folder / "schools.parquet", folder / "counties.parquet"
    pq.write_table(data["schools"], s)
    pq.write_table(data["counties"], c)
    return s, c


def cli_run(schools: Path, counties: Path, out: Path, timeout: float) -> tuple[float, float, str]:
    """``eduscore evaluate`` with the default outputs; seconds, peak MiB, failure (or '')."""
    child = run_child(
        [
            eduscore_program(),
            "evaluate",
            "--schools",
            str(schools),
            "--counties",
            str(counties),
            "--out",
            str(out),
        ],
        timeout,
    )
    return child.seconds, child.peak_mib, "" if child.ok else child.failure()


CLI_CACHE: dict[float, tuple[float, float, str]] = {}


def cli_at(scale: float, timeout: float) -> tuple[float, float, str]:
    if scale not in CLI_CACHE:
        with tempfile.TemporaryDirectory() as tmp:
            s, c = write_parquet(scale, Path(tmp))
            CLI_CACHE[scale] = cli_run(s, c, Path(tmp) / "out", timeout)
    return CLI_CACHE[scale]


def section_cli(args: argparse.Namespace, targets: Targets) -> None:
    print("\n== cli: eduscore evaluate --schools … --counties … --out DIR (default formats) ==")
    demo = Path(importlib.util.find_spec("eduscore.demo").origin).parent  # type: ignore[union-attr,arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        sec, peak, failed = cli_run(
            demo / "schools.csv", demo / "counties.csv", Path(tmp) / "out", args.timeout
        )
        written = sorted(p.name for p in (Path(tmp) / "out").glob("[!.]*")) if not failed else []
    print(
        f"   one county (bundled demo): {sec:.2f} s, peak {peak:,.0f} MiB {failed}; wrote {', '.join(written)}"
    )
    sec, peak, failed = cli_at(PROVINCE, args.timeout)
    targets.check(
        "province CLI (≈150 counties, 10,000 schools, Parquet) < 15 s",
        not failed and sec < 15,
        failed or f"{sec:.1f} s, peak {peak:,.0f} MiB",
    )
    if args.quick:
        print("   the nation: skipped (--quick)")
        return
    sec, peak, failed = cli_at(1.0, args.timeout)
    targets.check(
        "nation CLI (2,850 counties, Parquet) < 90 s", not failed and sec < 90, failed or f"{sec:.1f} s"
    )
    targets.check(
        "nation CLI peak memory < 2 GiB",
        not failed and peak < 2 * GIB,
        f"{peak / GIB:.2f} GiB" + (f" before it stopped ({failed})" if failed else ""),
    )


def section_province(args: argparse.Namespace, targets: Targets) -> None:
    """``eduscore demo --province``: the synthetic province (100 counties, two years)
    evaluated, archived, indexed with alerts, its history and an allocation."""
    print(
        "\n== province: eduscore demo --province (100 counties, two years, archive, history, allocation) =="
    )
    with tempfile.TemporaryDirectory() as tmp:
        child = run_child(
            [eduscore_program(), "demo", "--province", "--out", str(Path(tmp) / "out")], args.timeout
        )
        failed = "" if child.ok else child.failure()
    targets.check(
        "province demo (index, history, allocation) < 30 s",
        not failed and child.seconds < 30,
        failed or f"{child.seconds:.1f} s, peak {child.peak_mib:,.0f} MiB",
    )


# ------------------------------------------------------------------------------ memory

EVALUATE_FILES = """
import sys, time, eduscore
start = time.perf_counter()
result = eduscore.evaluate(schools=sys.argv[1], counties=sys.argv[2])
print(f'{{"seconds": {time.perf_counter() - start}, "sections": {result.sections.num_rows}}}')
"""


def section_memory(args: argparse.Namespace, targets: Targets) -> None:
    from million import write_inputs

    print("\n== memory: peak resident memory of a fresh process evaluating files ==")

    def peak_of(what: str, make: Callable[[Path], tuple[Path, Path]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            s, c = make(Path(tmp))
            child = python_child(EVALUATE_FILES, str(s), str(c), timeout=args.timeout)
            got = child.json()
            targets.check(
                f"{what}: peak < 1.5 GiB",
                child.ok and child.peak_mib < 1.5 * GIB,
                f"{child.peak_mib / GIB:.2f} GiB ({got.get('sections', 0):,} sections, {child.seconds:.1f} s)"
                if child.ok
                else child.failure(),
            )

    peak_of("a million sections from CSV", lambda folder: write_inputs(5.0, folder)[:2])
    peak_of("national(4.0) from Parquet, whole framework", lambda folder: write_parquet(4.0, folder))


# -------------------------------------------------------------------------------- json

PRESCHOOL_JSON = """
import json, sys, tempfile, time
import eduscore
from eduscore.synthetic import national
data = national(1.0)
result = eduscore.evaluate(kindergartens=data["kindergartens"], counties=data["counties"], framework="preschool-2020")
with tempfile.TemporaryDirectory() as tmp:
    start = time.perf_counter()
    if hasattr(result, "write_json"):
        how = "Result.write_json(folder)"
        result.write_json(tmp)
    else:
        how = "Result.to_json()"
        size = len(result.to_json())
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "how": how, "kindergartens": data["kindergartens"].num_rows}))
"""


def section_json(args: argparse.Namespace, targets: Targets) -> None:
    print("\n== json: preschool-2020 for the nation, as JSON ==")
    child = python_child(PRESCHOOL_JSON, timeout=args.timeout)
    got = child.json()
    targets.check(
        "preschool national JSON < 10 s",
        child.ok and got["seconds"] < 10,
        f"{got['seconds']:.1f} s by {got['how']} ({got['kindergartens']:,} kindergartens), "
        f"peak {child.peak_mib / GIB:.2f} GiB"
        if child.ok
        else child.failure(),
    )


# ----------------------------------------------------------------------------- startup


def section_startup(args: argparse.Namespace, targets: Targets) -> None:
    print("\n== startup: eduscore --help ==")
    program = eduscore_program()
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        subprocess.run([program, "--help"], capture_output=True, check=True, timeout=args.timeout)
        best = min(best, time.perf_counter() - start)
    targets.check("eduscore --help, best of 10, < 0.3 s", best < 0.3, f"{best:.3f} s")
    if importlib.util.find_spec("eduscore.__main__") is not None:
        cmd = [sys.executable, "-X", "importtime", "-m", "eduscore", "--help"]
    else:
        cmd = [sys.executable, "-X", "importtime", "-c", "from eduscore.cli import entry; entry()", "--help"]
    err = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout).stderr
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m[2]), int(m[1]), len(m[3]) // 2, m[4]))
    print(f"   python -X importtime {' '.join(cmd[3:])}: top 10 by cumulative time")
    for cum, own, depth, name in sorted(rows, reverse=True)[:10]:
        print(f"   {cum / 1000:8.1f} ms  (self {own / 1000:6.1f} ms, depth {depth})  {name}")


# ----------------------------------------------------------------------------- scaling

EVALUATE_MEMORY = """
import gc, json, sys, time
import eduscore
from eduscore.synthetic import national
scale, repeat = float(sys.argv[1]), int(sys.argv[2])
warm = national(0.01)  # one-time costs (plugins, schemas, kernels) stay out of the timing
eduscore.evaluate(schools=warm["schools"], counties=warm["counties"])
data = national(scale)
best, result = float("inf"), None
for _ in range(repeat):
    result = None  # the previous result must not stay alive during the next run
    gc.collect()
    start = time.perf_counter()
    result = eduscore.evaluate(schools=data["schools"], counties=data["counties"])
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "sections": result.sections.num_rows}))
"""


def linear(targets: Targets, name: str, per_unit: dict[float, float]) -> None:
    """The per-unit cost spread from 1× up, as a target when two such scales ran."""
    from_one = [v for s, v in per_unit.items() if s >= 1.0]
    if len(from_one) < 2:
        print(f"   ({name}: linearity needs two scales from 1× up — not measured)")
        return
    ratio = max(from_one) / min(from_one)
    targets.check(f"{name} linear from 1× up (per-unit cost spread ≤ 1.5×)", ratio <= 1.5, f"{ratio:.2f}×")


def section_scaling(args: argparse.Namespace, targets: Targets) -> None:
    print("\n== scaling: evaluate (in memory, whole framework, best of 2) and the CLI ==")
    scales = [0.1, 1.0] if args.quick else [0.1, 1.0, 4.0, 16.0]
    per_unit: dict[float, float] = {}
    for scale in scales:
        child = python_child(EVALUATE_MEMORY, str(scale), "2", timeout=args.timeout)
        if not child.ok:
            print(f"   {scale:>5g}×: {child.failure()}")
            continue
        got = child.json()
        per_unit[scale] = got["seconds"] / scale
        print(
            f"   {scale:>5g}×: {got['sections']:>10,} sections {got['seconds']:8.2f} s "
            f"{got['seconds'] / got['sections'] * 1e6:6.2f} µs/section, process peak {child.peak_mib / GIB:.2f} GiB"
        )
    linear(targets, "evaluate", per_unit)
    cli_scales = [0.1] if args.quick else [0.1, 1.0, 4.0] + ([16.0] if args.cli_16 else [])
    per_unit = {}
    for scale in cli_scales:
        sec, peak, failed = cli_at(scale, args.timeout)
        if failed:
            print(f"   CLI {scale:>5g}×: {failed}")
            continue
        per_unit[scale] = sec / scale
        print(f"   CLI {scale:>5g}×: {sec:8.1f} s, peak {peak / GIB:.2f} GiB")
    linear(targets, "CLI", per_unit)


# ----------------------------------------------------------------------------- reading


def section_reading(args: argparse.Namespace, targets: Targets) -> None:
    import pandas as pd
    import xlsxwriter

    from eduscore.inputs.read import load_table

    print("\n== reading: 200,000 school rows ==")
    schools = national(1.0)["schools"].slice(0, 200_000)

    def best(fn: object, repeat: int) -> float:
        t = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            t = min(t, time.perf_counter() - start)
        return t

    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "schools.xlsx"
        book = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True})
        ws = book.add_worksheet("学校")
        ws.write_row(0, 0, schools.column_names)
        for r, row in enumerate(schools.to_pylist(), start=1):
            ws.write_row(r, 0, list(row.values()))
        book.close()
        csv = Path(tmp) / "schools.csv"
        buf = io.StringIO()
        schools.to_pandas().to_csv(buf, index=False)
        csv.write_bytes(buf.getvalue().encode("gbk"))
        t_es = best(lambda: load_table(xlsx, "schools"), 3)
        t_pd = best(lambda: pd.read_excel(xlsx, engine="openpyxl"), 1)
        t_es_csv = best(lambda: load_table(csv, "schools"), 3)
        t_pd_csv = best(lambda: pd.read_csv(csv, encoding="gbk"), 3)
    print(f"   .xlsx: eduscore (fastexcel) {t_es:.2f} s, pandas.read_excel (openpyxl) {t_pd:.2f} s")
    targets.check("Excel reading ≥ 5× pandas", t_pd / t_es >= 5, f"{t_pd / t_es:.1f}×")
    print(
        f"   GBK CSV: eduscore {t_es_csv:.2f} s, pandas.read_csv {t_pd_csv:.2f} s ({t_pd_csv / t_es_csv:.1f}×)"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the 4×/16× scales, the nation CLI and reading")
    ap.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION", help=", ".join(SECTIONS))
    ap.add_argument("--repeat", type=int, default=9, help="interleaved runs of the baselines (median)")
    ap.add_argument(
        "--scale", type=float, default=1.0, help="scale of the baselines' data (default 1: the nation)"
    )
    ap.add_argument("--timeout", type=float, default=600, help="seconds for each child process")
    ap.add_argument("--cli-16", action="store_true", help="also run the CLI at 16× the nation (long)")
    args = ap.parse_args(argv)
    chosen = args.only or [s for s in SECTIONS if not (args.quick and s == "reading")]
    print(
        f"eduscore {eduscore.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} (timings are only comparable on an idle machine)"
    )
    targets = Targets()
    runners = {
        "baselines": section_baselines,
        "cli": section_cli,
        "province": section_province,
        "memory": section_memory,
        "json": section_json,
        "startup": section_startup,
        "scaling": section_scaling,
        "reading": section_reading,
    }
    for name in SECTIONS:
        if name in chosen:
            start = time.perf_counter()
            runners[name](args, targets)
            print(f"   ({name}: {time.perf_counter() - start:.0f} s)")
    targets.summary()


if __name__ == "__main__":
    main()
