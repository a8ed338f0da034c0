"""Domain exceptions. Every message names what a county statistician needs to fix it.

Messages are bilingual: ``InputError(en, zh=...)`` carries the English text (also
``str(exc)``, so that logs and tests that match English keep working) and the Chinese
one; the CLI prints :meth:`EduscoreError.message` in the user's language. A message
without a Chinese text falls back to English.

>>> err = InputError("file a.csv does not exist", zh="文件 a.csv 不存在")
>>> err.message("zh"), str(err)
('文件 a.csv 不存在', 'file a.csv does not exist')
"""

from __future__ import annotations

import locale
import os

LANGS = ("zh", "en")
ENV_LANG = "EDUSCORE_LANG"


class EduscoreError(Exception):
    """Base class of every error eduscore raises on purpose."""

    def __init__(self, en: str = "", zh: str | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh if zh is not None else en

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` ("zh" or "en")."""
        return self.zh if lang == "zh" else self.en


class FormulaError(EduscoreError):
    """A formula in a framework document cannot be parsed or type-checked."""


class FrameworkError(EduscoreError):
    """A framework document is invalid (schema, unknown ids, bad formulas)."""


class InputError(EduscoreError):
    """Input data cannot be used at all (missing file, unreadable table, no required column).

    Problems confined to single rows never raise: those rows are rejected with a reason
    and reported in ``Result.rejected``.
    """


class LimitError(InputError):
    """An input exceeds a safety limit (size, cells, line length, nesting depth).

    The message names the limit and how to raise it (a CLI option or a keyword of
    :class:`eduscore.inputs.read.Limits`)."""


class OutputError(EduscoreError):
    """A report cannot be written where it was asked for (a file in the way, no permission)."""


def joined(*errors: EduscoreError) -> tuple[str, str]:
    """The English and Chinese texts of several errors, one per line."""
    return "\n".join(e.en for e in errors), "\n".join(e.zh for e in errors)


def resolve_lang(explicit: str | None = None) -> str:
    """The user's language: ``explicit`` (``--lang``), else ``EDUSCORE_LANG``, else the
    locale — English when it names another language (``en_US.UTF-8``), Chinese when it
    names Chinese or none at all (``C``, ``POSIX``, unset: eduscore's readers are Chinese
    bureaus first).

    >>> resolve_lang("en"), resolve_lang("zh-CN")
    ('en', 'zh')
    """
    for candidate in (explicit, os.environ.get(ENV_LANG)):
        if candidate:
            code = candidate.strip().lower()[:2]
            if code in LANGS:
                return code
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return _of_locale(value)
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:  # pragma: no cover - a malformed locale setting
        current = ""
    return _of_locale(current)


def _of_locale(name: str) -> str:
    base = name.split(".")[0].split("@")[0].lower()
    if base in ("", "c", "posix") or base.startswith("zh"):
        return "zh"
    return "en"
