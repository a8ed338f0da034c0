"""Output safety and integrity: every report holds any text and any number safely, and a
folder of reports always holds one run's files, whole (issue #11).

Hostile inputs are small CSV files built from the demo county with a name replaced;
the CLI runs as a subprocess (exit status, stdout, stderr and the files written are
checked) and the Python API where it matters.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom import minidom

import attrs
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import eduscore
from eduscore.demo import demo_path
from eduscore.model.records import Renderer
from eduscore.plugins.hookspecs import hookimpl
from eduscore.report.context import RenderContext
from eduscore.report.formats import write_outputs
from helpers import run_cli

FORMATS = ("json", "csv", "parquet", "md", "html", "xlsx", "docx")

# What a spreadsheet runs as a formula (OWASP's list and Excel's full-width forms) ...
FORMULA = re.compile("^[ \u3000]*[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")
# ... unless the text is a plain number, which it reads as that number.
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?%?")
# Control characters a terminal or a viewer acts on (line feeds and tabs are layout).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
# Excel decodes _xHHHH_ in a cell to U+HHHH unless its underscore is escaped (_x005F_):
# a control character (other than TAB, LF, CR) written so is live again in Excel.
OOXML_CONTROL = re.compile(r"(?<!_x005F)_x00(?:0[0-8BCEFbcef]|1[0-9A-Fa-f]|7[Ff])_")

INJECTIONS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "@SUM(1)",
    "\t=1+1",
    "－1+1",  # full-width hyphen-minus: Excel treats ＝＋－＠ like =+-@
    '＝HYPERLINK("http://x.invalid")',
    "-1+1",
]
ESCAPES = [
    "示例\x1b]0;pwned\x07小学\x1b[2J",  # retitle and clear the terminal
    "右到左\u202etxt.exe小学",  # right-to-left override
    "学校\x9b31m_x001B_",  # a C1 CSI and an OOXML escape Excel would decode to ESC
]
HOSTILE_HEADER = '=HYPERLINK("http://x.invalid","y")'


def cli(*args: str | Path, env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    if kw:  # another user, another umask …: a process of its own
        return subprocess.run(
            [sys.executable, "-m", "eduscore.cli", *map(str, args)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
            **kw,
        )
    return run_cli(*args, env=env)


# Demo schools 002, 006, 007 and 008 fail, so the terminal shows their names too.
NAMED_ROWS = (2, 6, 7, 8, 1, 3, 4, 5, 9)


def hostile_schools(folder: Path, names: list[str], *, students: str | None = None) -> Path:
    """The demo schools with names replaced (failing schools first), an extra hostile
    header, a formula as a rejected cell's raw value (school 010), and (optionally) the
    first school's primary students replaced."""
    with demo_path("schools.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    name_col, students_col = header.index("学校名称"), header.index("小学在校生数")
    for row, name in zip(NAMED_ROWS, names, strict=False):
        rows[row][name_col] = name
    if students is not None:
        rows[1][students_col] = students
    rows[0] = [*header, HOSTILE_HEADER]
    for row in rows[1:]:
        row.append("x")
    rows[10][header.index("初中专任教师数")] = "=1+2"
    path = folder / "schools.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def live_formulas(path: Path) -> list[str]:
    return [c for c in csv_cells(path) if FORMULA.match(c) and not PLAIN_NUMBER.fullmatch(c)]


def xlsx_problems(path: Path) -> list[str]:
    """Ill-formed XML parts, control characters escaped as _xHHHH_ (Excel decodes them),
    and cells holding control characters."""
    problems = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels", ".vml")):
                raw = z.read(name)
                try:
                    minidom.parseString(raw)
                except Exception as exc:
                    problems.append(f"{name}: {exc}")
                problems += [f"{name}: {m}" for m in OOXML_CONTROL.findall(raw.decode("utf-8", "replace"))]
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and CONTROL.search(c.value):
                    problems.append(f"{ws.title}!{c.coordinate}: {c.value!r}")
    return problems


@pytest.mark.parametrize("name", ["eduscore.report.text", "eduscore.report.files"])
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failures == 0


# --------------------------------------------------------------------------- CSV formulas


def test_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    schools = hostile_schools(tmp_path, INJECTIONS)
    counties = demo_path("counties.csv")
    out = tmp_path / "out"
    proc = cli("evaluate", schools, counties, "--out", out, "--format", "csv", "-q")
    assert proc.returncode == 0, proc.stderr
    for path in sorted(out.glob("*.csv")):
        assert live_formulas(path) == [], path.name
    sections = csv_cells(out / "sections.csv")
    for name in ("=cmd|' /C calc'!A0", "+SUM(1+1)", "@SUM(1)", "－1+1", "-1+1"):
        assert f"'{name}" in sections, name  # neutralised with a quote, otherwise intact
    findings = csv_cells(out / "findings.csv")
    assert "'=1+2" in findings  # a rejected cell's raw value
    assert f"'{HOSTILE_HEADER}" in findings  # a header name, reported as unknown
    # Numbers stay numbers: unquoted in the file, no quote prefix even when negative.
    with (out / "checks.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["value"] == "" or float(r["value"]) == float(r["value"]) for r in rows)
    assert '"value"' in (out / "checks.csv").read_text("utf-8-sig").splitlines()[0]


@pytest.mark.parametrize("command", ["plan", "whatif"])
def test_plan_and_whatif_csvs_never_start_a_formula(tmp_path: Path, command: str) -> None:
    schools = hostile_schools(tmp_path, INJECTIONS)
    out = tmp_path / "out"
    extra = ["--growth", "0.05", "--years", "2"] if command == "whatif" else []
    proc = cli(command, schools, demo_path("counties.csv"), "--out", out, *extra)
    assert proc.returncode == 0, proc.stderr
    written = sorted(out.glob("*.csv"))
    assert written
    for path in written:
        assert live_formulas(path) == [], path.name
    if command == "plan":
        gaps = csv_cells(out / "plan_gaps.csv")
        assert any(c.startswith("'=cmd|") for c in gaps) or any(
            c.startswith("'") for c in csv_cells(out / "margins.csv")
        )


def test_write_csv_bom_neutralises_dictionary_and_list_columns(tmp_path: Path) -> None:
    from eduscore.report.formats import write_csv_bom

    table = pa.table(
        {
            "name": pa.array(["=1+1", "ok", "-5", None, "\r@x"]).dictionary_encode(),
            "tags": pa.array([["+a", "b"], [], None, ["c"], ["-"]]),
            "n": pa.array([-5.0, math.nan, math.inf, -math.inf, 1.5]),
            "k": pa.array([-1, 2, 3, 4, 5]),
            "=bad": pa.array(["x"] * 5),
        }
    )
    path = tmp_path / "t.csv"
    write_csv_bom(table, path)
    assert live_formulas(path) == []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["name", "tags", "n", "k", "'=bad"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "ok", "-5", "", "'␍@x"]
    assert [r[1] for r in rows[1:]] == ["'+a; b", "", "", "c", "'-"]
    assert [r[2] for r in rows[1:]] == ["-5", "", "", "", "1.5"]  # NaN and ±inf are empty
    assert [r[3] for r in rows[1:]] == ["-1", "2", "3", "4", "5"]
    assert "\n-5,-1," in path.read_text("utf-8-sig").replace('"-5"', "-5") or "-1" in rows[1]


# --------------------------------------------------------------------------- control characters


def _no_live_codes(stream: str) -> str:
    """``stream`` without rich's own colour codes (SGR); what is left must be inert."""
    return re.sub(r"\x1b\[[0-9;]*m", "", stream)


def test_control_characters_never_reach_the_terminal_or_a_file(tmp_path: Path) -> None:
    schools = hostile_schools(tmp_path, ESCAPES)
    out = tmp_path / "out"
    proc = cli(
        "evaluate",
        schools,
        demo_path("counties.csv"),
        "--out",
        out,
        *[a for f in FORMATS for a in ("--format", f)],
        "--json",
        tmp_path / "r.json",
        env={"COLUMNS": "200", "FORCE_COLOR": "1", "TERM": "xterm-256color"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" in proc.stdout  # rich's colours still work on a terminal
    assert not CONTROL.search(_no_live_codes(proc.stdout)), "terminal"
    assert "␛]0;pwned" in proc.stdout and "␛[2J" in proc.stdout  # shown, not acted on
    for name in ("report.md", "report.html", *(p.name for p in out.glob("*.csv"))):
        text = (out / name).read_text("utf-8-sig")
        assert not CONTROL.search(text), name
    # The readers clean names (a notice), and the findings quote the raw value: it is
    # shown in every report (Markdown escapes the "]").
    for name in ("report.md", "report.html", "findings.csv"):
        assert re.search(r"␛\\?\]0;pwned", (out / name).read_text("utf-8-sig")), name
    assert xlsx_problems(out / "report.xlsx") == []
    # JSON keeps the values exactly, as Parquet does (they are the record of the run),
    # but holds them as \uXXXX escapes, so that `cat result.json` shows nothing live.
    exact = pq.read_table(out / "findings.parquet").column("value").to_pylist()
    assert any("\x1b" in str(v) for v in exact) and any("\u202e" in str(v) for v in exact)
    for path in (out / "result.json", tmp_path / "r.json"):
        raw = path.read_text("utf-8")
        assert not CONTROL.search(raw), path
        assert [f["value"] for f in json.loads(raw)["findings"]] == exact


def test_control_characters_are_shown_in_every_renderer_of_the_api(tmp_path: Path) -> None:
    """The same through the Python API, with names the readers cannot touch."""
    result = _named(eduscore.evaluate(**eduscore.demo_inputs()), [*ESCAPES, "\x00\x7f\u2066x\u2069"])
    for fmt in FORMATS:
        write_outputs(result, tmp_path, [fmt], "en")
    from eduscore.report.terminal import print_plan, print_report

    for printer in (print_report, print_plan):
        buffer = io.StringIO()
        printer(result, lang="en", file=buffer)
        assert not CONTROL.search(buffer.getvalue()), printer.__name__
    for name in ("report.md", "report.html", "sections.csv", "section_checks.csv"):
        assert not CONTROL.search((tmp_path / name).read_text("utf-8-sig")), name
    assert xlsx_problems(tmp_path / "report.xlsx") == []
    with zipfile.ZipFile(tmp_path / "self-evaluation.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    assert not CONTROL.search(document) and "␛]0;pwned" in document
    stored = pq.read_table(tmp_path / "sections.parquet").column("school_name").to_pylist()
    assert ESCAPES[0] in stored  # Parquet is data: the value exactly
    from eduscore.report.explain import explain

    text = explain(result, "school_six_of_seven", lang="en")
    assert "␛]0;pwned" in text and not CONTROL.search(text)


def _named(result: eduscore.Result, names: list[str]) -> eduscore.Result:
    s = result.sections
    old = s.column("school_name").to_pylist()
    new = [names[i] if i < len(names) else n for i, n in enumerate(old)]
    return attrs.evolve(
        result, sections=s.set_column(s.column_names.index("school_name"), "school_name", pa.array(new))
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_messages_show_control_characters_of_paths_and_names(tmp_path: Path, lang: str) -> None:
    missing = tmp_path / "学校\x1b]0;pwned\x07\x1b[2J.csv"
    proc = cli("evaluate", "--schools", missing, "--lang", lang)
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and "␛]0;pwned" in proc.stderr, proc.stderr
    schools = hostile_schools(tmp_path, ESCAPES)
    proc = cli(
        "explain", "school_six_of_seven", "--schools", schools, "--counties", demo_path("counties.csv"),
        "--lang", lang,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert not CONTROL.search(proc.stdout)


def test_safe_console_keeps_rich_colours_and_styled_spans() -> None:
    from rich.table import Table
    from rich.text import Text

    from eduscore.report.console import SafeConsole

    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, color_system="standard", width=80)
    text = Text("名称\x1b[2J ", style="bold")
    text.append("fail", style="red")
    console.print(text)
    table = Table(title="t\x1b]0;x")
    table.add_column("a\u202e")
    table.add_row("x\x1b[8my")
    console.print(table, "\x1b[2Jplain")
    out = buffer.getvalue()
    assert "\x1b[1;31mfail" in out or "\x1b[31mfail" in out  # the span still covers "fail"
    assert not CONTROL.search(_no_live_codes(out)) and out.count("␛") == 4


# --------------------------------------------------------------------------- NaN and infinity


def _salt(table: pa.Table) -> pa.Table:
    """Every float column cycles through NaN, +inf, -inf, the largest float and its value."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            values = table.column(i).to_pylist()
            cycle = [math.nan, math.inf, -math.inf, 1.7976931348623157e308, -0.0]
            salted = [cycle[k % len(cycle)] if k % 6 != 5 else v for k, v in enumerate(values)]
            table = table.set_column(i, field.name, pa.array(salted, field.type))
    return table


def salted_result(lang: str = "zh") -> RenderContext:
    """The demo result with NaN and ±inf in every float cell of every table, and of the
    analyses the reports show (plan, margins, risks, decomposition)."""
    result = eduscore.evaluate(**eduscore.demo_inputs())
    a = eduscore.analyse(result)
    assert a.plan is not None and a.decomposition is not None
    plan = attrs.evolve(
        a.plan, **{k: _salt(getattr(a.plan, k)) for k in ("gaps", "cv", "checks", "schools", "sections")}
    )
    analyses = attrs.evolve(
        a, plan=plan, margins=_salt(a.margins), risks=_salt(a.risks), decomposition=_salt(a.decomposition)
    )
    tables = {name: _salt(t) for name, t in result.tables().items()}
    salted = RenderContext(attrs.evolve(result, **tables), lang)
    salted._analyses = analyses
    return salted


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_writer_copes_with_nan_and_infinity(tmp_path: Path, lang: str) -> None:
    context = salted_result(lang)
    result = context.result
    written = write_outputs(context, tmp_path, FORMATS)
    assert len(written) == len(FORMATS)
    _strict_json((tmp_path / "result.json").read_text("utf-8"))
    for path in tmp_path.glob("*.csv"):
        cells = csv_cells(path)
        assert not {"nan", "inf", "-inf", "NaN", "Infinity"} & set(cells), path.name
    for name in result.TABLES:
        assert pq.read_table(tmp_path / f"{name}.parquet").num_rows == getattr(result, name).num_rows
    page = (tmp_path / "report.html").read_text("utf-8")
    numeric_attributes = re.findall(r'\b(?:x|x1|x2|y|cx|r|width)="([^"]*)"', page)
    assert numeric_attributes and not [a for a in numeric_attributes if re.search(r"nan|inf", a, re.I)]
    md = (tmp_path / "report.md").read_text("utf-8")
    assert not re.search(r"\b(?:nan|inf)\b", md, re.I)
    assert xlsx_problems(tmp_path / "report.xlsx") == []
    xml = zipfile.ZipFile(tmp_path / "report.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert not re.search(r"<v>(?:nan|inf|-inf)</v>", xml)
    from eduscore.report.explain import explain
    from eduscore.report.terminal import print_plan, print_report

    for printer in (print_report, print_plan):
        buffer = io.StringIO()
        printer(result, lang=lang, file=buffer)
        assert buffer.getvalue()
    for check in ("cv.sports_area_per_student.primary", "school_six_of_seven", "sports_area_per_student"):
        assert explain(result, check, lang=lang)


def test_overflowing_numbers_give_reports_not_a_crash(tmp_path: Path) -> None:
    """Numbers from the inputs that overflow: a student count of 1e-300 (per-student
    values of 1e306 and more; the readers now round it to 0), and prices of 1e308 per
    unit, which make the plan's costs infinite (the XLSX writer raised)."""
    schools = hostile_schools(tmp_path, [], students="1e-300")
    out = tmp_path / "out"
    proc = cli("evaluate", schools, demo_path("counties.csv"), "--out", out,
               *[a for f in FORMATS for a in ("--format", f)])  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert xlsx_problems(out / "report.xlsx") == []
    _strict_json((out / "result.json").read_text("utf-8"))
    resources = ["sports_area_m2", "equipment_value_cny", "teaching_aux_area_m2", "teachers_above_degree",
                 "backbone_teachers", "pe_arts_teachers", "multimedia_classrooms"]  # fmt: skip
    costs = tmp_path / "costs.json"
    costs.write_text(json.dumps(dict.fromkeys(resources, 1e308)), encoding="utf-8")
    plan = cli("plan", "--demo", "--costs", costs, "--out", tmp_path / "plan")
    assert plan.returncode == 0, plan.stderr
    assert xlsx_problems(tmp_path / "plan" / "report.xlsx") == []
    totals = csv_cells(tmp_path / "plan" / "plan_totals.csv")
    assert not {"inf", "-inf", "nan"} & set(totals)
    page = (tmp_path / "plan" / "report.html").read_text("utf-8")
    assert not re.search(r"\b(?:nan|inf)\b", page, re.I)


# --------------------------------------------------------------------------- output paths


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_out_naming_an_existing_file_exits_2_naming_it(tmp_path: Path, lang: str) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("not a folder")
    proc = cli("demo", "--out", blocker, "--lang", lang, "-q")
    assert proc.returncode == 2, proc.stderr
    word = "错误" if lang == "zh" else "error"
    assert f"eduscore: {word}: {blocker}" in proc.stderr
    assert ("文件夹" if lang == "zh" else "a file is in the way of a folder") in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_json_under_a_file_exits_2_naming_it(tmp_path: Path, lang: str) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "sub" / "r.json"
    proc = cli("demo", "-q", "--out", tmp_path / "o", "--format", "md", "--json", target, "--lang", lang)
    assert proc.returncode == 2, proc.stderr
    assert str(tmp_path / "file") in proc.stderr and "internal error" not in proc.stderr
    assert ("无法创建" if lang == "zh" else "cannot create") in proc.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_folder_in_the_way_of_a_file_exits_2(tmp_path: Path, lang: str) -> None:
    folder = tmp_path / "taken.xlsx"
    folder.mkdir()
    for args in (["template", "-o", folder], ["demo", "-q", "--out", tmp_path / "o", "--json", folder]):
        proc = cli(*args, "--lang", lang) if args[0] == "demo" else cli(*args)
        assert proc.returncode == 2, proc.stderr
        assert str(folder) in proc.stderr and "internal error" not in proc.stderr
    assert ("文件夹挡住了文件" if lang == "zh" else "a folder is in the way of a file") in proc.stderr
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.parametrize("command", ["plan", "whatif"])
def test_plan_and_whatif_out_naming_a_file_exits_2(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    proc = cli(command, "--demo", "--out", blocker, "--lang", "en")
    assert proc.returncode == 2 and str(blocker) in proc.stderr, proc.stderr


def _as_nobody() -> dict[str, Any]:
    """Run a child as an unprivileged user when the tests run as root (root ignores
    permissions), else as ourselves."""
    if os.geteuid() != 0:
        return {}

    def drop() -> None:
        os.setgid(65534)
        os.setuid(65534)

    return {"preexec_fn": drop}


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_read_only_output_folder_exits_2_naming_it(lang: str) -> None:
    base = Path(tempfile.mkdtemp(prefix="eduscore-ro-"))
    try:
        base.chmod(0o1777)  # the unprivileged child may create folders beside "readonly"
        readonly = base / "readonly"
        readonly.mkdir()
        readonly.chmod(0o555)
        for target in (readonly, readonly / "sub"):
            proc = cli("demo", "-q", "--out", target, "--lang", lang, env={"HOME": str(base)}, **_as_nobody())
            assert proc.returncode == 2, (proc.stdout, proc.stderr)
            assert str(target if target == readonly else readonly / "sub") in proc.stderr
            assert ("没有写入权限" if lang == "zh" else "permission denied") in proc.stderr
            assert "internal error" not in proc.stderr
        proc = cli("demo", "-q", "--out", base / "ok", "--format", "md", "--json", readonly / "r.json",
                   "--lang", lang, **_as_nobody())  # fmt: skip
        assert proc.returncode == 2 and str(readonly / "r.json") in proc.stderr, proc.stderr
    finally:
        readonly.chmod(0o755)
        shutil.rmtree(base)


# --------------------------------------------------------------------------- integrity


def test_a_symlink_in_the_output_folder_is_replaced_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    precious = elsewhere / "precious"
    precious.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    names = ["report.html", "result.json", "checks.csv", "report.md", "report.xlsx", "verdicts.parquet"]
    (out / names[0]).symlink_to(precious)  # an existing file elsewhere
    for name in names[1:]:
        (out / name).symlink_to(elsewhere / name)  # dangling: would create files elsewhere
    (out / ".eduscore.lock").symlink_to(elsewhere / "lock")
    proc = cli("demo", "-q", "--out", out, *[a for f in FORMATS for a in ("--format", f)])
    assert proc.returncode == 0, proc.stderr
    assert precious.read_text() == "precious"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious"]
    for name in names:
        assert (out / name).is_file() and not (out / name).is_symlink(), name
    assert not [p for p in out.iterdir() if p.name.startswith(".eduscore-staging")]


def test_plugin_renderers_never_write_through_a_symlink(register_plugin: Any, tmp_path: Path) -> None:
    def render_note(context: Any, out: Path) -> Path:
        (out / "notes").mkdir(exist_ok=True)
        (out / "notes" / "note.txt").write_text(str(context.result.verdicts.num_rows))
        (out / "note.txt").write_text("top")
        return out / "notes" / "note.txt"

    class Notes:
        EDUSCORE_API_VERSION = 2

        @hookimpl
        def eduscore_renderers(self) -> Iterator[Renderer]:
            yield Renderer("note", ".txt", render_note, "a note")

    register_plugin(Notes(), "notes")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes").symlink_to(elsewhere, target_is_directory=True)
    (out / "note.txt").symlink_to(elsewhere / "top.txt")
    result = eduscore.evaluate(**eduscore.demo_inputs())
    written = write_outputs(result, out, ["note", "json"])
    assert written == [out / "notes" / "note.txt", out / "result.json"]
    assert list(elsewhere.iterdir()) == []
    assert (out / "notes").is_dir() and not (out / "notes").is_symlink()
    assert (out / "notes" / "note.txt").read_text() == "1" and (out / "note.txt").read_text() == "top"
    # A second run merges into the real folder that is there now.
    assert write_outputs(result, out, ["note"]) == [out / "notes" / "note.txt"]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import eduscore
    from eduscore.report.formats import write_outputs

    out, which, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    if which == "demo":
        result = eduscore.evaluate(**eduscore.demo_inputs())  # not certified
    else:
        sys.path.insert(0, sys.argv[4])
        from helpers import AT_THRESHOLD_PRIMARY, run_cli, school, table
        rows = [school(s, **AT_THRESHOLD_PRIMARY) for s in "ab"]
        result = eduscore.evaluate(schools=table(rows))  # incomplete: no county facts
    print(result.verdicts.column("verdict")[0].as_py(), flush=True)
    for _ in range(rounds):
        write_outputs(result, out, ["json", "csv", "md"], "en")
    """
)


def _verdicts(out: Path) -> tuple[str, str, str] | None:
    """The verdict as result.json, verdicts.csv and report.md give it ("torn" for a file
    cut short; None while a file is still missing)."""
    try:
        json_text = (out / "result.json").read_text("utf-8")
        csv_text = (out / "verdicts.csv").read_text("utf-8-sig")
        md = (out / "report.md").read_text("utf-8")
    except FileNotFoundError:
        return None
    try:
        from_json = json.loads(json_text)["verdicts"][0]["verdict"]
    except ValueError:
        from_json = "torn"
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    from_csv = rows[0]["verdict"] if rows else "torn"
    heading = next((line for line in md.splitlines() if line.startswith("## 990101")), "")
    words = [("not certified", "not_certified"), ("certified", "certified"), ("incomplete", "incomplete")]
    from_md = next((v for k, v in words if heading.endswith(k)), "torn")
    return from_json, from_csv, from_md


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="the folder lock is POSIX flock")
def test_concurrent_runs_into_one_folder_never_mix_their_files(tmp_path: Path) -> None:
    """Two processes write different results into one folder, many times. Whenever a
    reader holds the folder's lock, and at the end, the files agree with each other."""
    import fcntl

    out = tmp_path / "out"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(out), which, "25", str(Path(__file__).parent)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for which in ("demo", "schools_only")
    ]
    verdicts = {p.stdout.readline().strip() for p in procs if p.stdout is not None}
    assert len(verdicts) == 2, verdicts  # two different results really compete
    seen: list[tuple[str, str, str]] = []
    while any(p.poll() is None for p in procs):
        out.mkdir(exist_ok=True)
        with (out / ".eduscore.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = _verdicts(out)
        if found is not None:
            seen.append(found)
    assert all(p.wait() == 0 for p in procs)
    final = _verdicts(out)
    assert final is not None and len(set(final)) == 1, final
    mixed = [s for s in seen if len(set(s)) != 1]
    assert seen and mixed == [], mixed[:3]
    assert not [p for p in out.iterdir() if p.name.startswith(".eduscore-staging")]


# --------------------------------------------------------------------------- clean exit


@pytest.mark.slow
def test_error_exit_after_arrow_work_is_never_an_abort(tmp_path: Path) -> None:
    """``plan --costs`` with a bad price: an error after threaded CSV reads and Arrow
    compute. Before the CLI exited without interpreter finalisation, about one run in
    thirty under load aborted after printing its message ("terminate called without an
    active exception", status -6): native thread pools torn down at exit. Three
    streams of runs share one CPU to make that load."""
    from concurrent.futures import ThreadPoolExecutor

    costs = tmp_path / "costs.csv"
    costs.write_text("resource,cost\nsports_area_m2,abc\n", encoding="utf-8")
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    inputs = [["--schools", str(demo_path("schools.csv"))], ["--demo"]]

    def run(k: int) -> tuple[int, str]:
        command = [
            sys.executable,
            "-m",
            "eduscore.cli",
            "plan",
            *inputs[k % 2],
            "--costs",
            str(costs),
            "--lang",
            "en",
        ]
        proc = subprocess.run([*pin, *command], capture_output=True, text=True, check=False)
        return proc.returncode, proc.stderr

    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(run, range(36)))
    aborted = [(code, err) for code, err in runs if code != 2 or "terminate called" in err]
    assert aborted == [], aborted[:2]
    assert all("price 'abc' is not a number" in err for _, err in runs)


def test_the_program_skips_interpreter_finalisation(tmp_path: Path) -> None:
    """The structural fix behind the stress test above, checked deterministically: once
    the output is flushed, ``python -m eduscore.cli`` (and the ``eduscore`` script) end
    the process without running exit handlers, where native pools are torn down."""
    costs = tmp_path / "costs.csv"
    costs.write_text("resource,cost\nsports_area_m2,abc\n", encoding="utf-8")

    def probe(*args: str | Path) -> subprocess.CompletedProcess[str]:
        code = (
            "import atexit, runpy, sys\n"
            "atexit.register(lambda: print('FINALISED', flush=True))\n"
            f"sys.argv = ['eduscore', *{[str(a) for a in args]!r}]\n"
            "runpy.run_module('eduscore.cli', run_name='__main__')\n"
        )
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)

    failed = probe("plan", "--demo", "--costs", costs, "--lang", "en")
    assert failed.returncode == 2 and "price 'abc' is not a number" in failed.stderr, failed.stderr
    assert "FINALISED" not in failed.stdout
    done = probe("demo", "--out", tmp_path, "--format", "md", "--lang", "en")
    assert done.returncode == 0 and "FINALISED" not in done.stdout
    # stdout is a pipe (block-buffered): every line arrived, so it was flushed first.
    assert done.stdout.rstrip().endswith(f"Wrote md: {tmp_path / 'report.md'}")


def test_exit_status_survives_the_exit_path(tmp_path: Path) -> None:
    """The program's own exit path (flush, then exit without finalisation) keeps every
    status and every line of output."""
    ok = cli("demo", "--out", tmp_path, "--format", "md", "--lang", "en")
    assert ok.returncode == 0 and ok.stdout.rstrip().endswith(f"Wrote md: {tmp_path / 'report.md'}")
    assert cli("demo", "-q", "--out", tmp_path, "--fail-on-not-certified").returncode == 3
    assert cli("evaluate").returncode == 2
    usage = cli("demo", "--no-such-option")
    assert usage.returncode == 2 and "用法" in usage.stderr
    usage = cli("demo", "--no-such-option", "--lang", "en")
    assert usage.returncode == 2 and "usage:" in usage.stderr
    assert cli("--version").returncode == 0


def test_json_to_a_named_pipe_or_a_link_writes_through_never_replaces(tmp_path: Path) -> None:
    """--json names a file the user chose: /dev/null, a FIFO or a link is written into
    (renaming over /dev/null as root would replace the device)."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eduscore.cli",
            "demo",
            "-q",
            "--json",
            str(fifo),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    reader.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert fifo.is_fifo() and json.loads(got[0])["verdicts"]
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eduscore.cli",
            "demo",
            "-q",
            "--json",
            str(link),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and json.loads(real.read_text("utf-8"))["verdicts"]
    devnull = subprocess.run(
        [
            sys.executable,
            "-m",
            "eduscore.cli",
            "demo",
            "-q",
            "--json",
            os.devnull,
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert devnull.returncode == 0 and Path(os.devnull).is_char_device()
