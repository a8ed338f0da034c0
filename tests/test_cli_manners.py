"""Terminal and CLI manners (issue #14, item 7): a cut table says how much is left out and
where it is; whatif says what it assumes and offers the opposite; "did you mean" never
names a header that is already read as another column."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest

import eduscore
from eduscore.demo import demo_inputs
from eduscore.planning.whatif import whatif
from eduscore.report.terminal import print_report
from eduscore.report.view import ReportView
from helpers import run_cli

DEMO = Path(eduscore.__file__).parent / "demo"


def _cut_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip().startswith("…")]


def test_a_cut_table_names_how_many_rows_and_the_file_that_holds_them(tmp_path: Path) -> None:
    result = eduscore.evaluate(**demo_inputs())
    failing = next(iter(ReportView(result, "zh").counties())).failing
    left = len(failing) - 2 * 2  # print_report shows 2 × max_rows failing sections
    buffer = io.StringIO()
    print_report(result, lang="en", file=buffer, max_rows=2)
    lines = _cut_lines(buffer.getvalue())
    assert f"… {left} more rows not shown, in result.section_checks" in "\n".join(lines)

    out = tmp_path / "报告"
    proc = run_cli("evaluate", DEMO / "schools.csv", DEMO / "counties.csv", "--out", out, "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    lines = _cut_lines(proc.stdout)
    assert lines and all(re.search(r"另有 \d+ 行未列出,见 .*report\.xlsx「", line) for line in lines), lines
    # The sheet named is in the workbook written.
    import openpyxl

    sheets = openpyxl.load_workbook(out / "report.xlsx", read_only=True).sheetnames
    for line in lines:
        assert re.search(r"「(.+)」", line)[1] in sheets

    proc = run_cli("evaluate", DEMO / "schools.csv", DEMO / "counties.csv", "--lang", "en")
    lines = _cut_lines(proc.stdout)
    assert lines and all("--out FOLDER writes them all" in line for line in lines), lines


def test_whatif_says_its_class_assumption_and_offers_the_other(tmp_path: Path) -> None:
    grows = whatif(**demo_inputs(), growth=0.15, years=3)
    opened = whatif(**demo_inputs(), growth=0.15, years=3, new_classes=True)
    flipped = set(grows.flips.column("check_id").to_pylist())
    assert "class_size" in flipped  # the largest class grows past its limit
    assert "class_size" not in set(opened.flips.column("check_id").to_pylist())
    # Opened classes are counted (rounded up): the music rooms per 12 classes feel it.
    last, base = opened.results[-1].sections, opened.baseline.sections
    assert pc.sum(last.column("students")).as_py() > pc.sum(base.column("students")).as_py()

    proc = run_cli("whatif", "--demo", "--growth", "15%", "--years", "3", "--lang", "zh")
    assert "假设:不新开班级,最大班额随在校生同比增长" in proc.stdout and "--new-classes" in proc.stdout
    proc = run_cli("whatif", "--demo", "--growth", "15%", "--years", "3", "--new-classes", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "Assumed: new classes are opened" in proc.stdout
    cut = _cut_lines(proc.stdout)
    assert all("-o FOLDER writes flips.csv" in line for line in cut)
    proc = run_cli(
        "whatif", "--demo", "--growth", "15%", "--years", "3", "-o", tmp_path / "w", "--lang", "en"
    )
    cut = _cut_lines(proc.stdout)
    assert cut and all(str(tmp_path / "w" / "flips.csv") in line for line in cut)
    assert (tmp_path / "w" / "flips.csv").exists()


@pytest.mark.parametrize("typo", ["XYZ", "学校类别型", "类型"])
def test_did_you_mean_never_names_a_header_already_read(tmp_path: Path, typo: str) -> None:
    text = (DEMO / "schools.csv").read_text("utf-8")
    header, rest = text.split("\n", 1)
    (tmp_path / "schools.csv").write_text(header.replace("学校类型", typo) + "\n" + rest, "utf-8")
    shutil.copy(DEMO / "counties.csv", tmp_path / "counties.csv")
    for lang in ("zh", "en"):
        proc = run_cli("evaluate", tmp_path / "schools.csv", tmp_path / "counties.csv", "--lang", lang)
        assert proc.returncode == 2
        suggestion = re.search(r"did you mean header '([^']+)'|表头「([^」]+)」是否即此列", proc.stderr)
        if suggestion:
            assert (suggestion[1] or suggestion[2]) == typo, proc.stderr
        assert "学校名称'" not in proc.stderr and "「学校名称」" not in proc.stderr
        assert ("学校类型" in proc.stderr) and ("Traceback" not in proc.stderr)


@pytest.mark.parametrize("per_county", [False, True])
def test_with_many_counties_the_places_named_exist(tmp_path: Path, per_county: bool) -> None:
    """A province: the summary workbook has other sheets than a county's full one; every
    place a cut table names is a sheet of the workbook written, or a county's page or
    workbook that was written."""
    import openpyxl
    import pyarrow.parquet as pq

    from eduscore.synthetic import national

    data = national(0.004, seed=1)  # about 11 counties
    for name in ("schools", "counties"):
        pq.write_table(data[name], tmp_path / f"{name}.parquet")
    out = tmp_path / "out"
    extra = ["--xlsx-per-county"] if per_county else []
    proc = run_cli(
        "evaluate", tmp_path / "schools.parquet", tmp_path / "counties.parquet", "--out", out, *extra
    )
    assert proc.returncode == 0, proc.stderr
    lines = _cut_lines(proc.stdout)
    assert lines
    summary = openpyxl.load_workbook(out / "report.xlsx", read_only=True).sheetnames
    for line in lines:
        place = re.search(r"见 (\S+?)(「(.+)」)?$", line)
        assert place, line
        path, sheet = Path(place[1]), place[3]
        if "<县区代码>" in path.name:
            written = list(path.parent.glob(path.name.replace("<县区代码>", "*")))
            assert written, line
            if sheet:
                assert sheet in openpyxl.load_workbook(written[0], read_only=True).sheetnames
        else:
            assert path.exists(), line
            if sheet:
                assert sheet in summary, (line, summary)


def test_whatif_quiet_writes_only_the_files(tmp_path: Path) -> None:
    proc = run_cli("whatif", "--demo", "--growth", "3%", "-q", "-o", tmp_path / "w")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "" and (tmp_path / "w" / "flips.csv").exists()


def test_a_value_is_never_shown_equal_to_the_threshold_it_misses() -> None:
    from eduscore.report.view import number_pair

    assert number_pair(2.2989, 2.3) == ("2.299", "2.3")
    assert number_pair(2.3, 2.3) == ("2.3", "2.3")
    assert number_pair(4.19999, 4.2)[0] != number_pair(4.19999, 4.2)[1]
    proc = run_cli("whatif", "--demo", "--growth", "3%", "--lang", "en")
    checked = 0
    for line in proc.stdout.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) == 6 and "→" in cells[3] and "—" not in (cells[4], cells[5]):
            assert cells[4] != cells[5], line  # a flip between two different figures
            checked += 1
    assert checked


def test_whatif_flips_carry_units_labels_and_comparators(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each flipped value is written as a document writes it: a county's check over
    schools as how many schools fail (was "1 | 0"), six-of-seven as indicators met, and
    an indicator with its unit and comparator, with the digits that tell them apart."""
    import io

    from eduscore.report.terminal import _flip_numbers, print_whatif
    from eduscore.report.view import ReportView

    w = eduscore.whatif(**eduscore.demo_inputs(), growth=0.03)
    view = ReportView(w.baseline, "zh")
    flips = w.first_flips().to_pylist()
    shown = {(f["check_id"], f["school_name"]): _flip_numbers(view, f) for f in flips}
    county_level = [v for (check, school), v in shown.items() if not school and check == "class_size"]
    assert county_level == [("1 个学校(学段)未达标", "")]
    assert shown[("multimedia_classrooms_per_100", "示例县东湖镇中心小学")] == (
        "2.299间/百生",
        "≥ 2.3间/百生",
    )
    six = [v for (check, _), v in shown.items() if check == "school_six_of_seven"]
    assert six and all(v[0].startswith("达标 ") and v[1] == "≥ 6 项" for v in six)
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: no cell is wrapped
    out = io.StringIO()
    print_whatif(w, lang="en", file=out)
    assert "1 school section(s) fail" in out.getvalue()
