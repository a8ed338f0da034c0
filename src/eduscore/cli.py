"""The ``eduscore`` command line.

    eduscore demo                       the bundled SYNTHETIC demo county → terminal, HTML, XLSX
    eduscore evaluate FILES…            your CSV / Excel / Parquet files → reports
    eduscore plan FILES…                what it takes to pass: additions per school, CV remediation
    eduscore whatif FILES… --growth R   re-evaluate under projected enrolment, year by year
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
import contextlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import attrs

# Only what parsing the arguments needs is imported here, so that ``eduscore --help``
# answers at once: the engine, the planning analyses (numpy), the reports, jsonschema and
# pyarrow's compute functions are imported by the commands that use them
# (tests/test_imports.py checks which modules ``--help`` and ``frameworks`` import).
from eduscore._version import __version__
from eduscore.errors import EduscoreError, InputError, resolve_lang
from eduscore.inputs.limits import HELP as LIMIT_HELP
from eduscore.inputs.limits import OPTIONS as LIMIT_OPTIONS
from eduscore.inputs.limits import Limits

if TYPE_CHECKING:
    from eduscore.report.context import RenderContext
    from eduscore.result import Result

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
            "--lang",
            choices=("zh", "en"),
            default=None,
            help="language of the reports and messages (default: EDUSCORE_LANG, else the locale; zh)",
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
            help="report format (repeatable): json, html, xlsx, md, docx, csv, parquet, or a plugin's; "
            f"default {', '.join(DEFAULT_FORMATS)}",
        )
        sp.add_argument("--json", type=Path, help="also write the result as JSON to this file")
        from eduscore.model.messages import label

        sp.add_argument(
            "--xlsx-per-county", action="store_true", help=label("cli.xlsx_per_county", resolve_lang())
        )
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
        limits = sp.add_argument_group("reading limits (a larger input is refused with a message)")
        for field in attrs.fields(Limits):
            option = LIMIT_OPTIONS[field.name]
            limits.add_argument(
                option,
                dest=field.name,
                type=float if field.type in (float, "float") else int,
                default=field.default,
                metavar="N",
                help=f"{LIMIT_HELP[field.name]} (default {field.default:,})",
            )

    def analyses(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--costs",
            type=Path,
            help="prices per unit for the plan: CSV (resource,cost / 资源,单价) or JSON {resource: price}; "
            "default: quantities only",
        )
        sp.add_argument(
            "--group-by",
            metavar="COLUMN",
            help="grouping column of the decomposition (default education_group, else location)",
        )

    demo = sub.add_parser("demo", help="evaluate the bundled SYNTHETIC demo county")
    scoring(demo)
    outputs(demo, "eduscore-demo")
    analyses(demo)
    ev = sub.add_parser("evaluate", help="evaluate counties from your files")
    inputs(ev)
    scoring(ev)
    outputs(ev, None)
    analyses(ev)
    pl = sub.add_parser(
        "plan", help="what it takes to pass: additions per school, CV remediation, margins, decomposition"
    )
    inputs(pl)
    scoring(pl)
    analyses(pl)
    pl.add_argument("--demo", action="store_true", help="plan for the demo county")
    pl.add_argument(
        "--out", "-o", type=Path, help="folder for the plan tables (CSV) and the HTML/XLSX reports"
    )
    wi = sub.add_parser("whatif", help="re-evaluate under projected enrolment and report what flips when")
    inputs(wi)
    scoring(wi)
    wi.add_argument("--demo", action="store_true", help="use the demo county")
    wi.add_argument(
        "--growth",
        action="append",
        default=[],
        metavar="RATE|LEVEL=RATE",
        help="yearly enrolment growth, e.g. 0.03 (all levels) or primary=0.05 junior=0.02 "
        "preschool=-0.04 (repeatable); percentages such as 3%% are accepted",
    )
    wi.add_argument("--years", type=int, default=5, help="years to project (default 5)")
    wi.add_argument(
        "--projection",
        type=Path,
        help="projected students per school and year (学校标识码, 年份, 小学在校生数, 初中在校生数)",
    )
    wi.add_argument(
        "--new-classes",
        action="store_true",
        help="assume classes are opened as enrolment grows (the largest class keeps its size); "
        "by default no class is opened and the largest class grows with enrolment",
    )
    wi.add_argument("--out", "-o", type=Path, help="folder for verdicts.csv and flips.csv")
    wi.add_argument("--quiet", "-q", action="store_true", help="no terminal report (with -o: only the files)")
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
    show.add_argument("--lang", choices=("zh", "en"), default=None)
    ex = sub.add_parser("explain", help="show how a number of the result was derived")
    ex.add_argument("check", help="check id, e.g. cv.sports_area_per_student.primary or school_six_of_seven")
    inputs(ex)
    scoring(ex)
    ex.add_argument("--demo", action="store_true", help="explain a number of the demo county's result")
    ex.add_argument("--school", metavar="ID", help="for a school rule: this school (id or section id)")
    sub.add_parser("plugins", help="list plugins: version, jurisdictions, frameworks; refused ones with why")
    return p


def _tolerant_streams() -> None:
    """Output never fails on encoding: a GBK console or file shows characters it cannot
    encode as escapes (``\\u2212``) instead of raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or exotic stream
                reconfigure(errors="backslashreplace")


