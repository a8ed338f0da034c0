"""The ``eduscore`` command line.

    eduscore demo                       the bundled SYNTHETIC demo county → terminal, HTML, XLSX
    eduscore evaluate FILES…            your CSV / Excel / Parquet files → reports
    eduscore plan FILES…                what it takes to pass: additions per school, CV remediation
    eduscore whatif FILES… --growth R   re-evaluate under projected enrolment, year by year
    eduscore history DIR                verdicts and CVs by year from an archive, monitoring alerts
    eduscore allocate FILES… --budget B --costs P   which counties a fund should pay for
    eduscore template -o 模板.xlsx      an input workbook to fill in
    eduscore frameworks                 the frameworks known (built-in and plugins)
    eduscore show FRAMEWORK             indicators, thresholds and rules (after a county's overlays)
    eduscore explain CHECK --county C   how one number of a result was derived
    eduscore plugins                    plugins with version, jurisdictions and frameworks

Everything it says (help, progress, errors) is in one language per run: ``--lang zh|en``
anywhere on the line, else ``EDUSCORE_LANG``, else the locale (:mod:`eduscore.cli_lang`).

Exit status: 0 when the command ran; 2 for bad input (a message saying what to fix,
never a traceback); 3 with ``--fail-on-not-certified`` when a county is not certified;
70 for an internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import math
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
from eduscore.cli_lang import Parser, lang_of_argv
from eduscore.errors import ENV_LANG, LANGS, EduscoreError, InputError
from eduscore.inputs.limits import HELP as LIMIT_HELP
from eduscore.inputs.limits import HELP_ZH as LIMIT_HELP_ZH
from eduscore.inputs.limits import OPTIONS as LIMIT_OPTIONS
from eduscore.inputs.limits import Limits
from eduscore.model.messages import label

if TYPE_CHECKING:
    from eduscore.report.context import RenderContext
    from eduscore.result import Result

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_NOT_CERTIFIED = 3
EXIT_INTERNAL = 70
DEFAULT_FORMATS = ("json", "html", "xlsx")


DEFAULT_FRAMEWORK = "quality-balance-2017"


def _parser(lang: str = "en") -> Parser:
    """The argument parser, every text of it in ``lang`` ("zh" or "en")."""

    def t(en: str, zh: str) -> str:
        return zh if lang == "zh" else en

    p = Parser(
        prog="eduscore",
        lang=lang,
        description=t(
            "Evaluate Chinese counties against the Ministry of Education's supervision-evaluation "
            "frameworks. The language of help, messages and reports: --lang zh|en, else "
            f"{ENV_LANG}, else the locale.",
            f"按教育部督导评估办法评估县域教育。帮助、提示和报告的语言:--lang zh|en,"
            f"否则取环境变量 {ENV_LANG},再否则取系统区域设置。",
        ),
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"eduscore {__version__}",
        help=t("show the version and exit", "显示版本号并退出"),
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help=t("show tracebacks of internal errors", "内部错误时显示调用栈(供报告问题用)"),
    )

    def language(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--lang",
            choices=LANGS,
            default=argparse.SUPPRESS,
            help=t(
                f"language of help, messages and reports (default: {ENV_LANG}, else the locale)",
                f"帮助、提示和报告的语言(默认取环境变量 {ENV_LANG},否则取系统区域设置)",
            ),
        )

    language(p)
    sub = p.add_subparsers(
        dest="command",
        required=True,
        metavar=t("COMMAND", "命令"),
        title=t("commands", "命令"),
        help=t(
            "one of these; eduscore COMMAND --help tells more", "以下之一;各命令的说明见 eduscore 命令 --help"
        ),
    )

    def command(name: str, en: str, zh: str) -> Parser:
        sp: Parser = sub.add_parser(name, help=t(en, zh), description=t(en, zh))
        language(sp)
        return sp

    def scoring(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--framework",
            "-f",
            default=DEFAULT_FRAMEWORK,
            metavar=t("FRAMEWORK", "框架"),
            help=t(
                f"framework id or path to a framework JSON (default: {DEFAULT_FRAMEWORK}; "
                "the ids: eduscore frameworks)",
                f"框架编号或框架 JSON 文件路径(默认 {DEFAULT_FRAMEWORK};编号见 eduscore frameworks)",
            ),
        )
        sp.add_argument(
            "--year",
            type=int,
            metavar=t("YEAR", "年份"),
            help=t("year for rows that carry none", "数据中没有年份的行按此年份计"),
        )
        sp.add_argument(
            "--relax",
            action="append",
            default=[],
            metavar=t("ID", "编号"),
            help=t(
                "enable a named relaxation of the framework (repeatable)",
                "启用框架中指定编号的放宽条款(可多次使用)",
            ),
        )
        sp.add_argument(
            "--option",
            action="append",
            default=[],
            metavar=t("ID", "编号"),
            help=t(
                "enable a named preparation option (repeatable)",
                "启用指定编号的数据准备选项(可多次使用)",
            ),
        )

    def outputs(sp: argparse.ArgumentParser, default_out: str | None) -> None:
        sp.add_argument(
            "--out",
            "-o",
            type=Path,
            default=Path(default_out) if default_out else None,
            metavar=t("FOLDER", "文件夹"),
            help=t("folder for the reports", "报告的输出文件夹")
            + (t(f" (default {default_out})", f"(默认 {default_out})") if default_out else ""),
        )
        sp.add_argument(
            "--format",
            action="append",
            default=None,
            metavar=t("NAME", "格式"),
            help=t(
                "report format (repeatable): json, html, xlsx, md, docx, csv, parquet, or a plugin's; "
                f"default {', '.join(DEFAULT_FORMATS)}",
                "报告格式(可多次使用):json、html、xlsx、md、docx(自评报告)、csv、parquet 或插件提供的格式;"
                f"默认 {'、'.join(DEFAULT_FORMATS)}",
            ),
        )
        sp.add_argument(
            "--json",
            type=Path,
            metavar=t("FILE", "文件"),
            help=t("also write the result as JSON to this file", "另将结果以 JSON 写入此文件"),
        )
        sp.add_argument("--xlsx-per-county", action="store_true", help=label("cli.xlsx_per_county", lang))
        sp.add_argument(
            "--fail-on-not-certified",
            action="store_true",
            help=t(
                f"exit with status {EXIT_NOT_CERTIFIED} if any county is not certified (for pipelines)",
                f"有县未通过认定时以状态码 {EXIT_NOT_CERTIFIED} 退出(供自动化流程用)",
            ),
        )
        sp.add_argument(
            "--quiet", "-q", action="store_true", help=t("no terminal report", "不在终端显示报告")
        )
        sp.add_argument(
            "--archive",
            type=Path,
            metavar=t("FOLDER", "文件夹"),
            help=t(
                "also add the result to this archive (a Parquet dataset by framework and year; "
                "replaces an earlier run of the same county, framework and year)",
                "同时将结果存入此归档(按框架和年份分区的 Parquet 数据集;替换同一县、框架和年份之前的运行)",
            ),
        )

    def inputs(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "files",
            nargs="*",
            type=Path,
            metavar=t("FILE", "文件"),
            help=t(
                "input files: workbooks (.xlsx/.xls, a sheet per table: schools, counties, "
                "kindergartens, or their Chinese names) or CSV/Parquet/Feather files named after "
                "their table (schools.csv, …)",
                "输入文件:工作簿(.xlsx/.xls,工作表名为 学校、县、幼儿园),"
                "或按表命名的 CSV/Parquet/Feather 文件(学校.csv、县.csv 等)",
            ),
        )
        sp.add_argument(
            "--schools",
            type=Path,
            metavar=t("FILE", "文件"),
            help=t("schools (wide) or school sections (long)", "学校表(每校一行,或每个学段一行)"),
        )
        sp.add_argument(
            "--counties", type=Path, metavar=t("FILE", "文件"), help=t("county facts", "县表(县级数据)")
        )
        sp.add_argument(
            "--kindergartens",
            type=Path,
            metavar=t("FILE", "文件"),
            help=t("kindergartens (preschool-2020)", "幼儿园表(用于 preschool-2020)"),
        )
        sp.add_argument(
            "--county",
            metavar=t("CODE", "县代码"),
            help=t(
                "evaluate only counties whose code starts with CODE; fills the code where the data "
                "have no county_code column",
                "只评估代码以此开头的县;数据中没有“县区代码”列时以此填入",
            ),
        )
        limits = sp.add_argument_group(
            t(
                "reading limits (a larger input is refused with a message)",
                "读取上限(超过上限的输入会被拒绝并说明原因)",
            )
        )
        for field in attrs.fields(Limits):
            option = LIMIT_OPTIONS[field.name]
            limits.add_argument(
                option,
                dest=field.name,
                type=float if field.type in (float, "float") else int,
                default=field.default,
                metavar="N",
                help=t(
                    f"{LIMIT_HELP[field.name]} (default {field.default:,})",
                    f"{LIMIT_HELP_ZH[field.name]}(默认 {field.default:,})",
                ),
            )

    def analyses(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--costs",
            type=Path,
            metavar=t("FILE", "文件"),
            help=t(
                "prices per unit for the plan: CSV (resource,cost) or JSON {resource: price}; "
                "default: quantities only",
                "达标方案所用的单价:CSV(资源,单价 两列)或 JSON {资源: 单价};默认只列数量",
            ),
        )
        sp.add_argument(
            "--group-by",
            metavar=t("COLUMN", "列名"),
            help=t(
                "grouping column of the decomposition (default education_group, else location)",
                "差异分解的分组列(默认“教育集团”,否则“城乡分类”)",
            ),
        )

    demo = command("demo", "evaluate the bundled SYNTHETIC demo county", "评估内置的示例县(合成数据)")
    scoring(demo)
    outputs(demo, "eduscore-demo")
    analyses(demo)
    province = demo.add_argument_group(t("the province's view (--province)", "全省视图(--province)"))
    province.add_argument(
        "--province",
        action="store_true",
        help=t(
            f"a SYNTHETIC province instead ({PROVINCE_DEMO_COUNTIES} counties, two years): the ranked index "
            "with monitoring alerts, the history and an allocation of a fund, "
            f"into --out (default {PROVINCE_DEMO_OUT})",
            f"改为评估一个合成省({PROVINCE_DEMO_COUNTIES} 个县,两年):写出带排名和监测预警的汇总页、"
            f"历年情况和专项资金分配,输出到 --out(默认 {PROVINCE_DEMO_OUT})",
        ),
    )
    province.add_argument(
        "--budget",
        metavar=t("AMOUNT", "金额"),
        help=t(
            "with --province: the fund to allocate, in yuan or with the Chinese units wan (10^4) "
            "and yi (10^8) as eduscore allocate takes it (default 200 million yuan)",
            "与 --province 一起使用:分配的资金总额(默认 2亿;如 50000万、5亿)",
        ),
    )
    province.add_argument(
        "--objective",
        choices=("counties", "pupils"),
        default="counties",
        help=t(
            "with --province: maximise the counties certified (default) or the pupils in them",
            "与 --province 一起使用:使达标县数最多(默认)或这些县的学生数最多",
        ),
    )
    ev = command("evaluate", "evaluate counties from your files", "用您的数据文件评估县")
    inputs(ev)
    scoring(ev)
    outputs(ev, None)
    analyses(ev)
    pl = command(
        "plan",
        "what it takes to pass: additions per school, CV remediation, margins, decomposition",
        "达标方案:各校需增加的资源、差异系数的改进、余量和差异分解",
    )
    inputs(pl)
    scoring(pl)
    analyses(pl)
    pl.add_argument("--demo", action="store_true", help=t("plan for the demo county", "为示例县制定方案"))
    pl.add_argument(
        "--out",
        "-o",
        type=Path,
        metavar=t("FOLDER", "文件夹"),
        help=t(
            "folder for the plan tables (CSV) and the HTML/XLSX reports",
            "方案表格(CSV)和 HTML/XLSX 报告的输出文件夹",
        ),
    )
    wi = command(
        "whatif",
        "re-evaluate under projected enrolment and report what flips when",
        "按预测的在校生数逐年重新评估,列出哪一年哪些结论会改变",
    )
    inputs(wi)
    scoring(wi)
    wi.add_argument("--demo", action="store_true", help=t("use the demo county", "使用示例县"))
    wi.add_argument(
        "--growth",
        action="append",
        default=[],
        metavar=t("RATE|LEVEL=RATE", "增长率|学段=增长率"),
        help=t(
            "yearly enrolment growth, e.g. 0.03 (all levels) or primary=0.05 junior=0.02 "
            "preschool=-0.04 (repeatable); percentages such as 3%% are accepted",
            "每年在校生增长率,如 0.03(各学段相同),或 primary=0.05 junior=0.02 preschool=-0.04"
            "(分小学、初中、学前,可多次使用);也可写百分数,如 3%%",
        ),
    )
    wi.add_argument(
        "--years",
        type=int,
        default=5,
        metavar="N",
        help=t("years to project (default 5)", "预测的年数(默认 5)"),
    )
    wi.add_argument(
        "--projection",
        type=Path,
        metavar=t("FILE", "文件"),
        help=t(
            "projected students per school and year (school_id, year, students_primary, students_junior)",
            "各校各年的预测在校生数(学校标识码、年份、小学在校生数、初中在校生数)",
        ),
    )
    wi.add_argument(
        "--new-classes",
        action="store_true",
        help=t(
            "assume classes are opened as enrolment grows (the largest class keeps its size); "
            "by default no class is opened and the largest class grows with enrolment",
            "假定随在校生增加而增开班级(最大班额不变);默认不增开班级,最大班额随在校生增加",
        ),
    )
    wi.add_argument(
        "--out",
        "-o",
        type=Path,
        metavar=t("FOLDER", "文件夹"),
        help=t("folder for verdicts.csv and flips.csv", "verdicts.csv 和 flips.csv 的输出文件夹"),
    )
    wi.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help=t("no terminal report (with -o: only the files)", "不在终端显示报告(与 -o 同用时只写文件)"),
    )
    hi = command(
        "history",
        "verdicts, CVs and checks by year from an archive, and the monitoring alerts "
        "of counties certified in an earlier year",
        "从归档中读出各县各年的结论、差异系数和检查项变化,以及曾通过认定的县的预警",
    )
    hi.add_argument(
        "archive", type=Path, metavar=t("DIR", "归档文件夹"), help=t("the archive folder", "归档文件夹")
    )
    which = hi.add_mutually_exclusive_group()
    which.add_argument(
        "--county",
        metavar=t("CODE", "县代码"),
        help=t("one county (its 6-digit code)", "只看这个县(六位代码)"),
    )
    which.add_argument(
        "--province",
        metavar=t("CODE", "省代码"),
        help=t(
            "the counties whose codes start with this 2-digit province (or 4-digit city) code",
            "代码以此两位省级(或四位地市)代码开头的各县",
        ),
    )
    hi.add_argument(
        "--framework",
        "-f",
        metavar=t("FRAMEWORK", "框架"),
        help=t(
            "only this framework (default: every framework in the archive)",
            "只看这个框架(默认:归档中的全部框架)",
        ),
    )
    hi.add_argument(
        "--out",
        "-o",
        type=Path,
        metavar=t("FOLDER", "文件夹"),
        help=t("folder for history.html and history.xlsx", "history.html 和 history.xlsx 的输出文件夹"),
    )
    hi.add_argument(
        "--format",
        action="append",
        choices=("html", "xlsx"),
        metavar="html|xlsx",
        help=t(
            "which files to write to --out (repeatable; default both)",
            "写到 --out 的文件(可多次使用;默认两种都写)",
        ),
    )
    al = command(
        "allocate",
        "where a fund goes furthest: the counties money can certify, and which to fund",
        "专项资金分配:哪些县靠资金可以达标,应资助哪些县",
    )
    inputs(al)
    scoring(al)
    al.add_argument(
        "--budget",
        required=True,
        metavar=t("AMOUNT", "金额"),
        help=t(
            "the fund, e.g. 50000万, 5亿, 500000000 or 5e8 (yuan unless 万 or 亿 is written)",
            "资金总额,如 50000万、5亿、500000000 或 5e8(未写“万”“亿”时单位为元)",
        ),
    )
    al.add_argument(
        "--costs",
        type=Path,
        metavar=t("FILE", "文件"),
        help=t(
            "prices per unit: CSV (resource,cost) or JSON {resource: price}; every resource "
            "the plans add needs one (rooms and room areas too)",
            "单价:CSV(资源,单价 两列)或 JSON {资源: 单价};方案增配的每种资源都需要单价(含专用教室数及面积)",
        ),
    )
    al.add_argument(
        "--objective",
        choices=("counties", "pupils"),
        default="counties",
        help=t(
            "what to maximise: the counties certified (default; cheapest first) or the pupils in them "
            "(exact in steps of 1万元)",
            "优化目标:达标县数(默认,按成本从低到高)或这些县的学生数(以1万元为单位精确求解)",
        ),
    )
    al.add_argument(
        "--out",
        "-o",
        type=Path,
        metavar=t("FOLDER", "文件夹"),
        help=t(
            "folder for allocation.xlsx and allocation.json",
            "allocation.xlsx 和 allocation.json 的输出文件夹",
        ),
    )
    tpl = command(
        "template",
        "write an input workbook (Chinese headers, checked lists, instructions)",
        "生成待填写的输入工作簿(中文表头、下拉选项、填写说明)",
    )
    tpl.add_argument(
        "--framework",
        "-f",
        default=DEFAULT_FRAMEWORK,
        metavar=t("FRAMEWORK", "框架"),
        help=t(
            f"the framework whose data the workbook asks for (default {DEFAULT_FRAMEWORK})",
            f"工作簿按哪个框架收集数据(默认 {DEFAULT_FRAMEWORK})",
        ),
    )
    tpl.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("eduscore-template.xlsx"),
        metavar=t("FILE", "文件"),
        help=t(
            "the workbook to write (default eduscore-template.xlsx)",
            "要写入的工作簿(默认 eduscore-template.xlsx)",
        ),
    )
    tpl.add_argument(
        "--county",
        metavar=t("CODE", "县代码"),
        help=t("include the columns this county's rule sets need", "加入该县适用的省市规则所需的列"),
    )
    tpl.add_argument(
        "--year",
        type=int,
        metavar=t("YEAR", "年份"),
        help=t("the year the workbook is for", "工作簿所填数据的年份"),
    )
    command(
        "frameworks",
        "list the frameworks (built-in and from plugins)",
        "列出可用的评估框架(内置的和插件提供的)",
    )
    show = command(
        "show",
        "show a framework's indicators, thresholds and rules",
        "显示框架的指标、标准和规则",
    )
    show.add_argument(
        "framework",
        metavar=t("FRAMEWORK", "框架"),
        help=t("framework id or path to a framework JSON", "框架编号或框架 JSON 文件路径"),
    )
    show.add_argument(
        "--county",
        metavar=t("CODE", "县代码"),
        help=t("after the overlays that apply to this county", "按该县适用的省市规则调整后显示"),
    )
    show.add_argument(
        "--year",
        type=int,
        metavar=t("YEAR", "年份"),
        help=t("the rules in force in this year", "该年度适用的规则"),
    )
    ex = command("explain", "show how a number of the result was derived", "说明结果中某个数字是如何算出的")
    ex.add_argument(
        "check",
        metavar=t("CHECK", "检查项"),
        help=t(
            "check id, e.g. cv.sports_area_per_student.primary or school_six_of_seven",
            "检查项编号,如 cv.sports_area_per_student.primary 或 school_six_of_seven",
        ),
    )
    inputs(ex)
    scoring(ex)
    ex.add_argument(
        "--demo",
        action="store_true",
        help=t("explain a number of the demo county's result", "说明示例县的结果"),
    )
    ex.add_argument(
        "--school",
        metavar=t("ID", "编号"),
        help=t(
            "for a school rule: this school (id or section id)",
            "学校规则:指定学校(学校标识码或学段编号)",
        ),
    )
    command(
        "plugins",
        "list plugins: version, jurisdictions, frameworks; refused ones with why",
        "列出插件:版本、适用地区、框架;未加载的插件及原因",
    )
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
    argv = list(sys.argv[1:] if argv is None else argv)
    # The language is known before argparse runs: its help and its errors speak it too.
    lang = lang_of_argv(argv)
    chosen = os.environ.get("EDUSCORE_LANG", "").strip()
    if chosen and chosen.lower() not in ("zh", "en"):  # never a silent fallback
        say(
            f"eduscore: EDUSCORE_LANG={chosen} 不是 zh 或 en,已忽略"
            if lang == "zh"
            else f"eduscore: EDUSCORE_LANG={chosen} is neither zh nor en: ignored",
            file=sys.stderr,
        )
    parser = _parser(lang)
    args, rest = parser.parse_known_args(argv)
    # Files may come after options too (explain ID --county C 学校.csv 县.csv): argparse
    # leaves them over once an option has been read.
    strays = [r for r in rest if r.startswith("-") or not hasattr(args, "files")]
    if strays:
        parser.error(f"unrecognized arguments: {' '.join(strays)}")
    if rest:
        args.files = [*args.files, *map(Path, rest)]
    args.lang = lang
    try:
        return _run(args)
    except EduscoreError as exc:
        word = "错误" if lang == "zh" else "error"  # scripts should read the exit status
        say(f"eduscore: {word}: {exc.message(lang)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        say("\neduscore: 已中断" if lang == "zh" else "\neduscore: interrupted", file=sys.stderr)
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
            f"eduscore: 内部错误:{type(exc).__name__}: {exc}\n"
            "这是 eduscore 程序本身的问题,不是您的数据有误;请报告此问题(加 --debug 运行可看到详细信息)。"
            if lang == "zh"
            else f"eduscore: internal error: {type(exc).__name__}: {exc}\n"
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
        print_plugins(args.lang)
        return EXIT_OK
    if args.command == "frameworks":
        print_frameworks(args.lang)
        return EXIT_OK
    if args.command == "show":
        from eduscore.report.show import print_framework

        print_framework(args.framework, county=args.county, year=args.year, lang=args.lang)
        return EXIT_OK
    if args.command == "template":
        from eduscore.report.template import write_template

        path = write_template(args.out, args.framework, county=args.county, year=args.year)
        run = evaluate_command(path, args.framework)
        say(
            f"已写入 {path}:填好各表后运行  {run}"
            if args.lang == "zh"
            else f"Wrote {path}: fill in the sheets, then  {run}"
        )
        return EXIT_OK
    if args.command == "whatif":
        return _whatif(args)
    if args.command == "history":
        return _history(args)
    if args.command == "allocate":
        return _allocate(args)
    if args.command == "demo" and args.province:
        return _province_demo(args)
    from eduscore.report.context import RenderContext

    if getattr(args, "format", None):  # an unknown format is refused before the evaluation runs
        from eduscore.plugins.registry import get_registry

        known = get_registry().renderers()
        unknown = [f for f in args.format if f not in known]
        if unknown:
            raise InputError(
                f"unknown output format(s) {', '.join(unknown)}; known: {', '.join(known)}",
                zh=f"未知的报告格式 {'、'.join(unknown)};可用的格式:{'、'.join(known)}",
            )
    archive_to = getattr(args, "archive", None)
    if archive_to is not None:  # a folder that cannot be an archive is said before the evaluation
        from eduscore.archive import check_folder

        if not str(archive_to).strip():
            raise InputError("--archive is empty: give a folder", zh="--archive 为空:请给出文件夹")
        check_folder(archive_to)
    result = _evaluate(args)
    wanted = getattr(args, "county", None)
    if wanted and result.verdicts.num_rows == 0 and args.command in ("evaluate", "demo", "plan"):
        raise InputError(
            f"--county {wanted}: no county of that code in the input, so nothing was evaluated "
            "(the row accounting counts its rows as unused)",
            zh=f"--county {wanted}:输入数据中没有这个县代码,没有可评估的县(各表的行均计为未使用)",
        )
    costs = getattr(args, "costs", None)
    context = RenderContext(
        result,
        args.lang,
        costs=read_costs(costs, args.lang) if costs is not None else None,
        by=getattr(args, "group_by", None),
        xlsx_per_county=getattr(args, "xlsx_per_county", False),
    )
    if args.command == "plan":
        return _plan(args, context)
    archived = None
    if archive_to is not None:
        # Archived before the reports: the index shows the alerts the archive's earlier
        # years give for this run's counties (counties certified before, failing now).
        from eduscore.province.history import alerts_for, history

        archived = result.archive(archive_to, inputs=_input_paths(args))
        context.alerts = alerts_for(history(archive_to, framework=result.framework.id), result)
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
    if archived is not None:
        lines = archived.summary(args.lang).split("\n")
        if not args.quiet:
            say(lines[0])
        for line in lines[1:]:  # an archived verdict that changed is always said
            say(line, file=sys.stderr)
        if context.alerts is not None and context.alerts.num_rows:  # always said, like a finding
            say(alerts_line(context.alerts, args.lang), file=sys.stderr)
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


def alerts_line(alerts: Any, lang: str) -> str:
    """One line on the monitoring alerts of this run's counties (from the archive)."""
    counties = sorted(set(alerts.column("county_code").to_pylist()))
    shown = "、".join(counties[:10]) if lang == "zh" else ", ".join(counties[:10])
    more = ("等" if lang == "zh" else ", …") if len(counties) > 10 else ""
    if lang == "zh":
        return (
            f"监测预警:{len(counties)} 个曾通过认定的县本次有 {alerts.num_rows} 项检查未达标或未评估"
            f"({shown}{more});详见 report.html 或 eduscore history"
        )
    return (
        f"Monitoring alerts: {len(counties)} county(ies) certified before have {alerts.num_rows} check(s) "
        f"failing or not assessed now ({shown}{more}); see report.html or eduscore history"
    )


