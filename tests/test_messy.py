"""Realistic broken bureau files (tests/data/messy/): each gives exactly its findings, a
clear report, no traceback, and accounts for every row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
from eduscore.testing import schools_tables

MESSY = Path(__file__).parent / "data" / "messy"
EXPECTED = json.loads((MESSY / "expected.json").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_messy_file_gives_its_findings(name: str, tmp_path: Path) -> None:
    case = EXPECTED[name]
    args = (
        [*case["args"], str(MESSY / name)]
        if case["args"] and case["args"][0].startswith("--") and len(case["args"]) == 1
        else None
    )
    if args is None:
        flag = case["args"][:1]
        rest = case["args"][1:]
        args = [*flag, str(MESSY / name), *rest] if flag else [str(MESSY / name), *rest]
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "eduscore.cli", "evaluate", *args, "--json", str(out), "--lang", "en"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    result = json.loads(out.read_text("utf-8"))
    got = sorted([f["rule"], f["row"], f["column"]] for f in result["findings"])
    assert got == sorted(case["findings"])
    for message in case["messages"]:
        assert any(message in f["message_en"] for f in result["findings"]), message
    accounting = [
        {k: a[k] for k in ("rows", "scored", "excluded", "rejected", "unused")} for a in result["accounting"]
    ]
    assert accounting == case["accounting"]
    assert (
        "Data problems" in proc.stdout and "rows =" in proc.stdout
    )  # findings and the invariant are printed
    for f in result["findings"]:
        assert f["message_zh"] and f["message_en"] and f["severity"] in ("error", "warning", "notice")


MESS = st.sampled_from(
    ["", "n/a", "85", "85%", "-3", "1e13", "合计", "是", "九年制", "  ", "NaN", "inf", "１２"]
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(schools_tables(max_schools=15), st.data())
def test_accounting_holds_on_generated_messy_tables(schools: pa.Table, data: st.DataObject) -> None:
    """Messy cells sprinkled over valid tables: every row is still scored, excluded or rejected."""
    columns = {
        name: [None if v is None else str(v) for v in schools.column(name).to_pylist()]
        for name in schools.column_names
    }
    for _ in range(data.draw(st.integers(0, 12))):
        name = data.draw(st.sampled_from(sorted(columns)))
        row = data.draw(st.integers(0, schools.num_rows - 1))
        columns[name][row] = data.draw(MESS)
    if data.draw(st.booleans()):  # a duplicated school and a totals row, as bureaus send them
        for name in columns:
            columns[name].append(columns[name][0])
            columns[name].append("合计" if name == "school_name" else None)
    messy = pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
    result = eduscore.evaluate(schools=messy)
    acc = result.accounting.to_pylist()[0]
    assert acc["rows"] == messy.num_rows == acc["scored"] + acc["excluded"] + acc["rejected"] + acc["unused"]
    rejected_rows = {f["row"] for f in result.rejected.to_pylist()}
    assert len(rejected_rows) == acc["rejected"]
    result.to_json()


def test_a_malformed_row_in_the_middle_of_a_large_file_is_reported_by_number(tmp_path: Path) -> None:
    """The benchmark does this at a million sections (benchmarks/million.py); here 40,000 rows."""
    import pyarrow.csv as pacsv

    from eduscore.synthetic import national

    schools = national(0.22, seed=5)["schools"]
    middle = schools.num_rows // 2
    column = [None if v is None else str(v) for v in schools.column("sports_area_m2").to_pylist()]
    column[middle] = "1,2OO"  # letter O typed for zero
    schools = schools.set_column(
        schools.column_names.index("sports_area_m2"), "sports_area_m2", pa.array(column)
    )
    path = tmp_path / "schools.csv"
    pacsv.write_csv(schools, path)
    result = eduscore.evaluate(schools=path)
    errors = [f for f in result.findings.to_pylist() if f["severity"] == "error"]
    assert [(f["row"], f["column"], f["value"]) for f in errors] == [(middle + 2, "sports_area_m2", "1,2OO")]
    acc = result.accounting.to_pylist()[0]
    assert acc["rows"] == schools.num_rows and acc["rejected"] == 1
