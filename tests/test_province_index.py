"""The province's index (issue #15 item 3): monitoring alerts from earlier years, checked
against the synthetic province's slipping counties, and the three checks nearest to
flipping against a slow reference over every margin."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import eduscore
from eduscore.planning.margins import flips, margins
from eduscore.province.history import alerts_for, history
from eduscore.report.context import RenderContext
from eduscore.report.formats import write_outputs
from eduscore.synthetic import province


@pytest.fixture(scope="module")
def two_years() -> dict[int, eduscore.Result]:
    data = province(60, seed=4)
    return {year: eduscore.evaluate(**tables) for year, tables in data.items()}


def test_the_index_names_every_certified_county_that_slipped(
    two_years: dict[int, eduscore.Result], tmp_path: Path
) -> None:
    """Alerts in the index = the counties certified in 2023 with a check failing or not
    assessed in 2024, derived here from the two results' verdicts and checks directly."""
    before, after = two_years[2023], two_years[2024]
    certified = {r["county_code"] for r in before.verdicts.to_pylist() if r["verdict"] == "certified"}
    open_now = {
        (c["county_code"], c["check_id"])
        for c in after.checks.to_pylist()
        if c["county_code"] in certified and c["status"] in ("fail", "not_assessed", "not_computable")
    }
    assert open_now  # the province makes some slip
    alerts = alerts_for(history([before, after]), after)
    assert {(a["county_code"], a["check_id"]) for a in alerts.to_pylist()} == open_now
    assert set(alerts.column("certified_year").to_pylist()) == {2023}
    for lang, word in (("zh", "监测预警"), ("en", "Monitoring alerts")):
        write_outputs(RenderContext(after, lang, alerts=alerts), tmp_path / lang, ["html"])
        page = (tmp_path / lang / "report.html").read_text("utf-8")
        assert word in page
        section = page[
            page.index("<table class='alerts'>") : page.index(
                "</table>", page.index("<table class='alerts'>")
            )
        ]
        listed = set(re.findall(r"<code>([^<]+)</code>", section))
        assert listed == {check for _, check in open_now}
        codes = set(re.findall(r"counties/(\d+)\.html", section))
        assert codes == {county for county, _ in open_now}


def test_without_an_archive_the_index_has_no_alerts_column(
    two_years: dict[int, eduscore.Result], tmp_path: Path
) -> None:
    write_outputs(RenderContext(two_years[2024], "en"), tmp_path, ["html"])
    page = (tmp_path / "report.html").read_text("utf-8")
    assert "Monitoring alerts" not in page and ">Alerts<" not in page


def test_an_archive_of_no_earlier_certification_says_so(
    two_years: dict[int, eduscore.Result], tmp_path: Path
) -> None:
    after = two_years[2024]
    alerts = alerts_for(history([after]), after)
    assert alerts.num_rows == 0
    write_outputs(RenderContext(after, "zh", alerts=alerts), tmp_path, ["html"])
    assert "本年没有预警" in (tmp_path / "report.html").read_text("utf-8")


def test_flips_equal_a_slow_reference_over_every_margin(two_years: dict[int, eduscore.Result]) -> None:
    """Per county: each check told by its worst row (smallest signed relative margin),
    failing checks first, then by the size of the margin — computed with plain loops."""
    result = two_years[2024]
    m = margins(result).to_pylist()
    worst: dict[tuple[str, str], tuple[float, str]] = {}
    for r in m:
        x = r["relative_margin"]
        if r["status"] in ("pass", "fail") and x is not None and math.isfinite(x):
            key = (r["county_code"], r["check_id"])
            if key not in worst or x < worst[key][0]:
                worst[key] = (x, r["status"])
    expected: dict[str, list[tuple[bool, float, str]]] = {}
    for (county, check), (x, status) in worst.items():
        expected.setdefault(county, []).append((status != "fail", abs(x), check))
    got = flips(result).to_pylist()
    by_county: dict[str, list[dict]] = {}
    for r in got:
        by_county.setdefault(r["county_code"], []).append(r)
    assert set(by_county) == set(expected)
    for county, rows in by_county.items():
        want = sorted(expected[county])[:3]
        assert [r["status"] != "fail" for r in rows] == [p for p, _, _ in want]
        assert [abs(r["relative_margin"]) for r in rows] == pytest.approx([a for _, a, _ in want])
        # the same checks, up to ties in the margin
        assert len(rows) == len(want)


def test_a_certified_county_left_out_of_a_later_year_is_an_alert_not_silence(
    two_years: dict[int, eduscore.Result], tmp_path: Path
) -> None:
    """Found by the new-user walk: a county certified in 2023 whose 2024 rows are missing
    dropped out of monitoring without a word. It is now an alert (no result this year) in
    the history, the index and the CLI's stderr."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from eduscore.province.history import NO_RESULT
    from eduscore.synthetic import province as make
    from helpers import run_cli

    before = two_years[2023]
    certified = sorted(r["county_code"] for r in before.verdicts.to_pylist() if r["verdict"] == "certified")
    gone = certified[0]
    data = make(60, seed=4)
    files = {}
    for year, tables in data.items():
        for name in ("schools", "counties"):
            t = tables[name]
            if year == 2024:
                t = t.filter(pc.not_equal(t.column("county_code"), gone))
            files[(year, name)] = tmp_path / f"{name}-{year}.parquet"
            pq.write_table(t, files[(year, name)])
    after = eduscore.evaluate(schools=files[(2024, "schools")], counties=files[(2024, "counties")])
    h = history([before, after])
    missing = [a for a in h.alerts.to_pylist() if a["check_id"] == NO_RESULT]
    assert [(a["county_code"], a["certified_year"], a["year"]) for a in missing] == [(gone, 2023, 2024)]
    assert any(a["county_code"] == gone for a in alerts_for(h, after).to_pylist())
    # Through the command line, as an inspector runs it each year.
    archive = tmp_path / "archive"
    for year in (2023, 2024):
        run = run_cli(
            "evaluate", files[(year, "schools")], files[(year, "counties")], "--archive", archive,
            "--out", tmp_path / f"out{year}", "--format", "html", "-q",
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
    assert gone in run.stderr and "监测预警" in run.stderr
    page = (tmp_path / "out2024" / "report.html").read_text("utf-8")
    start = page.index("<table class='alerts'>")
    section = page[start : page.index("</table>", start)]
    assert gone in section and "本年没有评估结果" in section
