"""The command line speaks one language per run: Chinese throughout under zh (argparse's own
help and errors included), English throughout under en (issue #14 item 2).

The language comes from ``--lang`` (any position, ``--lang=en`` too), else
``EDUSCORE_LANG``, else the locale. Each check below looks at what a user reads and reports
the words that are in the wrong language: :func:`english_words` finds English words of
three letters or more outside what a Chinese text may hold (option names, ids, file and
format names, units), :func:`chinese` finds Chinese in an English text.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eduscore import cli
from eduscore.cli_lang import ARGPARSE_ZH, Parser, lang_of_argv, translate, width, wrap
from helpers import run_cli

COMMANDS = [
    "",
    "demo",
    "evaluate",
    "plan",
    "whatif",
    "history",
    "template",
    "frameworks",
    "show",
    "explain",
    "plugins",
]

#: Words a Chinese text may hold: the program, file formats and tools, the SYNTHETIC mark of
#: the demo data, the growth levels --growth takes, units, the commands and --lang's values.
ALLOWED = {
    "eduscore",
    "json",
    "html",
    "xlsx",
    "docx",
    "xls",
    "csv",
    "parquet",
    "feather",
    "excel",
    "python",
    "arrow",
    "synthetic",
    "primary",
    "junior",
    "preschool",
    "gib",
    "allocate",  # its help is checked in tests/test_allocate.py (its --budget takes 万 and 亿)
    "counties",  # the values of --objective (allocate, demo --province)
    "pupils",
    *(c for c in COMMANDS if c),
}

_SEPARATORS = re.compile(r"[\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef()\[\]{},;:'\"“”‘’<>!?…·]+")
# Option names (--out, -q), and ids, file names and numbers: words with a dot, a slash, an
# underscore, a hyphen, a digit or an equals sign (quality-balance-2017, report.xlsx,
# sports_area_m2, primary=0.05, CSV/Parquet).
_NOT_WORDS = re.compile(r"-{1,2}[\w-]+|.*[./_\-\d=%|].*")


def english_words(text: str, allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The English words (three letters or more) of ``text`` that a Chinese text should
    not hold: option names, ids, file names, numbers and the words of ``ALLOWED`` and
    ``allowed`` are left out.

    >>> english_words("用法： eduscore demo [--out 文件夹] usage: 报告 school_id 3%")
    ['usage']
    """
    ok = {w.lower() for w in ALLOWED | set(allowed)}
    words = []
    for token in _SEPARATORS.split(text):
        if not token or _NOT_WORDS.fullmatch(token):
            continue
        words += [w for w in re.findall(r"[A-Za-z]{3,}", token) if w.lower() not in ok]
    return sorted(set(words))


#: Chinese an English text may hold: a cited document number (教督〔2017〕6号).
_CITED = re.compile(r"教督〔\d{4}〕\d+号")


def chinese(text: str) -> list[str]:
    """The runs of Chinese characters in ``text`` (cited document numbers left out)."""
    return re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", _CITED.sub("", text))


def test_the_helpers_find_what_they_look_for() -> None:
    # "show" is a command's name, which a Chinese text may quote.
    assert english_words("选项: show this help message and exit") == [
        "and",
        "exit",
        "help",
        "message",
        "this",
    ]
    assert english_words("用法： eduscore demo [--out 文件夹] 默认 quality-balance-2017、report.xlsx") == []
    assert english_words("错误: 'frobnicate'", {"frobnicate"}) == []
    assert chinese("usage: eduscore show 框架") == ["框架"]
    assert chinese("County basic balance  教督〔2012〕3号  v1.0.0") == []


