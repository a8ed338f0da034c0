"""Reports that scale with the number of counties (issue #12): each result table is
grouped by county once, and the fast groupings equal a plain per-county filter."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eduscore
from eduscore.report.view import ReportView
from eduscore.result import FULL_VALIDATION_ROWS, _sample
from eduscore.synthetic import national


@pytest.fixture(scope="module")
def many() -> eduscore.Result:
    data = national(0.01, seed=3)  # about 28 counties
    return eduscore.evaluate(schools=data["schools"], counties=data["counties"])


def test_grouped_sections_and_ratios_equal_a_filter_per_county(many: eduscore.Result) -> None:
    view = ReportView(many, "zh")
    sections, sc = many.sections, many.section_checks
    assert many.verdicts.num_rows > 20
    for v in many.verdicts.to_pylist():
        code, year = v["county_code"], v["year"]
        mine = sections.filter(
            pc.and_(pc.equal(sections.column("county_code"), code), sections.column("in_scope"))
        )
        assert [r["unit_id"] for r in view.sections_of(code, year)] == mine.column("unit_id").to_pylist()
        ind = sc.filter(
            pc.and_(pc.equal(sc.column("county_code"), code), pc.equal(sc.column("kind"), "indicator"))
        )
        expected = {
            (u, c): r
            for u, c, r in zip(
                *(ind.column(n).to_pylist() for n in ("unit_id", "check_id", "ratio")), strict=True
            )
        }
        assert view.indicator_ratios_of(code, year) == expected


def test_every_county_gets_its_own_checks_in_the_view(many: eduscore.Result) -> None:
    view = ReportView(many, "en")
    checks = many.checks
    for county in view.counties():
        mine = checks.filter(pc.equal(checks.column("county_code"), county.county_code))
        assert sorted(c["check_id"] for c in county.checks) == sorted(mine.column("check_id").to_pylist())


@given(st.integers(0, 40_000))
def test_large_tables_are_validated_on_a_sample_holding_both_ends(n: int) -> None:
    rows = list(range(n))
    sample = _sample(rows)
    if n <= FULL_VALIDATION_ROWS:
        assert sample == rows
    else:
        assert sample[:1000] == rows[:1000] and sample[-1000:] == rows[-1000:]
        assert sample == sorted(set(sample)) and len(sample) <= 3_334


def test_a_bad_record_fails_validation(many: eduscore.Result) -> None:
    import attrs
    import pyarrow as pa

    bad = many.verdicts.set_column(
        many.verdicts.column_names.index("verdict"), "verdict", pa.array(["maybe"] * many.verdicts.num_rows)
    )
    with pytest.raises(Exception, match="maybe"):
        attrs.evolve(many, verdicts=bad).to_json()


def test_the_terminal_shows_every_county_in_one_table_and_the_worst_in_detail(many: eduscore.Result) -> None:
    import io

    from eduscore.report.terminal import MANY_COUNTIES, print_report

    out = io.StringIO()
    print_report(many, lang="en", file=out, details=2)
    text = out.getvalue()
    codes = many.verdicts.column("county_code").to_pylist()
    assert len(codes) > MANY_COUNTIES
    assert all(code in text for code in codes)  # the county table names every county
    assert "every county in full is in the report files" in " ".join(text.split())
    # Details (the failing-checks tables) only for the two worst counties.
    assert text.count("Checks — fail") == 2
    lines = text.count("\n")
    assert lines < 6 * len(codes) + 500, lines  # before: about 115 lines per county
