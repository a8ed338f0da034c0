"""A result in a notebook (issue #14, item 8): a short repr, an HTML view, school names
in the long table."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import eduscore
from eduscore.synthetic import national

SHOWN = eduscore.Result.REPR_COUNTIES


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**eduscore.demo_inputs())


@pytest.fixture(scope="module")
def many() -> eduscore.Result:
    data = national(0.02, seed=3)
    return eduscore.evaluate(schools=data["schools"], counties=data["counties"])


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        self._in = tag in ("td", "th")

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.rows[-1].append(data)


def test_repr_is_short_and_says_the_verdicts(many: eduscore.Result) -> None:
    text = repr(many)
    lines = text.splitlines()
    n = many.verdicts.num_rows
    assert n > SHOWN and len(lines) == SHOWN + 2
    assert len(text) < 3_000
    counts = {v: many.verdicts.column("verdict").to_pylist().count(v) for v in eduscore.result.VERDICTS}
    assert (
        f"{n:,} counties: {counts['certified']} certified, {counts['not_certified']} not certified"
        in lines[0]
    )
    first = many.verdicts.slice(0, 1).to_pylist()[0]
    assert lines[1].startswith(f"  {first['county_code']} ")
    assert f"{first['n_fail']} fail" in lines[1]
    assert f"… {n - SHOWN:,} more counties" in lines[-1]


def test_repr_html_lists_verdicts_and_what_fails(demo: eduscore.Result) -> None:
    for lang, verdict_word, fail_name in (
        ("zh", "未通过认定", "name_zh"),
        ("en", "not certified", "name_en"),
    ):
        parser = _Cells()
        parser.feed(demo._repr_html_(lang))
        header, row = parser.rows[0], parser.rows[1]
        assert len(header) == 6 and len(parser.rows) == 2
        v = demo.verdicts.to_pylist()[0]
        assert row[1] == verdict_word and row[3] == str(v["n_fail"])
        failing = [c[fail_name] for c in demo.checks.to_pylist() if c["status"] == "fail"]
        assert failing[0] in row[5]


def test_repr_html_escapes_names() -> None:
    inputs = eduscore.demo_inputs()
    counties = inputs["counties"]
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(counties) if not hasattr(counties, "column") else counties
    names = table.column(1).to_pylist()
    table = table.set_column(1, table.column_names[1], [["<b>县</b>" for _ in names]])
    result = eduscore.evaluate(schools=inputs["schools"], counties=table)
    html = result._repr_html_("zh")
    assert "<b>县</b>" not in html and "&lt;b&gt;县&lt;/b&gt;" in html


def test_section_checks_carry_the_unit_name(many: eduscore.Result, demo: eduscore.Result) -> None:
    for result, column in ((many, "school_name"), (demo, "school_name")):
        names = dict(
            zip(
                result.sections.column("unit_id").to_pylist(),
                result.sections.column(column).to_pylist(),
                strict=True,
            )
        )
        sc = result.section_checks
        assert sc.column_names.index("unit_name") == sc.column_names.index("unit_id") + 1
        got = list(zip(sc.column("unit_id").to_pylist(), sc.column("unit_name").to_pylist(), strict=True))
        assert got and all(name == names[unit] for unit, name in got)
    kg = eduscore.evaluate(**eduscore.demo_inputs(), framework="preschool-2020")
    names = dict(
        zip(
            kg.sections.column("unit_id").to_pylist(),
            kg.sections.column("kindergarten_name").to_pylist(),
            strict=True,
        )
    )
    assert all(
        names[u] == n
        for u, n in zip(
            *(kg.section_checks.column(c).to_pylist() for c in ("unit_id", "unit_name")), strict=True
        )
    )