def in_locale(*args: str, lang_env: str) -> subprocess.CompletedProcess[str]:
    """``eduscore ARGS`` in a new process whose only language setting is ``LANG``."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("EDUSCORE_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")
    }
    env |= {"LANG": lang_env, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "eduscore.cli", *args], capture_output=True, text=True, env=env, check=False
    )


def help_of(command: str, *how: str, env: dict[str, str] | None = None) -> str:
    proc = run_cli(*([command] if command else []), "--help", *how, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def assert_chinese(text: str, allowed: set[str] | frozenset[str] = frozenset()) -> None:
    assert chinese(text), text
    assert english_words(text, allowed) == [], text


def assert_english(text: str) -> None:
    assert re.search(r"[A-Za-z]{3,}", text), text
    assert chinese(text) == [], text


# ------------------------------------------------------------------------- --help


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "eduscore")
def test_help_under_lang_zh_is_chinese(command: str) -> None:
    # --lang wins over EDUSCORE_LANG, after the command or before it.
    text = help_of(command, "--lang", "zh", env={"EDUSCORE_LANG": "en"})
    assert_chinese(text)
    assert text.startswith("用法") and "选项" in text and "显示本帮助并退出" in text
    assert "usage" not in text and "options" not in text
    assert help_of(command, "--lang=zh", env={"EDUSCORE_LANG": "en"}) == text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "eduscore")
def test_help_under_eduscore_lang_en_is_english(command: str) -> None:
    text = help_of(command, env={"EDUSCORE_LANG": "en"})
    assert_english(text)
    assert text.startswith("usage:") and "show this help message and exit" in text
    assert help_of(command, "--lang", "en") == text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "eduscore")
def test_help_follows_the_locale(command: str) -> None:
    args = [*([command] if command else []), "--help"]
    zh = in_locale(*args, lang_env="zh_CN.UTF-8")
    assert zh.returncode == 0, zh.stderr
    assert_chinese(zh.stdout)
    en = in_locale(*args, lang_env="en_US.UTF-8")
    assert en.returncode == 0, en.stderr
    assert_english(en.stdout)


def test_chinese_help_lines_fit_the_terminal() -> None:
    """argparse counts characters; a Chinese character takes two columns."""
    for command in COMMANDS:
        text = help_of(command, "--lang", "zh", env={"COLUMNS": "80"})
        too_wide = [line for line in text.splitlines() if width(line) > 80]
        assert too_wide == [], (command, too_wide)
    text = help_of("demo", "--lang", "zh", env={"COLUMNS": "80"})
    # The help column stays aligned after a Chinese argument name.
    year = next(line for line in text.splitlines() if line.startswith("  --year 年份"))
    relax = next(line for line in text.splitlines() if line.startswith("  --relax 编号"))
    assert width(year[: year.index("数据")]) == width(relax[: relax.index("启用")])


# ------------------------------------------------------------------------- errors

# (arguments, words of the user's own that the message quotes)
ERRORS: list[tuple[list[str], set[str]]] = [
    (["evaluate", "{tmp}/nope.xlsx"], set()),
    (["evaluate"], set()),
    (["demo", "--bogus"], {"bogus"}),
    (["frobnicate"], {"frobnicate"}),
    (["demo", "--lang", "fr"], set()),
    (["demo", "--lang"], set()),
    (["show"], set()),
    (["show", "nofw"], {"nofw"}),
    (["evaluate", "--out"], set()),
    (["evaluate", "--year", "xyz"], {"xyz"}),
    (["whatif", "--demo", "--growth", "fast"], {"fast"}),
    (["whatif", "--demo", "--growth", "0.1", "--growth", "0.2"], set()),
    (["plan", "--demo", "--costs", "{tmp}/nope.csv"], set()),
    (["evaluate", "{tmp}/x.csv", "--max-cells", "-1"], set()),
    (["demo", "-q", "--out", "{tmp}/out", "--format", "pdf"], {"pdf"}),
    (["explain", "no_such_check", "--demo"], set()),
]


def _error_id(case: tuple[list[str], set[str]]) -> str:
    return " ".join(case[0]).replace("{tmp}/", "")


def run_error(args: list[str], tmp: Path, env: dict[str, str]) -> str:
    proc = run_cli(*(a.format(tmp=tmp) for a in args), env=env)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc.stderr


@pytest.mark.parametrize("case", ERRORS, ids=_error_id)
def test_errors_under_zh_are_chinese(case: tuple[list[str], set[str]], tmp_path: Path) -> None:
    args, quoted = case
    text = run_error(args, tmp_path, {"EDUSCORE_LANG": "zh"})
    assert "eduscore" in text and "错误: " in text and "error:" not in text
    assert_chinese(text, quoted)


@pytest.mark.parametrize("case", ERRORS, ids=_error_id)
def test_errors_under_en_are_english(case: tuple[list[str], set[str]], tmp_path: Path) -> None:
    args, _ = case
    text = run_error(args, tmp_path, {"EDUSCORE_LANG": "en"})
    assert "error:" in text
    assert_english(text)


def test_errors_follow_the_locale(tmp_path: Path) -> None:
    for args in (["show"], ["evaluate", str(tmp_path / "nope.csv")], ["demo", "--bogus"]):
        zh = in_locale(*args, lang_env="zh_CN.UTF-8")
        assert zh.returncode == 2 and "Traceback" not in zh.stderr
        assert_chinese(zh.stderr, {"bogus"})
        en = in_locale(*args, lang_env="en_US.UTF-8")
        assert en.returncode == 2 and "Traceback" not in en.stderr
        assert_english(en.stderr)


def test_a_missing_chinese_file_name_is_said_in_chinese(tmp_path: Path) -> None:
    text = run_error(["evaluate", str(tmp_path / "不存在.xlsx")], tmp_path, {"EDUSCORE_LANG": "zh"})
    assert f"文件 {tmp_path / '不存在.xlsx'} 不存在" in text and "does not exist" not in text


@pytest.mark.parametrize(("lang", "said"), [("zh", "已中断"), ("en", "interrupted")])
def test_an_interrupt_is_said_and_exits_130(lang: str, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run", interrupted)
    proc = run_cli("frameworks", "--lang", lang)
    assert proc.returncode == 130 and said in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_internal_error_is_said_in_the_language(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_run", broken)
    proc = run_cli("frameworks", "--lang", lang)
    assert proc.returncode == cli.EXIT_INTERNAL and "Traceback" not in proc.stderr
    if lang == "zh":
        assert "内部错误" in proc.stderr and "--debug" in proc.stderr
        assert_chinese(proc.stderr, {"RuntimeError", "boom"})
    else:
        assert "internal error: RuntimeError: boom" in proc.stderr
        assert_english(proc.stderr)


# ------------------------------------------------------------------------- what commands print


def test_demo_progress_lines_are_in_the_language(tmp_path: Path) -> None:
    zh = run_cli("demo", "--out", tmp_path / "zh", "--lang", "zh")
    assert zh.returncode == 0, zh.stderr
    lines = zh.stdout.strip().splitlines()
    banner, wrote = lines[0], lines[-3:]
    assert banner.startswith("演示数据") and all(line.startswith("已写入") for line in wrote), lines
    assert_chinese("\n".join([banner, *wrote]))
    en = run_cli("demo", "--out", tmp_path / "en", "--lang", "en")
    assert en.returncode == 0, en.stderr
    lines = en.stdout.strip().splitlines()
    banner, wrote = lines[0], lines[-3:]
    assert banner.startswith("Demo data") and all(line.startswith("Wrote") for line in wrote), lines
    assert_english("\n".join([banner, *wrote]))


def test_template_message_is_in_the_language(tmp_path: Path) -> None:
    zh = run_cli("template", "-o", tmp_path / "t.xlsx", "--lang", "zh")
    assert zh.returncode == 0 and zh.stdout.startswith("已写入"), zh.stdout
    en = run_cli("template", "-o", tmp_path / "t.xlsx", env={"EDUSCORE_LANG": "en"})
    assert en.returncode == 0 and en.stdout.startswith("Wrote"), en.stdout
    assert_english(en.stdout)


def test_frameworks_show_names_in_the_language_and_ids_quietly() -> None:
    zh = run_cli("frameworks", "--lang", "zh").stdout
    assert "县域义务教育优质均衡发展督导评估" in zh and "· quality-balance-2017" in zh
    assert_chinese(zh)
    en = run_cli("frameworks", "--lang", "en").stdout
    assert "· quality-balance-2017" in en
    assert_english(en)  # the document numbers (教督〔2017〕6号) are citations


def test_plugins_listing_is_in_the_language() -> None:
    zh = run_cli("plugins", "--lang", "zh").stdout
    assert "[已加载]" in zh and "框架:" in zh
    # Plugin names, rule set ids and framework ids are what a user types: shown as they are.
    ids = set(re.findall(r"[A-Za-z]{3,}", " ".join(re.findall(r"[\w.-]*[-_.][\w.-]*|^\S+", zh, re.M))))
    from eduscore.plugins.registry import get_registry

    ids |= set(get_registry().rule_kinds())  # rule kind ids (veto, attestation …) are ids too
    assert_chinese(zh, ids)
    en = run_cli("plugins", "--lang", "en").stdout
    assert "[loaded]" in en and "frameworks: " in en
    assert_english(en)


# ------------------------------------------------------------------------- the parts


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["demo", "--lang", "en"], "zh", "en"),
        (["--lang", "en", "demo"], "zh", "en"),
        (["demo", "--lang=zh"], "en", "zh"),
        (["demo", "--lan", "en"], "zh", "en"),  # argparse takes an unambiguous prefix
        (["demo", "--lang", "zh", "--lang", "en"], "zh", "en"),  # the last one, as argparse
        (["demo", "--lang", "fr"], "en", "en"),  # invalid: argparse refuses it in the env's language
        (["demo", "--lang"], "en", "en"),
        (["explain", "--", "--lang", "en"], "zh", "zh"),
        (["demo"], "en", "en"),
    ],
)
def test_lang_of_argv(argv: list[str], env: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUSCORE_LANG", env)
    assert lang_of_argv(argv) == expected


@pytest.mark.parametrize(
    ("locale", "expected"), [("zh_CN.UTF-8", "zh"), ("zh_TW", "zh"), ("en_US.UTF-8", "en"), ("C", "zh")]
)
def test_without_eduscore_lang_the_locale_decides(
    locale: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EDUSCORE_LANG")
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", locale)
    assert lang_of_argv(["demo"]) == expected


def test_every_argparse_message_has_a_chinese_translation_that_fills_its_fields() -> None:
    for en, zh in ARGPARSE_ZH.items():
        assert re.search(r"[\u4e00-\u9fff]", zh), en
        fields = re.findall(r"%\((\w+)\)[sr]|%[sr]", en)
        assert sorted(re.findall(r"%\((\w+)\)[sr]|%[sr]", zh)) == sorted(fields), en
        sample = re.sub(r"%\((\w+)\)[sr]", r"<\1>", en).replace("%s", "<s>").replace("%r", "<r>")
        assert translate(sample) != sample, en
    assert (
        translate("something argparse says that is not listed")
        == "something argparse says that is not listed"
    )


def test_the_chinese_parser_leaves_argparse_itself_alone(capsys: pytest.CaptureFixture[str]) -> None:
    """No global patching: a program's own parsers still speak English after a Chinese run."""
    assert run_cli("--lang", "zh", "--help").stdout.startswith("用法")
    assert run_cli("--lang", "zh", "demo", "--bogus").stderr.count("无法识别的参数") == 1
    mine = argparse.ArgumentParser(prog="mine")
    mine.add_argument("--n", type=int)
    assert (
        mine.format_help().startswith("usage: mine")
        and "show this help message and exit" in mine.format_help()
    )
    with pytest.raises(SystemExit):
        mine.parse_args(["--n", "x"])
    assert "error: argument --n: invalid int value: 'x'" in capsys.readouterr().err
    assert Parser(prog="p").format_help().startswith("usage: p")  # English unless asked


def test_chinese_wrapping_breaks_between_characters_not_inside_names() -> None:
    lines = wrap(
        "输入文件:工作簿(.xlsx/.xls,工作表名为 学校、县、幼儿园),或按表命名的文件(学校.csv、县.csv 等)", 20
    )
    assert all(width(line) <= 22 for line in lines), lines
    assert not any(line.startswith((".csv", "、", ")")) for line in lines), lines
    assert (
        "".join(lines).replace(" ", "")
        == "输入文件:工作簿(.xlsx/.xls,工作表名为学校、县、幼儿园),或按表命名的文件(学校.csv、县.csv等)"
    )


def test_an_unknown_eduscore_lang_is_said_not_silently_ignored() -> None:
    """Found by the new-user walk: EDUSCORE_LANG=fr fell back to Chinese without a word."""
    proc = run_cli("frameworks", env={"EDUSCORE_LANG": "fr"}, process=True)
    assert proc.returncode == 0 and "EDUSCORE_LANG=fr" in proc.stderr