def wrote(lang: str, path: object, what: str = "") -> str:
    """'Wrote html: report.html' in the user's language."""
    if lang == "zh":
        return f"已写入 {what}:{path}" if what else f"已写入:{path}"
    return f"Wrote {what}: {path}" if what else f"Wrote {path}"


def evaluate_command(path: Path, framework: str) -> str:
    """The command that evaluates a filled template (naming its framework unless default)."""
    return f"eduscore evaluate {path}" + (
        f" --framework {framework}" if framework != DEFAULT_FRAMEWORK else ""
    )


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
            raise InputError(
                f"--growth {what}: {text!r} is not a rate (e.g. 0.03 or 3%)",
                zh=f"--growth {what}:{text!r} 不是增长率(如 0.03 或 3%)",
            ) from None

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
            raise InputError(
                f"--growth {v!r}: give one rate, or LEVEL=RATE for each level",
                zh=f"--growth {v!r}:请给出一个增长率,或为每个学段写 学段=增长率(如 primary=0.05)",
            )
    return per


def read_costs(path: Path, lang: str = "en") -> dict[str, float]:
    """Prices per unit from a JSON object or a two-column CSV (resource, cost)."""
    import json

    if not path.exists():
        raise InputError(f"{path}: no such costs file", zh=f"单价文件 {path} 不存在")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{path}: not a JSON object of prices ({exc})",
                zh=f"{path}:不是单价的 JSON 对象({exc})",
            ) from None
        if not isinstance(data, dict):
            raise InputError(
                f"{path}: expected a JSON object {{resource: price}}",
                zh=f"{path}:应为 JSON 对象 {{资源: 单价}}",
            )
        items = list(data.items())
    else:
        from eduscore.inputs.read import load_table

        t = load_table(path, "costs").table
        if t.num_columns < 2:
            raise InputError(
                f"{path}: expected two columns, resource and cost",
                zh=f"{path}:应有两列,资源和单价",
            )
        items = list(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))
    out: dict[str, float] = {}
    where: dict[str, int] = {}
    for n, (name, price) in enumerate(items, start=2):
        key = str(name).strip()
        if key in out:  # the last one would win without a word
            raise InputError(
                f"{path}: resource {key!r} is priced twice (rows {where[key]} and {n}); keep one",
                zh=f"{path}:资源 {key!r} 有两个单价(第 {where[key]} 行和第 {n} 行);请只保留一个",
            )
        if isinstance(price, bool):  # JSON true is not 1 yuan
            price = str(price).lower()
        try:
            value = float(price)
        except (TypeError, ValueError):
            raise InputError(
                f"{path}: row {n}, resource {name!r}: price {price!r} is not a number",
                zh=f"{path}:第 {n} 行,资源 {name!r}:单价 {price!r} 不是数字",
            ) from None
        if not math.isfinite(value) or value < 0:
            raise InputError(
                f"{path}: row {n}, resource {name!r}: price {price!r} is not a price (a number ≥ 0)",
                zh=f"{path}:第 {n} 行,资源 {name!r}:单价 {price!r} 无效(应为不小于 0 的数)",
            )
        out[key], where[key] = value, n
    unknown = sorted(set(out) - _priceable())
    if unknown:  # a misspelt resource is otherwise ignored without a word
        say(
            f"{path}: 单价表中的 {'、'.join(unknown)} 不是可计价的资源,未使用"
            if lang == "zh"
            else f"{path}: {', '.join(unknown)} in the prices is no resource eduscore prices; not used",
            file=sys.stderr,
        )
    return out


