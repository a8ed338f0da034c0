"""The HTML report of many counties (issue #12): an index of every county, sortable, and
one page per county. Each is checked against a plain per-county filter of the result."""

from __future__ import annotations

import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eduscore
from eduscore.inputs.validate import FINDING_SCHEMA
from eduscore.report import html
from eduscore.report.context import RenderContext
from eduscore.report.formats import write_outputs
from eduscore.report.view import VERDICT
from eduscore.synthetic import national

PRICES = {
    name: 10.0
    for name in (
        "sports_area_m2",
        "equipment_value_cny",
        "teaching_aux_area_m2",
        "teachers_above_degree",
        "backbone_teachers",
        "pe_arts_teachers",
        "multimedia_classrooms",
        "music_rooms",
        "art_rooms",
        "music_room_min_area_m2",
        "art_room_min_area_m2",
    )
}


def whole_plan_cost(plan: Any, code: str) -> tuple[float, set[str]]:
    """Every addition the plan makes to a county's schools times its price, by a loop; and
    the additions that have no price (the training budget's share)."""
    total, unpriced = 0.0, set()
    for r in plan.schools.to_pylist():
        if r["county_code"] == code and (r["addition"] or 0) > 0:
            price = PRICES.get(re.sub(r"_(primary|junior|senior)$", "", r["column"]))
            if price is None:
                unpriced.add(r["column"])
            else:
                total += r["addition"] * price
    return total, unpriced


class Cells(HTMLParser):
    """The header and rows of ``table.counties``: each cell's text, attributes and link."""

    def __init__(self) -> None:
        super().__init__()
        self.heads: list[dict[str, Any]] = []
        self.rows: list[list[dict[str, Any]]] = []
        self._inside = False
        self._cell: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and "counties" in (a.get("class") or ""):
            self._inside = True
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag in ("td", "th"):
            self._cell = {"text": "", "attrs": a, "href": None}
            (self.heads if tag == "th" else self.rows[-1]).append(self._cell)
        elif self._cell is not None and tag == "a":
            self._cell["href"] = a.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data


def index_of(page: str) -> tuple[list[str], list[dict[str, dict[str, Any]]]]:
    parsed = Cells()
    parsed.feed(page)
    heads = [h["text"] for h in parsed.heads]
    rows = [dict(zip(heads, r, strict=True)) for r in parsed.rows if r]
    return heads, rows


@pytest.fixture(scope="module")
def many() -> eduscore.Result:
    data = national(0.01, seed=3)  # about 28 counties
    return eduscore.evaluate(schools=data["schools"], counties=data["counties"])


