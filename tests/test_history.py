"""History and monitoring alerts (issue #15 item 2): a hand-built two-year province whose
answers are known from how it was built, a slow reference on random tables, the three
renderings read back, and the command line's refusals."""

from __future__ import annotations

import io
import itertools
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eduscore
import passing
from eduscore.errors import InputError
from eduscore.province import history as history_module
from eduscore.province.history import ALERT_COLUMNS, CHANGE_COLUMNS, NO_RESULT, History, history
from eduscore.report.history import (
    ALERT_HEADS,
    print_history,
    render_history_html,
    write_history_xlsx,
)
from eduscore.report.xlsx_words import heads, sheet_name
from helpers import run_cli, table
from test_chinese_only import _visible_html, english_words

FW = "quality-balance-2017"
A, B, C, D, E = "990101", "990102", "990201", "970101", "990103"
SLIPS_SIX_OF_SEVEN = A  # one school's sports area cut by half in 2025
LOSES_AN_INPUT = B  # its social recognition rate is not reported in 2025
STEADY = C  # certified both years, nothing changes
RECOVERS = D  # a veto in 2024 (not certified), lifted in 2025 (certified)
GONE = E  # certified in 2024, not evaluated in 2025
# The two checks of the 2017 framework that read the social recognition rate: the
# ≥ 85 % rule and the veto "below 85 %".
SOCIAL_RECOGNITION_CHECKS = ("social_recognition", "social_recognition_below_85")
CUT_SCHOOL = f"{A}0001"  # a primary school of 1,000 pupils