def say(text: object = "", file: IO[str] | None = None) -> None:
    """Print a line of the CLI's own output. Messages quote file names, school names and
    cell values, so control characters are shown visibly, never sent to the terminal.
    When the reader has gone away (``eduscore demo | head -1``) the rest of the output is
    dropped and the run goes on: the report files are still written."""
    from eduscore.report.text import visible

    with _reader_may_leave():
        print(visible(str(text), multiline=True), file=file if file is not None else sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status (for use from Python and tests;
    the ``eduscore`` program is :func:`entry`)."""
    _tolerant_streams()
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    # Files may come after options too (explain ID --county C 学校.csv 县.csv): argparse
    # leaves them over once an option has been read.
    strays = [r for r in rest if r.startswith("-") or not hasattr(args, "files")]
    if strays:
        parser.error(f"unrecognized arguments: {' '.join(strays)}")
    if rest:
        args.files = [*args.files, *map(Path, rest)]
    if hasattr(args, "lang"):
        args.lang = resolve_lang(args.lang)
    try:
        return _run(args)
    except EduscoreError as exc:
        lang = getattr(args, "lang", None) or resolve_lang()
        word = "错误" if lang == "zh" else "error"  # scripts should read the exit status
        say(f"eduscore: {word}: {exc.message(lang)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # the reader went away (eduscore … | head): nothing is wrong
        return EXIT_OK
    except SystemExit as exc:
        # rich answers a broken pipe with SystemExit(1) after pointing stdout at devnull;
        # nothing of eduscore's own raises SystemExit once the arguments are parsed.
        return EXIT_OK if exc.code == 1 else int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except Exception as exc:  # a bug, not bad input: say so plainly
        if args.debug:
            traceback.print_exc()
        say(
            f"eduscore: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in eduscore, not in your data; please report it (run with --debug for details).",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def entry() -> NoReturn:  # pragma: no cover - exercised through subprocesses
    """The ``eduscore`` program: :func:`main`, then exit without interpreter finalisation.

    Native thread pools (Arrow's CPU and I/O pools, used by the threaded CSV reader;
    jemalloc's background threads) are torn down by C++ static destructors at process
    exit; a worker still joinable then makes ``std::thread``'s destructor call
    ``std::terminate`` ("terminate called without an active exception", SIGABRT,
    exit status -6) after eduscore has finished and printed everything
    (apache/arrow#34314). Under load, ``plan --costs`` with a bad price did so a few
    times in a few hundred runs. Every file is complete and closed by now (each one
    was renamed into place), so once the output streams are flushed there is nothing
    left for finalisation to do: ``os._exit`` ends the process with eduscore's own
    status and skips the teardown that can abort.
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help, --version, a usage error (already printed)
        if isinstance(exc.code, str):
            say(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (eduscore … | head): nothing to flush to
            if stream is sys.stdout and code == EXIT_OK:
                code = 120  # what CPython itself returns when stdout cannot be flushed at exit
    os._exit(code)


def _run(args: argparse.Namespace) -> int:
    if args.command == "plugins":
        print_plugins()
        return EXIT_OK
    if args.command == "frameworks":
        from eduscore.plugins.catalog import builtin_ids, load_framework

        for fid in builtin_ids():
            fw = load_framework(fid)
            say(f"{fw.id:24} v{fw.version}  {fw.document['number']}  {fw.name.zh} / {fw.name.en}")
        return EXIT_OK
    if args.command == "show":
        from eduscore.report.show import print_framework

        print_framework(args.framework, county=args.county, year=args.year, lang=args.lang)
        return EXIT_OK
    if args.command == "template":
        from eduscore.report.template import write_template

        path = write_template(args.out, args.framework, county=args.county, year=args.year)
        run = evaluate_command(path, args.framework)
        lang = resolve_lang(None)
        say(
            f"已写入 {path}:填好各表后运行  {run}"
            if lang == "zh"
            else f"Wrote {path}: fill in the sheets, then  {run}"
        )
        return EXIT_OK
    if args.command == "whatif":
        return _whatif(args)
    from eduscore.report.context import RenderContext

    result = _evaluate(args)
    costs = getattr(args, "costs", None)
    context = RenderContext(
        result,
        args.lang,
        costs=read_costs(costs) if costs is not None else None,
        by=getattr(args, "group_by", None),
        xlsx_per_county=getattr(args, "xlsx_per_county", False),
    )
    if args.command == "plan":
        return _plan(args, context)
    if args.command == "explain":
        from eduscore.report.explain import explain

        say(
            explain(
                result, args.check, county=args.county, year=args.year, school=args.school, lang=args.lang
            )
        )
        return EXIT_OK
    if not args.quiet:
        from eduscore.report.terminal import full_lists, print_report

        formats = args.format or DEFAULT_FORMATS
        with _reader_may_leave():
            places = full_lists(args.out, formats, args.lang, result, getattr(args, "xlsx_per_county", False))
            print_report(result, lang=args.lang, full_in=places)
    if args.format and args.out is None:
        raise InputError(
            "--format needs --out FOLDER (where to write the reports)",
            zh="--format 需要用 --out 指定输出文件夹",
        )
    if args.out is not None and not str(args.out).strip():
        raise InputError("--out is empty: give a folder", zh="--out 为空:请给出文件夹")
    if args.out is not None:
        from eduscore.report.formats import write_outputs

        formats = args.format or DEFAULT_FORMATS
        written = write_outputs(context, args.out, formats)
        if not args.quiet:
            say()
            for fmt, path in zip(formats, written, strict=True):
                say(wrote(args.lang, path, fmt))
        for notice in context.notices:  # e.g. a sheet that could not hold every row
            say(notice, file=sys.stderr)
    if args.json is not None:
        from eduscore.report.files import write_text
        from eduscore.report.text import json_text

        write_text(args.json, json_text(result.to_json()), named=True)
        if not args.quiet:
            say(wrote(args.lang, args.json))
    if args.fail_on_not_certified and set(result.verdicts.column("verdict").to_pylist()) - {"certified"}:
        return EXIT_NOT_CERTIFIED
    return EXIT_OK


@contextlib.contextmanager
def _reader_may_leave() -> Iterator[None]:
    """``eduscore evaluate … | head``: when the reader of the terminal report goes away, the
    report files are still written (rich answers a broken pipe with SystemExit(1))."""
    try:
        yield
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except SystemExit as exc:
        if exc.code != 1:
            raise


def wrote(lang: str, path: object, what: str = "") -> str:
    """'Wrote html: report.html' in the user's language."""
    if lang == "zh":
        return f"已写入 {what}:{path}" if what else f"已写入:{path}"
    return f"Wrote {what}: {path}" if what else f"Wrote {path}"


def evaluate_command(path: Path, framework: str) -> str:
    """The command that evaluates a filled template (naming its framework unless default)."""
    default = _parser().parse_args(["evaluate"]).framework
    return f"eduscore evaluate {path}" + (f" --framework {framework}" if framework != default else "")


def _plan(args: argparse.Namespace, context: RenderContext) -> int:
    from eduscore.report.files import output_folder, published
    from eduscore.report.formats import render_into, write_csv_bom
    from eduscore.report.terminal import print_plan

    print_plan(context, gaps_in=str(args.out / "plan_gaps.csv") if args.out is not None else None)
    if args.out is not None:
        a = context.analyses()
        tables = {"margins": a.margins, "risks": a.risks}
        if a.plan is not None:
            tables |= {
                "plan_gaps": a.plan.gaps,
                "plan_cv": a.plan.cv,
                "plan_checks": a.plan.checks,
                "plan_school_inputs": a.plan.schools,
                "plan_totals": a.plan.totals(),
            }
        if a.decomposition is not None:
            tables["decomposition"] = a.decomposition
        # The plan's tables and reports are one run's files: staged and published together.
        with output_folder(args.out) as staging:
            for name, table in tables.items():
                write_csv_bom(table, staging / f"{name}.csv")
            reports = render_into(context, staging, ("html", "xlsx"))
        say()
        for name in tables:
            say(wrote(args.lang, args.out / f"{name}.csv"))
        for fmt, path in zip(("html", "xlsx"), reports, strict=True):
            say(wrote(args.lang, published(path, staging, args.out), fmt))
    return EXIT_OK


def parse_growth(values: Sequence[str]) -> float | dict[str, float]:
    """``["0.03"]`` → 0.03; ``["primary=5%", "junior=0.02"]`` → per level."""

    def rate(text: object, what: object) -> float:
        if not isinstance(text, str):  # argparse hands "--growth=--" over as a list
            raise InputError(
                f"--growth {what!r} is not a rate (e.g. 0.03 or 3%)",
                zh=f"--growth {what!r} 不是增长率(如 0.03 或 3%)",
            )
        t = text.strip()
        try:
            return float(t[:-1]) / 100 if t.endswith("%") else float(t)
        except ValueError:
            raise InputError(f"--growth {what}: {text!r} is not a rate (e.g. 0.03 or 3%)") from None

    if not values:
        return 0.0
    per: dict[str, float] = {}
    for v in values:
        if isinstance(v, str) and "=" in v:
            level, _, r = v.partition("=")
            per[level.strip()] = rate(r, v)
        elif len(values) == 1:
            return rate(v, v)
        else:
            raise InputError(f"--growth {v!r}: give one rate, or LEVEL=RATE for each level")
    return per


def read_costs(path: Path) -> dict[str, float]:
    """Prices per unit from a JSON object or a two-column CSV (resource, cost)."""
    import json

    if not path.exists():
        raise InputError(f"{path}: no such costs file")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not a JSON object of prices ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a JSON object {{resource: price}}")
        items = list(data.items())
    else:
        from eduscore.inputs.read import load_table

        t = load_table(path, "costs").table
        if t.num_columns < 2:
            raise InputError(f"{path}: expected two columns, resource (资源) and cost (单价)")
        items = list(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))
    out: dict[str, float] = {}
    for n, (name, price) in enumerate(items, start=2):
        try:
            out[str(name).strip()] = float(price)
        except (TypeError, ValueError):
            raise InputError(f"{path}: row {n}, resource {name!r}: price {price!r} is not a number") from None
    return out


def _whatif(args: argparse.Namespace) -> int:
    from eduscore.planning.whatif import whatif
    from eduscore.report.files import output_folder
    from eduscore.report.formats import write_csv_bom
    from eduscore.report.terminal import print_whatif

    given, county = _inputs(args)
    w = whatif(
        **given,
        growth=parse_growth(args.growth),
        years=args.years,
        projection=args.projection,
        framework=args.framework,
        year=args.year,
        relaxations=args.relax,
        options={o: True for o in args.option},
        county=county,
        limits=_limits(args),
        new_classes=args.new_classes,
    )
    if not args.quiet:
        print_whatif(
            w, lang=args.lang, flips_in=str(args.out / "flips.csv") if args.out is not None else None
        )
    if args.out is not None:
        tables = {"verdicts": w.verdicts, "flips": w.first_flips()}
        with output_folder(args.out) as staging:
            for name, table in tables.items():
                write_csv_bom(table, staging / f"{name}.csv")
        if not args.quiet:
            say()
            for name in tables:
                say(wrote(args.lang, args.out / f"{name}.csv"))
    return EXIT_OK


def _inputs(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    from eduscore.demo import demo_inputs
    from eduscore.inputs.read import load_files

    given: dict[str, Any]
    if args.command == "demo" or getattr(args, "demo", False):
        if args.command == "demo":
            say(
                "演示数据:合成的示例县(代码 990101,SYNTHETIC),数字均为虚构。\n"
                if args.lang == "zh"
                else "Demo data: a SYNTHETIC county (示例县, code 990101), invented for illustration.\n"
            )
        given = dict(demo_inputs())
        county = None
    else:
        given = dict(load_files(list(args.files), _limits(args)))
        for role in ("schools", "counties", "kindergartens"):
            path = getattr(args, role)
            if path is not None:
                if role in given:
                    labels = ", ".join(t.label for t in given[role])
                    raise InputError(
                        f"two {role} tables given: {labels} and {path}",
                        zh=f"给出了两份{role}表:{labels} 和 {path}",
                    )
                given[role] = path
        if not given:
            raise InputError(
                "no input files: give workbooks or CSV/Parquet files (see eduscore evaluate --help)"
            )
        county = args.county
    return given, county


def _limits(args: argparse.Namespace) -> Limits:
    """The reading limits given by ``--max-…`` options (defaults where not given)."""
    values: dict[str, Any] = {f.name: getattr(args, f.name, f.default) for f in attrs.fields(Limits)}
    try:
        return Limits(**values)
    except ValueError as exc:
        raise InputError(f"reading limits: {exc}", zh=f"读取上限:{exc}") from None


def _evaluate(args: argparse.Namespace) -> Result:
    from eduscore.engine.evaluate import evaluate

    given, county = _inputs(args)
    return evaluate(
        **given,
        framework=args.framework,
        year=args.year,
        relaxations=args.relax,
        options={o: True for o in args.option},
        county=county,
        limits=_limits(args),
    )


def print_plugins() -> None:
    """List every plugin, then every problem: refused, failed or empty plugins and
    conflicts between plugins (shown, never raised: this is where one looks for them)."""
    from eduscore.plugins.registry import get_registry

    registry = get_registry()
    lang = resolve_lang()
    for info in registry.plugins():
        reason = (info.reason_zh or info.reason) if lang == "zh" else info.reason
        say(f"{info.name} {info.version}  [{info.status}]" + (f"  {reason}" if reason else ""))
        if info.frameworks:
            say(f"    frameworks: {', '.join(info.frameworks)}")
        if info.jurisdictions:
            say(f"    jurisdictions: {', '.join(info.jurisdictions)}")
        for rs in info.rule_sets:
            say(f"    rule set: {rs}")
        if info.preparation_steps:
            say(f"    preparation steps: {', '.join(info.preparation_steps)}")
        if info.renderers:
            say(f"    renderers: {', '.join(info.renderers)}")
    problems = [info.message(lang) for info in registry.problems()]
    for collect in (registry.frameworks, registry.rule_sets, registry.preparation_steps, registry.renderers):
        try:
            collect()
        except EduscoreError as exc:
            problems.append(exc.message(lang))
    if problems:
        say("\n问题:" if lang == "zh" else "\nproblems:")
        for problem in problems:
            say("  - " + problem.replace("\n", "\n    "))


if __name__ == "__main__":  # pragma: no cover
    entry()