def _priceable() -> set[str]:
    """What a price may name: an input column of the schools or sections, or an indicator
    of a built-in framework (its resource)."""
    from eduscore.model import contract
    from eduscore.plugins.catalog import builtin_ids, load_framework

    names = {c.name for c in (*contract.SCHOOLS, *contract.SECTIONS)}
    for fw in builtin_ids():
        names |= {i.id for i in load_framework(fw).indicators}
    return names


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


def _history(args: argparse.Namespace) -> int:
    from eduscore.province.history import history
    from eduscore.report.history import FILES, print_history, write_history

    if args.format and args.out is None:
        raise InputError(
            "--format needs --out FOLDER (where to write the files)",
            zh="--format 需要用 --out 指定输出文件夹",
        )
    h = history(args.archive, county=args.county, province=args.province, framework=args.framework)
    formats = list(dict.fromkeys(args.format or FILES))
    with _reader_may_leave():
        print_history(
            h,
            lang=args.lang,
            full_in=str(args.out / FILES["xlsx" if "xlsx" in formats else "html"])
            if args.out is not None
            else None,
        )
    if args.out is not None:
        written = write_history(h, args.out, formats, args.lang)
        say()
        for fmt, path in zip(formats, written, strict=True):
            say(wrote(args.lang, path, fmt))
    return EXIT_OK


