"""``eduscore demo --province``: the province's view in one command (issue #15 item 5).

A SYNTHETIC province (:func:`eduscore.synthetic.province`: province 99, about 100
counties, two years) is evaluated year by year and archived; then the index of the
latest year (ranked, with the monitoring alerts the archive gives), the history of both
years and an allocation of a fund at the bundled illustrative prices are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs

from eduscore.engine.evaluate import evaluate
from eduscore.planning.plan import make_plan
from eduscore.province.allocate import Allocation, Objective, allocate
from eduscore.province.history import History, alerts_for, history
from eduscore.report.allocation import write_allocation
from eduscore.report.context import RenderContext
from eduscore.report.formats import write_outputs
from eduscore.report.history import write_history
from eduscore.result import Result
from eduscore.synthetic import province

#: The fund of the demo: 2 亿元 — enough for most of the counties money can certify,
#: so that the next county and what it lacks are shown too.
DEMO_BUDGET = 2e8
#: Counties of the synthetic province.
DEMO_COUNTIES = 100


@attrs.frozen
class ProvinceDemo:
    """What ``eduscore demo --province`` made: the results by year, the history, the
    allocation and the files written."""

    results: Mapping[int, Result]
    history: History
    allocation: Allocation
    files: list[Path]


def run_province_demo(
    out: Path,
    costs: Mapping[str, float],
    lang: str = "zh",
    budget: float = DEMO_BUDGET,
    objective: Objective = "counties",
    n_counties: int = DEMO_COUNTIES,
) -> ProvinceDemo:
    """Evaluate, archive, index, history and allocation of the synthetic province into
    ``out`` (``archive/``, ``report.html`` with ``counties/``, ``report.xlsx``,
    ``history/``, ``allocation/``)."""
    data = province(n_counties)
    years = sorted(data)
    archive = out / "archive"
    results = {}
    for year in years:
        results[year] = evaluate(schools=data[year]["schools"], counties=data[year]["counties"])
        results[year].archive(archive)
    h = history(archive)
    latest = results[years[-1]]
    context = RenderContext(latest, lang, costs=costs, alerts=alerts_for(h, latest))
    files = list(write_outputs(context, out, ["html", "xlsx"]))
    files += write_history(h, out / "history", ("html", "xlsx"), lang)
    # As the command line's allocate does: every county called fundable is re-evaluated
    # with its plan applied (all counties at once) before the fund is shared out.
    plan = make_plan(latest, costs)
    latest_data = data[years[-1]]
    planned = evaluate(schools=latest_data["schools"], counties=latest_data["counties"], adjust=plan.adjust())
    a = allocate(latest, budget, costs, objective, after=planned, plans=[plan])
    files += write_allocation(a, out / "allocation", lang)
    return ProvinceDemo(results=results, history=h, allocation=a, files=files)
