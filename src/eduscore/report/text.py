"""Text from the inputs, made safe for every output.

School names, ids, header names, file names and the raw values of rejected cells
reach the terminal, Markdown, HTML, CSV and XLSX reports and the CLI's messages. Two
hazards are handled here, once for every writer:

- **Control characters.** An escape sequence in a school name (``\\x1b]0;…``,
  ``\\x1b[2J``) would retitle or clear the inspector's terminal; a right-to-left
  override (U+202E) would reorder what a report shows. :func:`visible` replaces each
  such character by one visible character: C0 controls by their Control Pictures
  (ESC → ␛, TAB → ␉, LF → ␊), DEL by ␡, and C1 controls, bidirectional overrides and
  isolates, line and paragraph separators, lone surrogates and the noncharacters
  U+FFFE/U+FFFF by the replacement character �. The mapping is one character for one,
  so a reader sees that something was there, and rich's styled spans keep their
  offsets.
- **Spreadsheet formulas in CSV.** Excel and LibreOffice evaluate a CSV cell that
  starts with ``=``, ``+``, ``-`` or ``@`` as a formula (OWASP adds TAB and CR, Excel
  the full-width ``＝＋－＠``; blanks before any of them do not help): ``=cmd|' /C calc'!A0``. :func:`csv_text`
  prefixes such text with a single quote (OWASP's advice), except text that is a
  plain number (``-5``, ``+3.5``, ``1e-3``), which a spreadsheet reads as that number
  and never as a formula.

:func:`json_text` and :func:`xlsx_text` apply the same rule to ``result.json`` (as
``\\uXXXX`` escapes: the data stay exact) and to workbook cells.

>>> visible("示例\\x1b[2J小学\\u202e")
'示例␛[2J小学�'
>>> csv_text("=HYPERLINK(\\"http://x\\")"), csv_text("-5"), csv_text("@SUM(1)")
('\\'=HYPERLINK("http://x")', '-5', "'@SUM(1)")
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

# Bidirectional marks, embeddings, overrides and isolates (the "Trojan Source" set),
# and the line and paragraph separators that break a line where a reader sees none.
_FORMAT_CONTROLS = (0x061C, 0x200E, 0x200F, *range(0x2028, 0x202F), *range(0x2066, 0x206A))


def _table(keep: str = "") -> dict[int, int]:
    table = {c: 0x2400 + c for c in range(0x20)}  # Control Pictures: ␀ … ␟
    table[0x7F] = 0x2421  # ␡
    for c in (*range(0x80, 0xA0), *_FORMAT_CONTROLS, *range(0xD800, 0xE000), 0xFFFE, 0xFFFF):
        table[c] = 0xFFFD
    for ch in keep:
        del table[ord(ch)]
    return table


def _pattern(table: dict[int, int]) -> re.Pattern[str]:
    """A character class of the keys of ``table``, as ranges."""
    codes = sorted(table)
    spans = [[codes[0], codes[0]]]
    for c in codes[1:]:
        if c == spans[-1][1] + 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in spans) + "]")


_ONE_LINE = _table()
_MULTILINE = _table(keep="\n\t")
_ONE_LINE_RE, _MULTILINE_RE = _pattern(_ONE_LINE), _pattern(_MULTILINE)

# The same set for Arrow's RE2 (valid UTF-8 holds no surrogates).
_CONTROL_RE2 = (
    r"[\x00-\x1f\x7f-\x{9f}\x{61c}\x{200e}\x{200f}\x{2028}-\x{202e}\x{2066}-\x{2069}\x{fffe}\x{ffff}]"
)
# A formula trigger, after any leading blanks (a spreadsheet may trim them).
_FORMULA_START = re.compile("^[ \u3000]*[=+\\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")
_FORMULA_START_RE2 = r"^[ \x{3000}]*[=+\-@\t\r\n\x{ff1d}\x{ff0b}\x{ff0d}\x{ff20}]"
# Text that a spreadsheet reads as a plain number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?%?")
_PLAIN_NUMBER_RE2 = f"^{_PLAIN_NUMBER.pattern}$"


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control character replaced by a visible one (see the module).

    ``multiline`` keeps line feeds and tabs: for whole documents and messages whose
    lines are eduscore's own; a single value (a cell, a name) is one line.
    """
    table, pattern = (_MULTILINE, _MULTILINE_RE) if multiline else (_ONE_LINE, _ONE_LINE_RE)
    # translate() looks every character up in a dict (seconds for a province's HTML);
    # a regex search first finds the rare text that holds a control character.
    return text.translate(table) if pattern.search(text) else text


def csv_text(text: str) -> str:
    """One CSV cell of text: formula triggers neutralised, then control characters shown."""
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        text = "'" + text
    return visible(text)


def csv_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`csv_text` over an Arrow string column, vectorised: only the rare values
    that hold a control character go through Python."""
    trigger = pc.and_(
        pc.match_substring_regex(values, _FORMULA_START_RE2),
        pc.invert(pc.match_substring_regex(values, _PLAIN_NUMBER_RE2)),
    )
    values = pc.if_else(trigger, pc.utf8_replace_slice(values, start=0, stop=0, replacement="'"), values)
    controls = pc.fill_null(pc.match_substring_regex(values, _CONTROL_RE2), False)
    if not pc.any(controls).as_py():
        return values
    shown = [visible(v) for v in values.filter(controls).to_pylist()]
    return pc.replace_with_mask(
        values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values,
        controls.combine_chunks() if isinstance(controls, pa.ChunkedArray) else controls,
        pa.array(shown, type=values.type),
    )


# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal or viewer would
# act on (it already escapes C0); they only ever occur inside JSON strings.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def json_text(document: str) -> str:
    """A JSON document with the control characters of its strings written as ``\\uXXXX``
    escapes: the same data for any JSON reader, nothing live for ``cat`` or a viewer.

    >>> json_text('{"name": "a\\u202eb"}')
    '{"name": "a\\\\u202eb"}'
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def xlsx_text(value: object) -> str:
    """Text as it goes into a workbook cell, comment or drop-down list.

    Control characters are made :func:`visible`: xlsxwriter writes them as ``_x001B_``
    escapes, which Excel turns back into the live character (and some, in a drop-down
    list or a formula's value, as invalid XML). A literal ``_x001B_`` in the text needs
    nothing: xlsxwriter escapes its underscore itself.

    >>> xlsx_text("a\x1bb")
    'a␛b'
    """
    return visible(str(value))