def parse_budget(text: object) -> float:
    """A fund in yuan from what a reader writes: ``50000万``, ``5亿``, ``1.5亿元``,
    ``500000000``, ``5e8``, ``50,000万元``, full-width digits (``５０００万``)."""
    import re
    import unicodedata

    def bad() -> InputError:
        return InputError(
            f"--budget {text!r} is not an amount: write e.g. 50000万, 5亿, 500000000 or 5e8 "
            "(yuan unless 万 or 亿)",
            zh=f"--budget {text!r} 不是金额(预算):请写成 50000万、5亿、500000000 或 5e8"
            "(未写“万”“亿”时单位为元)",
        )

    if not isinstance(text, str):
        raise bad()
    t = unicodedata.normalize("NFKC", text).replace(" ", "").strip()
    # A comma separates thousands (50,000万), nothing else: 5,5亿 and 1,2,3 are not amounts.
    if "," in t and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?(万亿|亿|万)?元?", t):
        raise bad()
    t = t.replace(",", "").removesuffix("元")
    found = re.fullmatch(r"((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(万亿|亿|万)?", t)
    if found is None:
        raise bad()
    value = float(found.group(1)) * {"万亿": 1e12, "亿": 1e8, "万": 1e4, None: 1.0}[found.group(2)]
    if not math.isfinite(value):
        raise bad()
    if value > MAX_BUDGET:
        raise InputError(
            f"--budget {text!r}: {value:.3g} yuan is more than any fund (at most 100万亿 = 1e14 yuan)",
            zh=f"--budget {text!r}:{value:.3g} 元超出任何专项资金的规模(至多 100万亿元)",
        )
    return value


