"""The command line's language: chosen before the arguments are parsed, spoken by argparse too.

``eduscore`` speaks one language per run: ``--lang zh|en`` anywhere on the command line
(``--lang=en`` too), else ``EDUSCORE_LANG``, else the locale (:func:`lang_of_argv`). The
language must be known before argparse runs, since argparse itself talks: ``--help``, the
usage line, "the following arguments are required", "invalid choice". :class:`Parser` is an
:class:`argparse.ArgumentParser` that says those in Chinese under ``zh`` — its own help
option and section titles are made in the language, and its error messages are translated
by the small catalogue :data:`ARGPARSE_ZH` of argparse's message templates. Nothing global
is touched (argparse's module-level ``_`` stays as it is), so a program that calls
``eduscore.cli.main`` in-process and has parsers of its own sees no change in them; under
``en`` the parser is plain argparse.

>>> lang_of_argv(["demo", "--lang=en"]), lang_of_argv(["--lang", "zh", "demo"])
('en', 'zh')
>>> translate("argument --lang: invalid choice: 'fr' (choose from 'zh', 'en')")
"参数 --lang:无效的值 'fr'(可选:'zh', 'en')"
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from eduscore.errors import LANGS, resolve_lang

#: argparse's own messages (the templates it passes to ``gettext``, Python 3.11–3.14) in
#: Chinese. A message not listed stays as argparse wrote it.
ARGPARSE_ZH: dict[str, str] = {
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s:%(message)s",
    "unrecognized arguments: %s": "无法识别的参数:%s",
    "the following arguments are required: %s": "缺少必需的参数:%s",
    "one of the arguments %s is required": "需要以下参数之一:%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的值 %(value)r(可选:%(choices)s)",
    "invalid choice: %(value)s (choose from %(choices)s)": "无效的值 %(value)s(可选:%(choices)s)",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的%(type)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义,可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "多余的值 %r",
    "unexpected option string: %s": "意外的选项:%s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "未知的命令 %(parser_name)r(可选:%(choices)s)",
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s':%(error)s",
}

#: The type names in "invalid int value" (``type=int`` / ``type=float``), in Chinese.
_TYPE_ZH = {"int": "整数", "float": "数值"}

_FIELD = re.compile(r"%\((\w+)\)[sr]|%[sr]")


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that matches what argparse makes of ``template``."""
    parts: list[str] = []
    at = 0
    for n, m in enumerate(_FIELD.finditer(template)):
        parts.append(re.escape(template[at : m.start()]))
        name = m.group(1) or f"_{n}"
        parts.append(f"(?P<{name}>.*)" if name == "message" else f"(?P<{name}>.+?)")
        at = m.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts), re.DOTALL)


_PATTERNS = [(_pattern(en), zh) for en, zh in ARGPARSE_ZH.items()]


def translate(message: str) -> str:
    """argparse's English ``message`` in Chinese (as it was when no template matches).

    >>> translate("the following arguments are required: 框架")
    '缺少必需的参数:框架'
    """
    for pattern, zh in _PATTERNS:
        m = pattern.fullmatch(message)
        if m is None:
            continue
        values = m.groupdict()
        if "message" in values:
            values["message"] = translate(values["message"])
        if "type" in values:
            values["type"] = _TYPE_ZH.get(values["type"], values["type"])
        fields = iter(v for k, v in values.items() if k.startswith("_"))

        def fill(f: re.Match[str], values: dict[str, str] = values, fields: Any = fields) -> str:
            return values[f.group(1)] if f.group(1) else next(fields)

        return _FIELD.sub(fill, zh)
    return message


def lang_of_argv(argv: Sequence[str]) -> str:
    """The run's language: the last valid ``--lang`` of ``argv`` (``--lang zh``,
    ``--lang=en``, in any position before a ``--``), else ``EDUSCORE_LANG``, else the
    locale (:func:`eduscore.errors.resolve_lang`). An invalid value is left to argparse,
    which refuses it in the language of the environment."""
    chosen: str | None = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if len(name) < 4 or not "--lang".startswith(name):  # argparse takes --la, --lan too
            continue
        if not eq:
            value = argv[i + 1] if i + 1 < len(argv) else ""
        if value in LANGS:
            chosen = value
    return resolve_lang(chosen)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_WIDE = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
