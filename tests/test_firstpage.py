"""The first page an inspector signs off (issue #14 item 4): its tables are checked
against a slow count over the result's own rows, on the demo and on a synthetic sample
of many counties; the page comes first in every report."""

from __future__ import annotations

import io
import math
from collections import Counter
from typing import Any

import pyarrow.csv as pv
import pytest

import eduscore
from eduscore.report.context import RenderContext
from eduscore.report.firstpage import FirstPages
from eduscore.report.html import render_html
from eduscore.report.markdown import cell, render_markdown
from eduscore.report.planning import PlanningView
from eduscore.report.terminal import print_report
from eduscore.report.view import ReportView
from eduscore.synthetic import national


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


@pytest.fixture(scope="module")
def sample() -> eduscore.Result:
    """About 28 counties of the synthetic nation, with the installed provinces' rule sets."""
    return eduscore.evaluate(**national(0.01, seed=3))


def _slow_counts(result: eduscore.Result) -> dict[tuple[Any, ...], Counter[str]]:
    """{(county, year, level, check): Counter of section statuses}, row by row."""
    out: dict[tuple[Any, ...], Counter[str]] = {}
    for r in result.section_checks.to_pylist():
        key = (r["county_code"], r["year"], r["level"] or "", r["check_id"])
        out.setdefault(key, Counter())[r["status"]] += 1
    return out


def _check_pages(result: eduscore.Result, lang: str) -> int:
    view = ReportView(result, lang)
    pages = FirstPages(view)
    slow = _slow_counts(result)
    disp = {
        (d["county_code"], d["year"], d["level"], d["indicator"]): d for d in result.dispersion.to_pylist()
    }
    lines_checked = 0
    for county in view.counties():
        page = pages.of(county)
        # The parts add up to the verdict's counts (a relaxation is a note, not a part).
        parts = page.parts
        checks = [c for c in county.checks if c["group"] != "relaxation"]
        assert sum(p.n_checks for p in parts) == len(checks)
        assert sum(p.n_fail for p in parts) == sum(c["status"] == "fail" for c in checks)
        assert sum(p.n_pass for p in parts) == sum(c["status"] == "pass" for c in checks)
        assert sum(p.n_not_assessed for p in parts) == sum(
            c["status"] in ("not_assessed", "not_computable") for c in checks
        )
        failing = Counter((g.level or "", g.check_id) for g in county.failing)
        allowed = Counter((g.level or "", g.check_id) for g in county.allowed)
        for level in page.resources:
            for line in level.lines:
                key = (county.county_code, county.year, level.level, line.indicator)
                statuses = slow[key]
                assert line.n_meeting == statuses["pass"]
                assert line.n_schools == statuses["pass"] + statuses["fail"] + statuses["basic_pass"]
                assert line.n_unknown == statuses["not_assessed"] + statuses["not_computable"]
                # Every school below standard is either failing or allowed by six-of-seven.
                below = statuses["fail"]
                assert (
                    failing[(level.level, line.indicator)] + allowed[(level.level, line.indicator)] == below
                )
                assert line.n_allowed == allowed[(level.level, line.indicator)]
                d = disp.get(key)
                if d is not None:
                    assert line.cv == d["cv"] or (line.cv is None and d["cv"] is None) or math.isnan(d["cv"])
                    assert line.cv_status == d["status"]
                lines_checked += 1
            for name, passed, assessed, unknown in level.counted:
                rule = next(r for r in view.fw.rules if r.name.get(lang) == name)
                statuses = slow[(county.county_code, county.year, level.level, rule.id)]
                assert (passed, assessed, unknown) == (
                    statuses["pass"],
                    statuses["pass"] + statuses["fail"],
                    statuses["not_assessed"],
                )
        assert [x.name for x in page.failures] == [
            view.check_name(c) for c in county.checks if c["status"] in ("fail", "basic_pass")
        ]
        assert [x.name for x in page.missing] == [
            view.check_name(c) for c in county.checks if c["status"] in ("not_assessed", "not_computable")
        ]
    return lines_checked


def test_demo_first_page_counts_against_a_slow_count(demo: eduscore.Result) -> None:
    assert _check_pages(demo, "zh") == 14  # seven indicators, two levels
    assert _check_pages(demo, "en") == 14


def test_many_counties_first_pages_against_a_slow_count(sample: eduscore.Result) -> None:
    assert sample.verdicts.num_rows > 20
    assert _check_pages(sample, "zh") > 20 * 7


