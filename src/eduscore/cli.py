"""The ``eduscore`` command line.

    eduscore demo                       the bundled SYNTHETIC demo county → terminal, HTML, XLSX
    eduscore evaluate FILES…            your CSV / Excel / Parquet files → reports
    eduscore template -o 模板.xlsx      an input workbook to fill in
    eduscore frameworks                 the frameworks known (built-in and plugins)
    eduscore show FRAMEWORK             indicators, thresholds and rules (after a county's overlays)
    eduscore explain CHECK --county C   how one number of a result was derived
    eduscore plugins                    plugins with version, jurisdictions and frameworks

Exit status: 0 when the command ran; 2 for bad input (a message saying what to fix,
never a traceback); 3 with ``--fail-on-not-certified`` when a county is not certified;
70 for an internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .demo import demo_inputs
from .errors import EduscoreError, InputError
from .evaluate import evaluate
from .framework import builtin_ids, load_framework
from .plugins import get_registry
from .read import load_files
from .result import Result

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NOT_CERTIFIED = 3
EXIT_INTERNAL = 70
DEFAULT_FORMATS = ("json", "html", "xlsx")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="eduscore",
        description="Evaluate counties against the MOE supervision-evaluation frameworks (督导评估).",
    )
    p.add_argument("--version", action="version", version=f"eduscore {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", required=True)

    def scoring(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--framework",
            "-f",
            default="quality-balance-2017",
            help="framework id or path to a framework JSON (default: quality-balance-2017)",
        )
        sp.add_argument("--year", type=int, help="year for rows that carry none")
        sp.add_argument(
            "--relax",
            action="append",
            default=[],
            metavar="ID",
            help="enable a named relaxation of the framework (repeatable)",
        )
        sp.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="ID",
            help="enable a named preparation option (repeatable)",
        )
        sp.add_argument(
            "--lang", choices=("zh", "en"), default="zh", help="language of the reports (default zh)"
        )

    def outputs(sp: argparse.ArgumentParser, default_out: str | None) -> None:
        sp.add_argument(
            "--out",
            "-o",
            type=Path,
            default=Path(default_out) if default_out else None,
            help="folder for the reports" + (f" (default {default_out})" if default_out else ""),
        )
        sp.add_argument(
            "--format",
            action="append",
            default=None,
            metavar="NAME",
            help="report format (repeatable): json, html, xlsx, md, csv, parquet, or a plugin's; "
            f"default {', '.join(DEFAULT_FORMATS)}",
        )
        sp.add_argument("--json", type=Path, help="also write the result as JSON to this file")
        sp.add_argument(
            "--fail-on-not-certified",
            action="store_true",
            help=f"exit with status {EXIT_NOT_CERTIFIED} if any county is not certified (for pipelines)",
        )
        sp.add_argument("--quiet", "-q", action="store_true", help="no terminal report")

    def inputs(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "files",
            nargs="*",
            type=Path,
            help="input files: workbooks (.xlsx/.xls, sheets 学校/县/幼儿园) or CSV/Parquet/Feather "
            "named after their table (schools.csv, 学校.csv, …)",
        )
        sp.add_argument("--schools", type=Path, help="schools (wide) or school sections (long)")
        sp.add_argument("--counties", type=Path, help="county facts")
        sp.add_argument("--kindergartens", type=Path, help="kindergartens (preschool-2020)")
        sp.add_argument(
            "--county",
            metavar="CODE",
            help="evaluate only counties whose code starts with CODE; fills the code where the data "
            "have no 县区代码 column",
        )

    demo = sub.add_parser("demo", help="evaluate the bundled SYNTHETIC demo county")
    scoring(demo)
    outputs(demo, "eduscore-demo")
    ev = sub.add_parser("evaluate", help="evaluate counties from your files")
    inputs(ev)
    scoring(ev)
    outputs(ev, None)
    tpl = sub.add_parser(
        "template", help="write an input workbook (Chinese headers, checked lists, instructions)"
    )
    tpl.add_argument("--framework", "-f", default="quality-balance-2017")
    tpl.add_argument("--out", "-o", type=Path, default=Path("eduscore-template.xlsx"))
    tpl.add_argument("--county", metavar="CODE", help="include the columns this county's rule sets need")
    tpl.add_argument("--year", type=int)
    sub.add_parser("frameworks", help="list the frameworks (built-in and from plugins)")
    show = sub.add_parser("show", help="show a framework's indicators, thresholds and rules")
    show.add_argument("framework")
    show.add_argument("--county", metavar="CODE", help="after the overlays that apply to this county")
    show.add_argument("--year", type=int)
    show.add_argument("--lang", choices=("zh", "en"), default="zh")
    ex = sub.add_parser("explain", help="show how a number of the result was derived")
    ex.add_argument("check", help="check id, e.g. cv.sports_area_per_student.primary or school_six_of_seven")
    inputs(ex)
    scoring(ex)
    ex.add_argument("--demo", action="store_true", help="explain a number of the demo county's result")
    ex.add_argument("--school", metavar="ID", help="for a school rule: this school (id or section id)")
    sub.add_parser("plugins", help="list plugins: version, jurisdictions, frameworks; refused ones with why")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except EduscoreError as exc:
        print(f"eduscore: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except Exception as exc:  # a bug, not bad input: say so plainly
        if args.debug:
            traceback.print_exc()
        print(
            f"eduscore: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in eduscore, not in your data; please report it (run with --debug for details).",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _run(args: argparse.Namespace) -> int:
    if args.command == "plugins":
        print_plugins()
        return EXIT_OK
    if args.command == "frameworks":
        for fid in builtin_ids():
            fw = load_framework(fid)
            print(f"{fw.id:24} v{fw.version}  {fw.document['number']}  {fw.name.zh} / {fw.name.en}")
        return EXIT_OK
    if args.command == "show":
        from .report.show import print_framework

        print_framework(args.framework, county=args.county, year=args.year, lang=args.lang)
        return EXIT_OK
    if args.command == "template":
        from .report.template import write_template

        path = write_template(args.out, args.framework, county=args.county, year=args.year)
        print(f"Wrote {path}: fill in the sheets and run  eduscore evaluate {path}")
        return EXIT_OK
    result = _evaluate(args)
    if args.command == "explain":
        from .report.explain import explain

        print(
            explain(
                result, args.check, county=args.county, year=args.year, school=args.school, lang=args.lang
            )
        )
        return EXIT_OK
    if not args.quiet:
        from .report.terminal import print_report

        print_report(result, lang=args.lang)
    if args.out is not None:
        formats = args.format or DEFAULT_FORMATS
        written = write_outputs(result, args.out, formats, args.lang)
        print()
        for fmt, path in zip(formats, written, strict=True):
            print(f"Wrote {fmt}: {path}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(result.to_json(), encoding="utf-8")
        print(f"Wrote {args.json}")
    if args.fail_on_not_certified and set(result.verdicts.column("verdict").to_pylist()) - {"certified"}:
        return EXIT_NOT_CERTIFIED
    return EXIT_OK


def _evaluate(args: argparse.Namespace) -> Result:
    given: dict[str, Any]
    if args.command == "demo" or getattr(args, "demo", False):
        if args.command == "demo":
            print("Demo data: a SYNTHETIC county (示例县, code 990101), invented for illustration.\n")
        given = dict(demo_inputs())
        county = None
    else:
        given = dict(load_files(list(args.files)))
        for role in ("schools", "counties", "kindergartens"):
            path = getattr(args, role)
            if path is not None:
                if role in given:
                    raise InputError(f"two {role} tables given: {given[role].source} and {path}")
                given[role] = path
        if not given:
            raise InputError(
                "no input files: give workbooks or CSV/Parquet files (see eduscore evaluate --help)"
            )
        county = args.county
    return evaluate(
        **given,
        framework=args.framework,
        year=args.year,
        relaxations=args.relax,
        options={o: True for o in args.option},
        county=county,
    )


def write_outputs(
    result: Result, out: Path, formats: Sequence[str] = ("json", "csv", "parquet"), lang: str = "zh"
) -> list[Path]:
    """Write the result with the named renderers (built-in or from plugins)."""
    renderers = get_registry().renderers()
    unknown = [f for f in formats if f not in renderers]
    if unknown:
        raise InputError(f"unknown output format(s) {', '.join(unknown)}; known: {', '.join(renderers)}")
    return [renderers[f].function(result, out, lang) for f in formats]


def print_plugins() -> None:
    for info in get_registry().plugins():
        print(f"{info.name} {info.version}  [{info.status}]" + (f"  {info.reason}" if info.reason else ""))
        if info.frameworks:
            print(f"    frameworks: {', '.join(info.frameworks)}")
        if info.jurisdictions:
            print(f"    jurisdictions: {', '.join(info.jurisdictions)}")
        for rs in info.rule_sets:
            print(f"    rule set: {rs}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