@pytest.fixture(scope="module", params=["zh", "en"])
def written(
    request: pytest.FixtureRequest, many: eduscore.Result, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp(f"html-{request.param}")
    paths = write_outputs(RenderContext(many, request.param), out, ["html"])
    assert paths == [out / "report.html"]
    return out


def _lang(out: Path) -> str:
    return "zh" if 'lang="zh-CN"' in (out / "report.html").read_text("utf-8")[:200] else "en"


def test_the_index_lists_every_county_once_with_its_verdict(many: eduscore.Result, written: Path) -> None:
    lang = _lang(written)
    heads, rows = index_of((written / "report.html").read_text("utf-8"))
    code, verdict = heads[0], heads[2]
    expected = {v["county_code"]: v for v in many.verdicts.to_pylist()}
    assert len(expected) > 20
    listed = [r[code]["text"] for r in rows]
    assert sorted(listed) == sorted(expected)  # every county, exactly once
    for row in rows:
        v = expected[row[code]["text"]]
        assert row[verdict]["text"] == VERDICT[lang][v["verdict"]]
        fail, unassessed = (row[h]["text"] for h in heads[3:5])
        assert (int(fail), int(unassessed)) == (v["n_fail"], v["n_not_assessed"])


def test_every_link_resolves_and_every_page_is_linked(written: Path) -> None:
    _, rows = index_of((written / "report.html").read_text("utf-8"))
    links = [r[next(iter(r))]["href"] for r in rows]
    assert all(link and (written / link).is_file() for link in links)
    assert {str(p.relative_to(written)) for p in (written / html.COUNTY_FOLDER).iterdir()} == set(links)
    for link in links[:3]:
        assert 'href="../report.html"' in (written / link).read_text("utf-8")


def test_each_page_holds_its_county_and_no_other(many: eduscore.Result, written: Path) -> None:
    """The failing checks of the county, the names of its schools — and no school of
    another county (the synthetic names are 合成学校<n>, unique in the nation)."""
    _, rows = index_of((written / "report.html").read_text("utf-8"))
    checks, sections, excluded = many.checks, many.sections, many.excluded
    named = 0
    for row in rows:
        cell = next(iter(row.values()))
        code, page = cell["text"], (written / cell["href"]).read_text("utf-8")
        mine = checks.filter(pc.equal(checks.column("county_code"), code))
        failing = mine.filter(pc.is_in(mine.column("status"), pa.array(["fail", "basic_pass"])))
        for check_id in failing.column("check_id").to_pylist():
            assert f"<code>{check_id}</code>" in page
        own = {
            name
            for t in (sections, excluded)
            for name in t.filter(pc.equal(t.column("county_code"), code)).column("school_name").to_pylist()
        }
        shown = set(re.findall(r"合成学校\d+", page))
        assert shown <= own, code
        named += bool(shown)
        assert page.count('<section class="county"') == 1 and f'id="c{code}"' in page
    assert named > len(rows) / 2  # most counties have schools


def test_the_index_figures_equal_a_filter_of_the_result(many: eduscore.Result, tmp_path: Path) -> None:
    """CV / limit per level, plan cost and the nearest risk, against plain filters."""
    context = RenderContext(many, "en", costs=PRICES)
    write_outputs(context, tmp_path, ["html"])
    heads, rows = index_of((tmp_path / "report.html").read_text("utf-8"))
    a = context.analyses()
    assert a.plan is not None
    margins, disp = a.margins, many.dispersion
    levels = {h: h.split(" · ")[1] for h in heads if h.startswith("CV / limit")}
    assert set(levels.values()) == {"primary", "junior"}
    for row in rows:
        code = row["Code"]["text"]
        for head, level in levels.items():
            d = disp.filter(
                pc.and_(pc.equal(disp.column("county_code"), code), pc.equal(disp.column("level"), level))
            ).to_pylist()
            ratios = [
                r["cv"] / r["limit"]
                for r in d
                if r["status"] != "info" and r["cv"] is not None and r["limit"]
            ]
            got = row[head]["attrs"]["data-v"]
            assert (float(got) if got else None) == (max(ratios) if ratios else None)
        cost, unpriced = whole_plan_cost(a.plan, code)
        cell = row["Plan cost"]
        assert float(cell["attrs"]["data-v"] or 0) == pytest.approx(cost)
        assert cell["text"].endswith("*") == bool(unpriced)
        assert all(name in cell["attrs"].get("title", "") for name in unpriced)
        m = margins.filter(
            pc.and_(
                pc.equal(margins.column("county_code"), code),
                pc.is_in(margins.column("status"), pa.array(["pass", "fail"])),
            )
        ).to_pylist()
        worst: dict[str, tuple[float, bool]] = {}  # per check: its worst section's margin, passing?
        for r in m:
            x = r["relative_margin"]
            if x is not None and math.isfinite(x):
                worst[r["check_id"]] = min(
                    worst.get(r["check_id"], (math.inf, True)), (x, r["status"] != "fail")
                )
        # failing checks first (nearest to passing), then passing ones (nearest to failing)
        near = sorted((passing, abs(x), x) for x, passing in worst.values())
        cell = row["Nearest to flipping"]
        got = cell["attrs"]["data-v"]
        assert (float(got) if got else None) == (near[0][2] if near else None)
        assert cell["text"].count("·") == min(3, len(near))
        shorts = sum(not passing for passing, _, _ in near[:3])
        assert cell["text"].count("short ") == shorts


def test_the_index_ranks_counties_by_their_distance_from_certification(
    many: eduscore.Result, tmp_path: Path
) -> None:
    """Certified first, then not certified by failing checks and plan cost (ranked 1, 2, …),
    then incomplete (not ranked) — checked against the verdicts and plan totals."""
    context = RenderContext(many, "en", costs=PRICES)
    write_outputs(context, tmp_path, ["html"])
    _, rows = index_of((tmp_path / "report.html").read_text("utf-8"))
    a = context.analyses()
    assert a.plan is not None
    verdicts = {r["county_code"]: r for r in many.verdicts.to_pylist()}
    seen = []
    for row in rows:
        v = verdicts[row["Code"]["text"]]
        group = {"certified": 0, "not_certified": 1}.get(v["verdict"], 2)
        cost, _ = whole_plan_cost(a.plan, v["county_code"])
        seen.append((group, v["n_fail"] if group == 1 else 0, cost if group == 1 else 0.0))
        rank = row["Rank to certification"]["text"]
        assert (rank != "—") == (group == 1)
    assert seen == sorted(seen)
    ranks = [
        int(r["Rank to certification"]["text"]) for r in rows if r["Rank to certification"]["text"] != "—"
    ]
    assert ranks == list(range(1, len(ranks) + 1))
    assert {g for g, _, _ in seen} >= {1}


def test_without_prices_there_is_no_cost_column(written: Path) -> None:
    heads, _ = index_of((written / "report.html").read_text("utf-8"))
    assert not {"Plan cost", "方案成本"} & set(heads)


def test_one_county_keeps_the_single_page(tmp_path: Path) -> None:
    result = eduscore.evaluate(**eduscore.demo_inputs())
    for lang in ("zh", "en"):
        context = RenderContext(result, lang)  # one analysis: ties among the nearest risks come in any order
        write_outputs(context, tmp_path / lang, ["html"])
        assert (tmp_path / lang / "report.html").read_text("utf-8") == html.render_html(context)
        assert not (tmp_path / lang / html.COUNTY_FOLDER).exists()
        assert "<script" not in (tmp_path / lang / "report.html").read_text("utf-8")


def test_the_index_shows_the_first_findings_and_says_where_the_rest_are(
    many: eduscore.Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings = pa.table(
        {
            name: pa.array(
                [
                    {"row": i, "severity": "warning", "rejects_row": False}.get(name, f"v{i}")
                    for i in range(5)
                ],
                field.type,
            )
            for name, field in zip(FINDING_SCHEMA.names, FINDING_SCHEMA, strict=True)
        },
        schema=FINDING_SCHEMA,
    )
    monkeypatch.setattr(html, "MAX_FINDINGS", 3)
    write_outputs(attrs.evolve(many, findings=findings), tmp_path, ["html"], "en")
    index = (tmp_path / "report.html").read_text("utf-8")
    assert "<td>v2</td>" in index and "<td>v3</td>" not in index and "The first 3 of 5" in index
    page = next((tmp_path / html.COUNTY_FOLDER).iterdir()).read_text("utf-8")
    assert "<td>v0</td>" not in page and "on the index page" in page


@given(
    st.lists(st.tuples(st.text(max_size=12), st.sampled_from([None, 2023, 2024])), unique=True, max_size=30)
)
def test_page_names_are_safe_and_distinct(keys: list[tuple[str, int | None]]) -> None:
    names = html.page_names(keys)
    assert set(names) == set(keys)
    assert len({n.lower() for n in names.values()}) == len(keys)  # also on a case-blind disk
    for name in names.values():
        assert re.fullmatch(r"counties/[0-9A-Za-z][0-9A-Za-z_-]*\.html", name), name
        assert name.split("/")[1].split(".")[0].lower() not in {"con", "nul", "aux", "prn"}


def test_page_names_keep_plain_codes() -> None:
    assert html.page_names([("110101", 2024), ("110102", 2024)]) == {
        ("110101", 2024): "counties/110101.html",
        ("110102", 2024): "counties/110102.html",
    }
    assert html.page_names([("110101", 2023), ("110101", 2024), ("../etc", None)]) == {
        ("110101", 2023): "counties/110101-2023.html",
        ("110101", 2024): "counties/110101-2024.html",
        ("../etc", None): "counties/county-3.html",
    }


def _browser() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.mark.skipif(
    _browser() is None, reason="Chromium and chromedriver are not installed (.ci/run installs them)"
)
def test_clicking_a_header_sorts_the_counties(many: eduscore.Result, tmp_path: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    browser, driver_path = _browser()  # type: ignore[misc]
    write_outputs(many, tmp_path, ["html"], "en")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get((tmp_path / "report.html").as_uri())

        def column(i: int) -> list[str]:
            return [
                r.find_elements(By.TAG_NAME, "td")[i].text
                for r in driver.find_elements(By.CSS_SELECTOR, "table.counties tbody tr")
            ]

        heads = driver.find_elements(By.CSS_SELECTOR, "table.counties th")
        names = [h.text for h in heads]
        fail = names.index("fail")
        heads[fail].click()
        counts = [int(x) for x in column(fail)]
        assert counts == sorted(counts) and len(counts) == many.verdicts.num_rows
        heads[fail].click()
        assert [int(x) for x in column(fail)] == sorted(counts, reverse=True)
        heads[0].click()
        assert column(0) == sorted(many.verdicts.column("county_code").to_pylist())
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
    finally:
        driver.quit()