def _year(rows: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    return [{**r, "year": year} for r in rows]


def _province() -> tuple[eduscore.Result, eduscore.Result, dict[str, Any]]:
    """2024 and 2025 of five counties built from the county that passes everything."""
    schools_2024 = [r for c in (A, B, C, D, E) for r in passing.schools(c)]
    counties_2024 = [passing.county(c) for c in (A, B, C, D, E)]
    counties_2024[3]["veto_major_incident"] = "是"
    schools_2025 = _year([r for r in schools_2024 if r["county_code"] != GONE], 2025)
    counties_2025 = _year([c for c in counties_2024 if c["county_code"] != GONE], 2025)
    for r in schools_2025:
        if r["school_id"] == CUT_SCHOOL:
            r["sports_area_m2"] = r["sports_area_m2"] / 2
    for c in counties_2025:
        if c["county_code"] == LOSES_AN_INPUT:
            c["social_recognition"] = None
        if c["county_code"] == RECOVERS:
            c["veto_major_incident"] = "否"
    r1 = eduscore.evaluate(schools=table(schools_2024), counties=table(counties_2024), framework=FW)
    r2 = eduscore.evaluate(schools=table(schools_2025), counties=table(counties_2025), framework=FW)
    return r1, r2, {"schools_2025": schools_2025}


@pytest.fixture(scope="module")
def province() -> tuple[eduscore.Result, eduscore.Result, dict[str, Any]]:
    return _province()


def write_archive(folder: Path, *results: eduscore.Result, decode: bool = True) -> Path:
    """The archive as eduscore.archive writes it, by hand: the marker file, then
    DIR/<table>/framework=<id>/year=<yyyy>/<run_id>.parquet holding the table's columns
    with ``run_id`` first and without ``framework`` and ``year`` (the path says them),
    text as text (``decode=False`` leaves the result's dictionary columns as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = {
        "format": 1,
        "created_by": f"eduscore {eduscore.__version__}",
        "layout": "<table>/framework=<id>/year=<yyyy>/<run_id>.parquet",
        "schema": "schemas/archive.schema.json",
    }
    (folder / "_eduscore_archive.json").write_text(json.dumps(marker), "utf-8")
    for i, r in enumerate(results):
        run_id = f"20250101T00000{i}Z-{i:012x}"
        for name in ("verdicts", "checks", "dispersion", "sections"):
            t = getattr(r, name)
            for year in pc.unique(t.column("year")).to_pylist():
                part = t.filter(pc.equal(t.column("year"), year))
                part = part.drop_columns([c for c in ("framework", "year") if c in part.column_names])
                if decode:
                    part = pa.table(
                        {
                            f.name: pc.cast(part.column(f.name), f.type.value_type)
                            if pa.types.is_dictionary(f.type)
                            else part.column(f.name)
                            for f in part.schema
                        }
                    )
                part = part.add_column(0, "run_id", pa.array([run_id] * part.num_rows, pa.string()))
                where = folder / name / f"framework={r.framework.id}" / f"year={year}"
                where.mkdir(parents=True, exist_ok=True)
                pq.write_table(part, where / f"{run_id}.parquet")
    return folder


@pytest.fixture(scope="module")
def archived(province: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    r1, r2, _ = province
    return write_archive(tmp_path_factory.mktemp("archive"), r1, r2)


@pytest.fixture(scope="module")
def hist(archived: Path) -> History:
    return history(archived)


# ---------------------------------------------------------------------------------------
# The hand-built province, reported exactly


def test_alerts_are_exactly_the_slipped_checks(hist: History) -> None:
    got = {(a["county_code"], a["check_id"], a["status"]) for a in hist.alerts.to_pylist()}
    assert got == {
        (SLIPS_SIX_OF_SEVEN, "school_six_of_seven", "fail"),
        *((LOSES_AN_INPUT, check, "not_assessed") for check in SOCIAL_RECOGNITION_CHECKS),
        # certified in 2024 and left out of 2025: never dropped from monitoring in silence
        (GONE, NO_RESULT, "not_assessed"),
    }
    for a in hist.alerts.to_pylist():
        previous = None if a["check_id"] == NO_RESULT else "pass"
        assert (a["certified_year"], a["year"], a["previous_status"]) == (2024, 2025, previous)
        assert a["name_zh"] and a["name_en"] and a["reason_zh"] and a["reason"]
    six = hist.alerts.filter(pc.equal(hist.alerts.column("check_id"), "school_six_of_seven")).to_pylist()[0]
    assert six["value"] == 1  # one school section fails
    assert six["verdict"] == "not_certified"
    assert hist.alerts.column_names == list(ALERT_COLUMNS)


def test_verdict_transitions(hist: History) -> None:
    got = {
        (v["county_code"], v["year"]): (v["verdict"], v["previous_verdict"])
        for v in hist.verdicts.to_pylist()
    }
    assert got == {
        (A, 2024): ("certified", None),
        (A, 2025): ("not_certified", "certified"),
        (B, 2024): ("certified", None),
        (B, 2025): ("incomplete", "certified"),
        (C, 2024): ("certified", None),
        (C, 2025): ("certified", "certified"),
        (D, 2024): ("not_certified", None),
        (D, 2025): ("certified", "not_certified"),
        (E, 2024): ("certified", None),
    }


def test_changes_are_exactly_the_constructed_ones(hist: History) -> None:
    got = {
        (c["county_code"], c["check_id"], c["year"]): (c["previous_status"], c["status"], c["change"])
        for c in hist.changes.to_pylist()
    }
    assert got == {
        (A, "school_six_of_seven", 2025): ("pass", "fail", "stopped_passing"),
        # pass → not assessed is neither "still passing" nor silent
        (B, "social_recognition", 2025): ("pass", "not_assessed", "no_longer_assessed"),
        (B, "social_recognition_below_85", 2025): ("pass", "not_assessed", "no_longer_assessed"),
        (D, "major_incident", 2025): ("fail", "pass", "started_passing"),
    }
    assert hist.changes.column_names == list(CHANGE_COLUMNS)


def test_cv_transition_of_the_cut_school(hist: History, province: Any) -> None:
    """Every school of the passing county has 11 m² of sports ground per pupil (CV 0);
    halving one primary school's gives the student-weighted CV of its primary sections."""
    schools = [s for s in province[2]["schools_2025"] if s["county_code"] == A]
    pupils, per_pupil = [], []
    for s in schools:
        if s.get("students_primary"):
            pupils.append(s["students_primary"])
            per_pupil.append(5.5 if s["school_id"] == CUT_SCHOOL else 11.0)
    w, x = np.array(pupils, float), np.array(per_pupil)
    mean = (w * x).sum() / w.sum()
    expected = math.sqrt((w * (x - mean) ** 2).sum() / w.sum()) / mean
    cv = {(d["county_code"], d["level"], d["indicator"], d["year"]): d for d in hist.cv.to_pylist()}
    row = cv[(A, "primary", "sports_area_per_student", 2025)]
    assert row["previous_cv"] == pytest.approx(0.0, abs=1e-12)
    assert row["cv"] == pytest.approx(expected, rel=1e-9)
    assert row["change"] == pytest.approx(expected, rel=1e-9)
    assert row["limit"] == 0.5 and row["status"] == row["previous_status"] == "pass"
    # The mean of the seven primary CVs moved with it, by a seventh of its change (the
    # other six did not move); no other CV of any county moved.
    assert cv[(A, "primary", "mean_of_cvs", 2025)]["change"] == pytest.approx(expected / 7, rel=1e-9)
    moved = {k for k, d in cv.items() if d["change"] is not None and abs(d["change"]) > 1e-12}
    assert moved == {(A, "primary", "sports_area_per_student", 2025), (A, "primary", "mean_of_cvs", 2025)}


def test_counties_summary(hist: History) -> None:
    got = {c["county_code"]: c for c in hist.counties.to_pylist()}
    assert set(got) == {A, B, C, D, E}
    assert [
        (got[k]["first_certified_year"], got[k]["latest_verdict"], got[k]["n_alerts"])
        for k in (A, B, C, D, E)
    ] == [
        (2024, "not_certified", 1),
        (2024, "incomplete", 2),
        (2024, "certified", 0),
        (2025, "certified", 0),
        (2024, "certified", 1),  # left out of 2025: "no evaluation this year"
    ]
    assert got[E]["years"] == [2024] and got[A]["years"] == [2024, 2025]


def test_archive_and_results_give_the_same_history(hist: History, province: Any) -> None:
    r1, r2, _ = province
    from_results = history([r1, r2])
    for name in ("verdicts", "cv", "changes", "alerts", "counties"):
        assert getattr(from_results, name).equals(getattr(hist, name)), name


def test_runs_with_text_or_dictionary_columns_mix(province: Any, tmp_path: Path) -> None:
    """One run's names written as text, the other's dictionary-encoded, are read as one
    table of text."""
    r1, r2, _ = province
    write_archive(tmp_path, r1)
    write_archive(tmp_path, r2, decode=False)
    both = history_module._read(tmp_path, "checks", FW)
    assert both.num_rows == r1.checks.num_rows + r2.checks.num_rows
    assert both.schema.field("name_zh").type == pa.string()


def test_the_real_archive_gives_the_same_history(hist: History, province: Any, tmp_path: Path) -> None:
    """Results archived by Result.archive, re-runs included."""
    r1, r2, _ = province
    for r in (r1, r2, r2):  # the second r2 replaces the first
        r.archive(tmp_path)
    real = history(tmp_path)
    for name in ("verdicts", "cv", "changes", "alerts", "counties"):
        assert getattr(real, name).equals(getattr(hist, name)), name


def test_filters(archived: Path) -> None:
    assert history(archived, province="97").counties.column("county_code").to_pylist() == [D]
    assert set(history(archived, province="9901").counties.column("county_code").to_pylist()) == {A, B, E}
    one = history(archived, county=B)
    assert one.counties.column("county_code").to_pylist() == [B] and one.alerts.num_rows == 2
    assert history(archived, framework=FW).verdicts.num_rows == 9


def test_refusals(archived: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such archive folder"):
        history(tmp_path / "nowhere")
    with pytest.raises(InputError, match="holds no results"):
        history(tmp_path)
    with pytest.raises(InputError, match="holds no results"):
        history(write_archive(tmp_path / "empty"))  # an archive of nothing
    with pytest.raises(InputError, match="no evaluation of county 110101"):
        history(archived, county="110101")
    with pytest.raises(InputError, match="holds no results of framework preschool-2020"):
        history(archived, framework="preschool-2020")
    with pytest.raises(InputError, match="2-digit province"):
        history(archived, province="zj")
    with pytest.raises(InputError, match="either a county or a province"):
        history(archived, county=A, province="99")


def test_a_later_result_replaces_an_earlier_one(province: Any) -> None:
    """As the archive does: the same county, framework and year twice — the later counts."""
    r1, r2, _ = province
    h = history([r2, r1, r2])
    assert h.verdicts.num_rows == 9 and h.alerts.num_rows == 4


def test_read_uses_the_archive_module(monkeypatch: pytest.MonkeyPatch, archived: Path) -> None:
    """The one place that reads the archive: eduscore.archive.read, once per table."""
    calls = []
    real = history_module.archive_module.read

    def read(folder: Path, table: str, *, framework: str | None = None) -> pa.Table:
        calls.append((table, framework))
        return real(folder, table, framework=framework)

    monkeypatch.setattr(history_module.archive_module, "read", read)
    h = history(archived, framework=FW)
    assert sorted(calls) == [("checks", FW), ("dispersion", FW), ("verdicts", FW)]
    assert h.alerts.num_rows == 4


# ---------------------------------------------------------------------------------------
# The vectorised tables against a slow and obvious reference

_STATUSES = ("pass", "fail", "not_assessed", "not_computable", "basic_pass", "info")
_VERDICTS = ("certified", "not_certified", "incomplete")


def _class(status: str | None) -> str | None:
    return "unknown" if status in ("not_assessed", "not_computable") else status


def _reference(
    verdicts: list[dict[str, Any]], checks: list[dict[str, Any]]
) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Changes and alerts by loops over rows, from the definitions in the module's text."""
    checks = [c for c in checks if c["status"] != "info"]
    years: dict[str, list[int]] = {}
    for v in verdicts:
        years.setdefault(v["county_code"], []).append(v["year"])
    changes = set()
    for county, ys in years.items():
        ys = sorted(ys)
        for before, now in itertools.pairwise(ys):
            was = {c["check_id"]: c for c in checks if c["county_code"] == county and c["year"] == before}
            is_ = {c["check_id"]: c for c in checks if c["county_code"] == county and c["year"] == now}
            for check in set(was) | set(is_):
                a = _class(was[check]["status"]) if check in was else None
                b = _class(is_[check]["status"]) if check in is_ else None
                if b is None:
                    change = "dropped_check"
                elif a is None:
                    change = "new_check"
                elif a == b:
                    continue
                elif b == "pass":
                    change = "started_passing"
                elif b == "unknown":
                    change = "no_longer_assessed"
                elif a == "pass":
                    change = "stopped_passing"
                elif b == "fail":
                    change = "started_failing"
                else:
                    change = "reached_basic_pass"
                changes.add((county, check, now, before, change))
    alerts = set()
    for county in years:
        certified = [
            v["year"] for v in verdicts if v["county_code"] == county and v["verdict"] == "certified"
        ]
        if not certified:
            continue
        first = min(certified)
        for c in checks:
            if c["county_code"] != county or c["year"] <= first:
                continue
            if c["status"] not in ("fail", "not_assessed", "not_computable"):
                continue
            earlier = [y for y in sorted(years[county]) if y < c["year"]]
            previous = None
            if earlier:
                old = [
                    o
                    for o in checks
                    if o["county_code"] == county
                    and o["year"] == earlier[-1]
                    and o["check_id"] == c["check_id"]
                ]
                previous = old[0]["status"] if old else None
            alerts.add((county, c["check_id"], c["year"], first, c["status"], previous))
        # a later year with results of other counties but none of this one
        for year in {v["year"] for v in verdicts}:
            if year > first and year not in years[county]:
                alerts.add((county, NO_RESULT, year, first, "not_assessed", None))
    return changes, alerts


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    verdicts, checks = [], []
    for county in draw(
        st.lists(
            st.sampled_from(["110101", "110102", "330101", "330102"]), min_size=1, max_size=4, unique=True
        )
    ):
        for year in draw(st.lists(st.integers(2019, 2024), min_size=1, max_size=4, unique=True)):
            verdicts.append(
                {"county_code": county, "year": year, "verdict": draw(st.sampled_from(_VERDICTS))}
            )
            for check in draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True)):
                checks.append(
                    {
                        "county_code": county,
                        "year": year,
                        "check_id": check,
                        "status": draw(st.sampled_from(_STATUSES)),
                    }
                )
    return verdicts, checks


