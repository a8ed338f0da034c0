"""``eduscore demo --province`` (issue #15 item 5): the province's view in one command,
run as a new user would, and its files read back against what they must say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import eduscore
from eduscore import archive
from eduscore.synthetic import province
from helpers import run_cli
from test_chinese_only import _visible_html, english_words


@pytest.fixture(scope="module", params=["zh", "en"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    out = tmp_path_factory.mktemp(f"province-{request.param}") / "省"
    run = run_cli("demo", "--province", "--out", out, "--lang", request.param)
    assert run.returncode == 0, run.stderr
    return request.param, out, run.stdout


def test_the_demo_writes_the_index_history_allocation_and_archive(demo: tuple[str, Path, str]) -> None:
    _, out, stdout = demo
    for name in ("report.html", "report.xlsx", "history/history.html", "history/history.xlsx"):
        assert (out / name).is_file(), name
    assert (out / "allocation" / "allocation.json").is_file()
    assert len(list((out / "counties").glob("*.html"))) == 100
    assert "SYNTHETIC" in stdout
    # The archive holds both years, once each.
    v = archive.read(out / "archive", "verdicts")
    assert sorted(set(v.column("year").to_pylist())) == [2023, 2024]
    assert v.num_rows == 200


def test_the_index_alerts_are_the_counties_that_slipped(demo: tuple[str, Path, str]) -> None:
    """Derived from the synthetic province directly: the counties certified in 2023 that
    are not in 2024 are exactly the index's alerts, and the history's."""
    _, out, _ = demo
    data = province(100)
    v = {
        y: eduscore.evaluate(schools=data[y]["schools"], counties=data[y]["counties"]).verdicts for y in data
    }
    before = {r["county_code"] for r in v[2023].to_pylist() if r["verdict"] == "certified"}
    after = {r["county_code"]: r["verdict"] for r in v[2024].to_pylist()}
    slipped = {c for c in before if after[c] != "certified"}
    assert slipped
    page = (out / "report.html").read_text("utf-8")
    start = page.index("<table class='alerts'>")
    section = page[start : page.index("</table>", start)]
    assert set(re.findall(r"counties/(\d+)\.html", section)) == slipped
    history = eduscore.history(out / "archive")
    assert set(history.alerts.column("county_code").to_pylist()) == slipped


def test_the_allocation_funds_the_cheapest_fundable_counties(demo: tuple[str, Path, str]) -> None:
    lang, out, stdout = demo
    got = json.loads((out / "allocation" / "allocation.json").read_text("utf-8"))
    text = json.dumps(got, ensure_ascii=False)
    assert "997" in text
    funded = got["funded"] if isinstance(got.get("funded"), list) else None
    assert funded, sorted(got)
    costs = [row["cost_yuan"] for row in funded]
    assert sum(costs) <= 2e8 and costs == sorted(costs)  # cheapest first, within the fund
    nxt = got.get("next_county")
    assert nxt and nxt["cost_yuan"] > 2e8 - sum(costs)  # the next one does not fit
    assert ("下一个可资助的县" if lang == "zh" else "next") in stdout.lower() or "下一个" in stdout


def test_the_chinese_demo_speaks_chinese(demo: tuple[str, Path, str]) -> None:
    lang, out, stdout = demo
    if lang != "zh":
        pytest.skip("the Chinese run only")
    allowed = {"SYNTHETIC"}
    for page in (out / "report.html", out / "history" / "history.html"):
        text = _visible_html(page.read_text("utf-8")).replace(str(out / "archive"), " ")  # a path is data
        words = [w for w in english_words(text, allowed) if not re.search(r"'\d", w)]
        assert not words, f"{page.name}:\n" + "\n".join(words[:20])
    prose = re.sub(r"/\S+", " ", stdout)  # paths
    words = english_words(prose, allowed | {"prices.csv", "demo"})
    assert not words, "\n".join(words[:20])


def test_the_index_costs_what_the_allocation_costs(demo: tuple[str, Path, str]) -> None:
    """Found by the attack campaign: the index's plan cost left out the special rooms and
    their areas that the allocation charges for. Every fundable county now costs the same
    in both."""
    from test_html_index import index_of

    lang, out, _ = demo
    _, rows = index_of((out / "report.html").read_text("utf-8"))
    head = "方案成本" if lang == "zh" else "Plan cost"
    code = "代码" if lang == "zh" else "Code"
    index = {r[code]["text"]: r[head]["attrs"]["data-v"] for r in rows}
    got = json.loads((out / "allocation" / "allocation.json").read_text("utf-8"))
    fundable = [c for c in got["candidates"] if c["fundable"]]
    assert len(fundable) > 10
    for c in fundable:
        assert float(index[c["county_code"]]) == pytest.approx(c["cost_yuan"], rel=1e-9), c["county_code"]