#: The largest fund ``--budget`` takes: 100 万亿元, far beyond any education budget.
MAX_BUDGET = 1e14


#: ``eduscore demo --province``: the synthetic province's size and default folder.
PROVINCE_DEMO_COUNTIES = 100
PROVINCE_DEMO_OUT = "eduscore-province-demo"


def _province_demo(args: argparse.Namespace) -> int:
    """``eduscore demo --province``: evaluate, archive, index, history and allocation of a
    SYNTHETIC province in one command (issue #15 item 5)."""
    from collections import Counter

    from eduscore.demo import demo_path
    from eduscore.report.allocation import print_allocation
    from eduscore.report.history import print_history
    from eduscore.report.province_demo import DEMO_BUDGET, run_province_demo
    from eduscore.report.view import VERDICT

    zh = args.lang == "zh"
    out = Path(PROVINCE_DEMO_OUT) if args.out == Path("eduscore-demo") else args.out
    if not str(out).strip():
        raise InputError("--out is empty: give a folder", zh="--out 为空:请给出文件夹")
    budget = parse_budget(args.budget) if args.budget is not None else DEMO_BUDGET
    costs = read_costs(args.costs if args.costs is not None else demo_path("prices/prices.csv"), args.lang)
    say(
        f"演示数据:合成省(代码 99,{PROVINCE_DEMO_COUNTIES} 个县,2023、2024 两年,SYNTHETIC),数字均为虚构;"
        "单价为示例单价(demo/prices/prices.csv)。\n"
        if zh
        else f"Demo data: a SYNTHETIC province (code 99, {PROVINCE_DEMO_COUNTIES} counties, 2023 and 2024), "
        "invented for illustration; illustrative prices (demo/prices/prices.csv).\n"
    )
    done = run_province_demo(out, costs, args.lang, budget, args.objective, PROVINCE_DEMO_COUNTIES)
    words = VERDICT["zh" if zh else "en"]
    for year, result in done.results.items():
        counts = Counter(result.verdicts.column("verdict").to_pylist())
        tally = " · ".join(f"{words.get(v, v)} {n}" for v, n in sorted(counts.items()))
        say(f"{year} 年:{tally}" if zh else f"{year}: {tally}")
    say()
    with _reader_may_leave():
        print_history(
            done.history, lang=args.lang, max_rows=10, full_in=str(out / "history" / "history.xlsx")
        )
        say()
        print_allocation(done.allocation, args.lang, out=str(out / "allocation" / "allocation.xlsx"))
    say()
    for path in done.files:
        say(wrote(args.lang, path))
    index, past = out / "report.html", out / "history" / "history.html"
    say(
        f"\n打开 {index}:各县按离认定的远近排名,附监测预警;{past}:历年情况。"
        if zh
        else f"\nOpen {index}: the counties ranked by their distance from certification, "
        f"with the monitoring alerts; {past}: the history."
    )
    return EXIT_OK