# A Chinese character with what follows it up to a space or the next Chinese character (a
# line does not start with "、" or ".csv"), or other text up to a space.
_TOKEN = re.compile(rf"[{_WIDE}][^\s{_WIDE}]*|[^\s{_WIDE}]+|\s+")
# Chinese punctuation that does not start a line.
_NO_LINE_START = set("\uff0c\u3002\uff1b\uff1a\u3001\uff09\u300b\u300d\u300f\u201d\u2019\uff01\uff1f")


def wrap(text: str, columns: int) -> list[str]:
    """``text`` in lines of at most ``columns`` terminal columns: Chinese breaks between
    any two characters (not before closing punctuation), other text at spaces."""
    lines: list[str] = []
    line, used = "", 0
    for token in _TOKEN.findall(" ".join(text.split())):
        if token.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        w = width(token)
        if line and used + w > columns and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines


class ZhHelpFormatter(argparse.HelpFormatter):
    """argparse's help in Chinese: "用法:", lines wrapped by terminal columns, the help
    column aligned when an option's argument name is Chinese."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width))

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        # "usage: " has the width of "用法：", so the wrapped usage lines stay aligned;
        # format_help puts the Chinese in.
        super().add_usage(usage, actions, groups, "usage: " if prefix is None else prefix)

    def format_help(self) -> str:
        text = super().format_help()
        if text.startswith("usage: "):
            usage, blank, rest = text.partition("\n\n")
            text = _usage_fitted("用法\uff1a " + usage.removeprefix("usage: "), self._width) + blank + rest
        return "\n".join(_realigned(line) for line in text.split("\n"))


def _usage_fitted(usage: str, columns: int) -> str:
    """The usage lines wrapped again by terminal columns when Chinese argument names made
    one of them wider than ``columns`` (argparse counts characters)."""
    end = usage[len(usage.rstrip("\n")) :]
    lines = usage.rstrip("\n").split("\n")
    if all(width(line) <= columns for line in lines):
        return usage
    m = re.match(r"\S+ \S+(?: [a-z][\w-]*)? ", lines[0])  # "用法： eduscore plan "
    if m is None:
        return usage
    head = m.group(0)
    indent = " " * width(head)
    parts = re.findall(r"\[[^\]]*\]|\S+", " ".join(line.strip() for line in lines)[len(head) :])
    out, line = [], head
    for part in parts:
        if line.strip() and line not in (head, indent) and width(line) + 1 + width(part) > columns:
            out.append(line.rstrip())
            line = indent
        line += part + " "
    out.append(line.rstrip())
    return "\n".join(out) + end


def _realigned(line: str) -> str:
    """An option's line with its help back in the help column when the option's argument
    name is Chinese (argparse pads by characters; a Chinese character takes two columns),
    or on the next line when the option no longer leaves room for it."""
    m = re.fullmatch(r"(\s+\S.*?)( {2,})(\S.*)", line)
    if m is None:
        return line
    head, gap, rest = m.groups()
    column = len(head) + len(gap)
    if width(head) == len(head):
        return line
    if width(head) + 2 <= column:
        return head + " " * (column - width(head)) + rest
    return head + "\n" + " " * column + rest


class Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` in the language ``lang`` ("zh" or "en").

    Under ``zh`` its help option, section titles, usage line and error messages are
    Chinese (subcommand parsers made by ``add_subparsers().add_parser`` are of this class
    and language too); under ``en`` it is argparse as it is.
    """

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        self.lang = lang
        zh = lang == "zh"
        if zh:
            kwargs.setdefault("formatter_class", ZhHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        kwargs["add_help"] = False  # the help option is added below, in the language
        super().__init__(*args, **kwargs)
        if zh:
            self._positionals.title = "位置参数"
            self._optionals.title = "选项"
        if add_help:
            self.add_argument(
                "-h",
                "--help",
                action="help",
                default=argparse.SUPPRESS,
                help="显示本帮助并退出" if zh else "show this help message and exit",
            )

    def add_subparsers(self, **kwargs: Any) -> Any:
        """Subcommand parsers of this class, in this parser's language."""
        kwargs.setdefault("parser_class", _in_language(type(self), self.lang))
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message (in the parser's language) and exit with 2."""
        if self.lang != "zh":
            super().error(message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误: {translate(message)}\n")


def _in_language(cls: type[Parser], lang: str) -> Any:
    def make(**kwargs: Any) -> Parser:
        return cls(lang=lang, **kwargs)

    return make