def test_demo_first_page_worked_example(demo: eduscore.Result) -> None:
    """The demo county, by hand: 10 primary sections in scope (the special school is
    outside), 6 of them meet six of seven; 2 schools are allowed one indicator each."""
    view = ReportView(demo, "zh")
    (county,) = view.counties()
    page = FirstPages(view).of(county)
    primary, junior = page.resources
    assert (primary.level, junior.level) == ("primary", "junior")
    assert primary.counted[0][1:] == (6, 10, 0)
    assert junior.counted[0][1:] == (4, 5, 0)
    assert sum(line.n_allowed for line in primary.lines) == 2
    parts = {p.name: (p.n_pass, p.n_fail, p.n_not_assessed) for p in page.parts}
    assert parts["资源配置"] == (14, 1, 0)
    assert parts["政府保障程度"] == (18, 4, 0)
    six = page.failures[0]
    assert six.name.startswith("每所学校至少6项")
    # The failing schools are named; the schools allowed one miss are not among them.
    assert "示例县北坡村小学(小学)" in six.detail
    for g in county.allowed:
        assert g.name not in six.detail or any(f.name == g.name for f in county.failing)


def test_missing_inputs_are_named_on_the_first_page() -> None:
    inputs = eduscore.demo_inputs()
    schools = pv.read_csv(inputs["schools"])
    schools = schools.drop_columns([c for c in schools.column_names if "班级数" in c])
    counties = pv.read_csv(inputs["counties"]).drop_columns(["社会认可度"])
    result = eduscore.evaluate(schools=schools, counties=counties)
    view = ReportView(result, "zh")
    (county,) = view.counties()
    page = FirstPages(view).of(county)
    missing = {x.name: x.detail for x in page.missing}
    music = missing[
        view.check_name(next(c for c in county.checks if c["check_id"] == "music_art_rooms.music_count"))
    ]
    assert "小学班级数" in music and "初中班级数" in music, music
    assert any("社会认可度" in d for d in missing.values())
    html = render_html(result, "zh")
    assert "未评估项目(需补充的数据)" in html
    assert "小学班级数" in html


def test_first_page_leads_every_report(demo: eduscore.Result) -> None:
    context = RenderContext(demo, "zh")
    html = render_html(context)
    summary, details = html.index("评估结论</h3>"), html.index("详细情况</h2>")
    assert summary < html.index("资源配置情况 · 小学") < html.index("未达标项目") < details
    assert details < html.index("未达标学校")
    # The plan's totals are on the first page.
    view = ReportView(demo, "zh")
    page = FirstPages(view, PlanningView(context.analyses(), view)).of(next(view.counties()))
    assert page.plan and all("+" in line for line in page.plan)
    assert page.plan[0] in html
    md = render_markdown(demo, "en")
    assert md.index("### Summary") < md.index("#### Resource allocation · primary") < md.index("### Details")
    out = io.StringIO()
    print_report(demo, lang="zh", file=out)
    text = out.getvalue()
    assert "评估结论" in text and "资源配置情况 · 小学" in text and "6/10 所" in text


def test_reasons_of_no_single_check_reach_the_first_page() -> None:
    """A verdict can give a reason that belongs to no check — Gansu's all-or-nothing
    rule: a county whose neighbour in the same city is not certified is not certified
    either: it must stand on the first page of every report, not vanish. (Liaoning's 36
    graded items gave one too until they became a check of the Liaoning plugin's kind.)"""
    pytest.importorskip("eduscore_gansu")
    import pyarrow as pa

    import passing

    kg = pa.Table.from_pylist(passing.kindergartens("620102") + passing.kindergartens("620103"))
    counties = pa.Table.from_pylist(
        [passing.county("620102"), {**passing.county("620103"), "population_3_5": 9000}]
    )
    result = eduscore.evaluate(kindergartens=kg, counties=counties, framework="preschool-2020")
    view = ReportView(result, "zh")
    county = next(c for c in view.counties() if c.county_code == "620102")
    notes = FirstPages(view).of(county).notes
    assert notes and all(n in county.reasons for n in notes)
    html, md = render_html(result, "zh"), render_markdown(result, "zh")
    out = io.StringIO()
    print_report(result, lang="zh", file=out)
    for note in notes:
        assert note in html and cell(note) in md  # the Markdown escapes the id's underscores
        assert note[:20] in out.getvalue()
