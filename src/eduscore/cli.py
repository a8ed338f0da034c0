"""The ``eduscore`` command line: ``demo``, ``evaluate``, ``frameworks``, ``plugins``.

Exit status: 0 when the evaluation ran; 2 for bad input (the message says what to
fix, never a traceback); 3 with ``--fail-on-not-certified`` when a county is not
certified or incomplete.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .demo import demo_inputs
from .errors import EduscoreError, InputError
from .evaluate import evaluate
from .framework import builtin_ids, load_framework
from .plugins import get_registry
from .result import Result

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NOT_CERTIFIED = 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="eduscore",
        description="Evaluate counties against the MOE supervision-evaluation frameworks (督导评估).",
    )
    p.add_argument("--version", action="version", version=f"eduscore {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
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
            help="enable a named preparation option of the framework (repeatable)",
        )
        sp.add_argument("--lang", choices=("zh", "en"), default="en", help="language of the summary")
        sp.add_argument(
            "--out", type=Path, help="folder to write result.json and the tables (CSV and Parquet)"
        )
        sp.add_argument("--json", type=Path, help="write the result as JSON to this file")
        sp.add_argument(
            "--format",
            action="append",
            default=None,
            metavar="NAME",
            help="output format for --out (repeatable; default json, csv, parquet; plugins add more)",
        )
        sp.add_argument(
            "--fail-on-not-certified",
            action="store_true",
            help=f"exit with status {EXIT_NOT_CERTIFIED} if any county is not certified",
        )

    demo = sub.add_parser("demo", help="evaluate the bundled SYNTHETIC demo county")
    common(demo)
    demo.set_defaults(out=None)
    ev = sub.add_parser("evaluate", help="evaluate counties from your files")
    ev.add_argument(
        "--schools", type=Path, help="schools (wide) or school sections (long): CSV, Parquet, Feather"
    )
    ev.add_argument("--counties", type=Path, help="county facts: CSV, Parquet, Feather")
    ev.add_argument(
        "--kindergartens", type=Path, help="kindergartens (preschool-2020): CSV, Parquet, Feather"
    )
    common(ev)
    sub.add_parser("frameworks", help="list the frameworks (built-in and from plugins)")
    sub.add_parser("plugins", help="list plugins: version, jurisdictions, frameworks; refused ones with why")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plugins":
            print_plugins()
            return EXIT_OK
        if args.command == "frameworks":
            for fid in builtin_ids():
                fw = load_framework(fid)
                print(f"{fw.id:24} v{fw.version}  {fw.document['number']}  {fw.name.zh} / {fw.name.en}")
            return EXIT_OK
        if args.command == "demo":
            inputs: dict[str, object] = dict(demo_inputs())
            out = args.out or Path("eduscore-demo")
            print("Demo data: a SYNTHETIC county (示例县, code 990101), invented for illustration.\n")
        else:
            inputs = {"schools": args.schools, "counties": args.counties, "kindergartens": args.kindergartens}
            out = args.out
        result = evaluate(
            **inputs,
            framework=args.framework,
            year=args.year,
            relaxations=args.relax,
            options={o: True for o in args.option},
        )
    except EduscoreError as exc:
        print(f"eduscore: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(result.summary(lang=args.lang))
    if out is not None:
        try:
            formats = args.format or ("json", "csv", "parquet")
            written = write_outputs(result, out, formats)
        except EduscoreError as exc:
            print(f"eduscore: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print()
        for fmt, path in zip(formats, written, strict=True):
            print(f"Wrote {fmt}: {path}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(result.to_json(), encoding="utf-8")
        print(f"Wrote {args.json}")
    if args.fail_on_not_certified:
        verdicts = set(result.verdicts.column("verdict").to_pylist())
        if verdicts - {"certified"}:
            return EXIT_NOT_CERTIFIED
    return EXIT_OK


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