def _as_tables(
    verdicts: list[dict[str, Any]], checks: list[dict[str, Any]]
) -> tuple[pa.Table, pa.Table, pa.Table]:
    v = table(verdicts) if verdicts else pa.table({})
    v = history_module._conform(
        v.append_column("framework", pa.array([FW] * v.num_rows, pa.string())), history_module._VERDICT_SCHEMA
    )
    c = table(checks) if checks else pa.table({"county_code": pa.array([], pa.string())})
    c = history_module._conform(
        c.append_column("framework", pa.array([FW] * c.num_rows, pa.string())), history_module._CHECK_SCHEMA
    )
    return v, c, history_module._CV_SCHEMA.empty_table()


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_changes_and_alerts_match_a_slow_reference(
    data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    verdicts, checks = data
    h = history_module._history(*_as_tables(verdicts, checks), "test")
    want_changes, want_alerts = _reference(verdicts, checks)
    got_changes = {
        (c["county_code"], c["check_id"], c["year"], c["previous_year"], c["change"])
        for c in h.changes.to_pylist()
    }
    got_alerts = {
        (a["county_code"], a["check_id"], a["year"], a["certified_year"], a["status"], a["previous_status"])
        for a in h.alerts.to_pylist()
    }
    assert got_changes == want_changes
    assert got_alerts == want_alerts
    assert h.changes.num_rows == len(want_changes) and h.alerts.num_rows == len(want_alerts)


# ---------------------------------------------------------------------------------------
# The renderings, read back


def _ids(h: History, *results: eduscore.Result) -> set[str]:
    ids = {FW, "eduscore", *re.split(r"[/\\]", h.source)}
    for r in results:
        ids |= set(r.checks.column("check_id").to_pylist()) | {i.id for i in r.framework.indicators}
    return ids


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_terminal(hist: History, province: Any, lang: str) -> None:
    out = io.StringIO()
    print_history(hist, lang=lang, file=out)
    text = out.getvalue()
    for county in (A, B, C, D, E):
        assert county in text
    name = hist.alerts.column("name_zh" if lang == "zh" else "name_en").to_pylist()[0]
    assert name[:4] in text
    if lang == "zh":
        assert "预警" in text
        words = english_words(text, _ids(hist, province[0]))
        assert not words, words
    else:
        assert "4 alerts in 3 counties" in text


def test_terminal_of_many_counties_is_short(province: Any) -> None:
    """Many counties: the alert list and the county table are cut, saying where the rest is."""
    r1, r2, _ = province
    h = history([r1, r2])
    out = io.StringIO()
    print_history(h, lang="en", file=out, max_rows=2, full_in="out/history.xlsx")
    text = out.getvalue()
    assert "2 more rows not shown: see out/history.xlsx" in text
    assert "3 more rows not shown" in text


class _Strict(HTMLParser):
    """Every opened element is closed in order (void elements aside)."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "br",
        "hr",
        "img",
        "input",
        "link",
        "circle",
        "line",
        "polyline",
        "rect",
    }

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.svgs = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                self.external.append(v)
        if tag == "svg":
            self.svgs += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (self.stack[-5:], tag)
        self.stack.pop()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_parses_offline_with_trend_charts(hist: History, province: Any, lang: str) -> None:
    page = render_history_html(hist, lang)
    parser = _Strict()
    parser.feed(page)
    parser.close()
    assert parser.stack == [] and parser.external == []
    assert "<script" not in page
    # Two levels (primary, junior) per county, each chart with its limit line.
    assert parser.svgs == 2 * 5 and page.count('class="limit"') == 2 * 5
    # Counties with alerts first.
    first = [page.index(f"id='c-{c}-{FW}'") for c in (B, A, E, D, C)]
    assert first == sorted(first)
    if lang == "zh":
        words = english_words(_visible_html(page), _ids(hist, province[0]))
        assert not words, words


def test_html_of_many_counties_charts_the_first_and_says_so(
    hist: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eduscore.report.history as report

    monkeypatch.setattr(report, "CHART_COUNTIES", 2)
    page = render_history_html(hist, "en")
    assert page.count("<svg") == 2 * 2  # B and A, the first counties with alerts (E has them too)
    assert "2 more counties without alerts are not listed one by one" in page
    assert f"id='c-{C}-{FW}'" not in page and f"#c-{C}-{FW}" not in page  # no link to nowhere


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_alerts_sheet_equals_the_alerts(hist: History, province: Any, tmp_path: Path, lang: str) -> None:
    path = write_history_xlsx(hist, tmp_path, lang)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        sheet_name(k, lang)
        for k in ("history_counties", "history_verdicts", "history_cv", "history_changes", "history_alerts")
    ]
    rows = list(book[sheet_name("history_alerts", lang)].iter_rows(values_only=True))
    assert list(rows[0]) == heads(lang, *ALERT_HEADS)
    zh = lang == "zh"
    status_of = {
        "未达标" if zh else "fail": "fail",
        "未评估" if zh else "not assessed": "not_assessed",
        "达标" if zh else "pass": "pass",
        None: None,  # no previous status: no result this year
        "": None,
    }
    got = [
        {
            "county_code": r[0],
            "certified_year": r[3],
            "year": r[4],
            "check_id": r[6],
            "name": r[8],
            "status": status_of[r[9]],
            "previous_status": status_of[r[10]],
            "value": r[11],
            "comparator": r[12],
            "threshold": r[13],
            "reason": r[14],
        }
        for r in rows[1:]
    ]
    want = [
        {
            "county_code": a["county_code"],
            "certified_year": a["certified_year"],
            "year": a["year"],
            "check_id": a["check_id"],
            "name": a["name_zh"] if zh else a["name_en"],
            "status": a["status"],
            "previous_status": a["previous_status"],
            "value": a["value"],
            "comparator": a["comparator"],
            "threshold": a["threshold"],
            "reason": a["reason_zh"] if zh else a["reason"],
        }
        for a in hist.alerts.to_pylist()
    ]
    assert got == want
    if zh:
        allowed = _ids(hist, province[0])
        found = []
        for ws in book.worksheets:
            found += english_words(ws.title, allowed)
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, str):
                        found += english_words(v, allowed)
        assert not found, found[:20]


# ---------------------------------------------------------------------------------------
# The command line


def test_cli_writes_the_files(archived: Path, tmp_path: Path) -> None:
    proc = run_cli("history", archived, "--province", "99", "--out", tmp_path, "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert "Monitoring alerts" in proc.stdout and "4 alerts in 3 counties" in proc.stdout
    assert (tmp_path / "history.html").is_file() and (tmp_path / "history.xlsx").is_file()
    proc = run_cli(
        "history", archived, "--county", A, "--out", tmp_path / "x", "--format", "html", "--lang", "zh"
    )
    assert proc.returncode == 0, proc.stderr
    assert "不再达标" in proc.stdout  # the county's change, in detail
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["history.html"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_refusals_exit_2_without_a_traceback(archived: Path, tmp_path: Path, lang: str) -> None:
    cases = [
        ((tmp_path / "nowhere",), ("没有这个归档文件夹", "no such archive folder")),
        ((tmp_path,), ("归档中没有", "holds no results")),
        ((archived, "--county", "110101"), ("没有县代码 110101", "no evaluation of county 110101")),
        ((archived, "--format", "html"), ("--format 需要", "--format needs --out")),
    ]
    for args, (zh, en) in cases:
        proc = run_cli("history", *args, "--lang", lang)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert (zh if lang == "zh" else en) in proc.stderr
        assert "Traceback" not in proc.stderr
    proc = run_cli("history", archived, "--county", A, "--province", "99", "--lang", lang)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_docstring_examples() -> None:
    import doctest

    failures, tried = doctest.testmod(history_module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_a_file_or_a_short_code_is_told_what_it_is(tmp_path: Path, archived: Path) -> None:
    """Found by the new-user walk: a file was 'no such archive folder, make one with
    --archive FILE' (which refuses a file); a five-digit code was 'no evaluation of it'."""
    afile = tmp_path / "a.txt"
    afile.write_text("x", "utf-8")
    with pytest.raises(InputError, match="a file, not an archive folder"):
        history(afile)
    with pytest.raises(InputError, match="six digits"):
        history(archived, county="99012")