def _allocate(args: argparse.Namespace) -> int:
    from eduscore.engine.evaluate import evaluate
    from eduscore.planning.plan import make_plan, resources
    from eduscore.province.allocate import allocate
    from eduscore.report.allocation import print_allocation, write_allocation

    budget = parse_budget(args.budget)
    if args.costs is None:
        raise InputError(
            "allocate needs prices: --costs FILE (CSV resource,cost or JSON {resource: price})",
            zh="资金分配需要单价:请用 --costs 文件 给出(CSV 资源,单价 两列,或 JSON {资源: 单价})",
        )
    costs = read_costs(args.costs, args.lang)
    given, county = _inputs(args)
    options = {
        "framework": args.framework,
        "year": args.year,
        "relaxations": args.relax,
        "options": {o: True for o in args.option},
        "county": county,
        "limits": _limits(args),
    }
    result = evaluate(**given, **options)
    if result.verdicts.num_rows == 0:
        raise InputError("no county was evaluated: nothing to allocate", zh="没有评估任何县:无可分配的对象")
    # Every claim is checked: the plans applied, one evaluation of every county.
    plan = make_plan(result, costs) if resources(result.framework) else None
    after = evaluate(**given, **options, adjust=plan.adjust()) if plan is not None else result
    allocation = allocate(result, budget, costs, args.objective, after=after, plans=[plan])
    print_allocation(allocation, args.lang, out=str(args.out / "allocation.xlsx") if args.out else None)
    if args.out is not None:
        for path in write_allocation(allocation, args.out, args.lang):
            say(wrote(args.lang, path))
    return EXIT_OK


def _inputs(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    from eduscore.demo import demo_inputs
    from eduscore.inputs.read import ROLE_ZH, load_files

    given: dict[str, Any]
    if args.command == "demo" or getattr(args, "demo", False):
        if args.command == "demo":
            say(
                "演示数据:合成的示例县(代码 990101,SYNTHETIC),数字均为虚构。\n"
                if args.lang == "zh"
                else "Demo data: a SYNTHETIC county (code 990101), invented for illustration.\n"
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
                        zh=f"给出了两份{ROLE_ZH[role]}表:{labels} 和 {path}",
                    )
                given[role] = path
        if not given:
            raise InputError(
                "no input files: give workbooks or CSV/Parquet files (see eduscore evaluate --help)",
                zh="没有输入文件:请给出工作簿或 CSV/Parquet 文件(见 eduscore evaluate --help)",
            )
        county = args.county
    return given, county


def _input_paths(args: argparse.Namespace) -> list[Path]:
    """The files the command read (the demo's bundled ones for ``demo``), each once."""
    from eduscore.demo import demo_inputs

    if args.command == "demo" or getattr(args, "demo", False):
        paths = list(demo_inputs().values())
    else:
        paths = [*args.files, *(getattr(args, r) for r in ("schools", "counties", "kindergartens"))]
    out: list[Path] = []
    for p in paths:
        if p is not None and p not in out:
            out.append(p)
    return out


def _limits(args: argparse.Namespace) -> Limits:
    """The reading limits given by ``--max-…`` options (defaults where not given)."""
    values: dict[str, Any] = {f.name: getattr(args, f.name, f.default) for f in attrs.fields(Limits)}
    for name, value in values.items():
        if value is not None and value <= 0:
            option = LIMIT_OPTIONS[name]
            raise InputError(
                f"reading limits: {option} must be greater than 0 (got {value})",
                zh=f"读取上限:{option} 必须大于 0(给出的是 {value})",
            )
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


#: The headings of ``eduscore plugins``, English and Chinese.
_PLUGIN_WORDS = {
    "frameworks": ("frameworks", "框架"),
    "jurisdictions": ("jurisdictions", "适用地区"),
    "rule set": ("rule set", "规则集"),
    "preparation steps": ("preparation steps", "数据准备步骤"),
    "renderers": ("renderers", "报告格式"),
    "rule kinds": ("rule kinds", "规则类型"),
    "problems": ("problems", "问题"),
}


def print_plugins(lang: str = "en") -> None:
    """List every plugin, then every problem: refused, failed or empty plugins and
    conflicts between plugins (shown, never raised: this is where one looks for them).
    Plugin names, framework ids and jurisdiction codes are shown as they are (they are what
    ``EDUSCORE_PLUGINS`` and ``--framework`` take); the words around them in ``lang``."""
    from eduscore.plugins.registry import get_registry, status_label

    def heading(key: str) -> str:
        en, zh = _PLUGIN_WORDS[key]
        return f"{zh}:" if lang == "zh" else f"{en}: "

    registry = get_registry()
    for info in registry.plugins():
        reason = (info.reason_zh or info.reason) if lang == "zh" else info.reason
        status = status_label(info.status, lang)
        say(f"{info.name} {info.version}  [{status}]" + (f"  {reason}" if reason else ""))
        if info.frameworks:
            say(f"    {heading('frameworks')}{', '.join(info.frameworks)}")
        if info.jurisdictions:
            say(f"    {heading('jurisdictions')}{', '.join(info.jurisdictions)}")
        for rs in info.rule_sets:
            say(f"    {heading('rule set')}{rs}")
        if info.preparation_steps:
            say(f"    {heading('preparation steps')}{', '.join(info.preparation_steps)}")
        if info.renderers:
            say(f"    {heading('renderers')}{', '.join(info.renderers)}")
        if info.rule_kinds:
            say(f"    {heading('rule kinds')}{', '.join(info.rule_kinds)}")
    problems = [info.message(lang) for info in registry.problems()]
    for collect in (
        registry.frameworks,
        registry.rule_sets,
        registry.preparation_steps,
        registry.renderers,
        registry.rule_kinds,
    ):
        try:
            collect()
        except EduscoreError as exc:
            problems.append(exc.message(lang))
    if problems:
        say("\n" + heading("problems").rstrip())
        for problem in problems:
            say("  - " + problem.replace("\n", "\n    "))


def print_frameworks(lang: str = "en") -> None:
    """One line per built-in framework: its name and document in ``lang``, its version,
    and, quietly after a "·", the id that ``--framework`` takes."""
    from eduscore.cli_lang import width
    from eduscore.plugins.catalog import builtin_ids, load_framework

    rows = []
    for fid in builtin_ids():
        fw = load_framework(fid)
        rows.append((fw.name.get(lang), str(fw.document["number"]), f"v{fw.version}", fid))
    name_width = max((width(r[0]) for r in rows), default=0)
    for name, number, version, fid in rows:
        say(f"{name}{' ' * (name_width - width(name))}  {number}  {version}  · {fid}")
    say(
        f"\n用 --framework 加 · 后的编号选择框架(默认 {DEFAULT_FRAMEWORK})"
        if lang == "zh"
        else f"\nChoose one with --framework and the id after the · (default {DEFAULT_FRAMEWORK})"
    )


if __name__ == "__main__":  # pragma: no cover
    entry()
