"""Messages by code: one catalog renders every reason of the engine in Chinese and English.

The engine never writes a sentence. It writes a *coded reason* — a code and its
arguments (:func:`coded`, :func:`coded_array`) — and the catalog renders it in either
language, vectorised over whole columns (:func:`render`). Verdict and status labels live
here too (:func:`label`), so every report says them the same way. An argument written
``§key`` is itself a catalog entry, rendered in the language (``§units.sections`` →
"school sections" / "学校(学段)").

Adding a message: one entry in :data:`CATALOG` with both languages and the same
placeholders; ``tests/test_messages.py`` fails otherwise.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eduscore.model.rules import Text

# pyarrow is imported by the functions that render columns: the catalog and label() also
# serve the bilingual help of `eduscore --help`, which should not wait for pyarrow.
if TYPE_CHECKING:
    import pyarrow as pa

#: Starts a coded reason and separates its parts (a control character: never in a name,
#: since control characters are removed from every input cell).
SEP = "\x1f"
#: An argument that is a catalog key to render in the language.
KEY = "§"


def _m(en: str, zh: str) -> Text:
    """A catalog entry, English first as the engine's texts are written."""
    return Text(zh=zh, en=en)


CATALOG: dict[str, Text] = {
    # ---------------------------------------------------------------- verdicts and statuses
    "verdict.certified": _m("certified", "通过认定"),
    "verdict.not_certified": _m("not certified", "未通过认定"),
    "verdict.incomplete": _m("incomplete", "资料不全,暂无法认定"),
    "status.pass": _m("pass", "达标"),
    "status.basic_pass": _m("basic pass", "基本达标"),
    "status.fail": _m("fail", "未达标"),
    "status.not_assessed": _m("not assessed", "未评估"),
    "status.not_computable": _m("not computable", "无法计算"),
    "status.info": _m("info", "仅供参考"),
    "status.excluded": _m("excluded", "不纳入"),
    # ---------------------------------------------------------------- nouns (arguments)
    "units.sections": _m("school sections", "学校(学段)"),
    "units.kindergartens": _m("kindergartens", "幼儿园"),
    "units.units": _m("units", "评估对象"),
    "count.sections": _m("school section(s)", "个学校(学段)"),
    "count.kindergartens": _m("kindergarten(s)", "所幼儿园"),
    "count.units": _m("unit(s)", "个评估对象"),
    # ---------------------------------------------------------------- why a value is missing
    # {0} the column's English name (for a derived column, the raw columns to supply), {1} its header
    "missing_input": _m("missing input {0} ({1})", "缺少数据:{1}"),
    "no_unit_data": _m("no {0} data, or some {0} lack {1}", "缺少数据:没有{0}的数据,或部分{0}缺少 {1}"),
    "division_by_zero": _m("division by zero: {0} = 0", "除数为0:{0} = 0"),
    "not_computable": _m("not computable", "无法计算"),
    "applies_unknown": _m("cannot tell whether the rule applies ({0})", "无法判断该规则是否适用({0})"),
    # ---------------------------------------------------------------- section rules
    "thresholds_met": _m("{0} of {1} thresholds met", "{1} 项中达标 {0} 项"),
    "thresholds_met_floor": _m(
        "{0} of {1} thresholds met; a missed one is below {2} of its threshold",
        "{1} 项中达标 {0} 项;有一项低于标准的{2}",
    ),
    "indicator_values_missing": _m("some indicator values are missing", "部分指标缺少数据"),
    "none_in_scope": _m("no in-scope {0} to assess", "没有纳入评估的{0}"),
    "units_fail": _m("{0} {1} fail", "{0} {1}未达标"),
    "units_lack_data": _m("{0} {1} lack data", "{0} {1}缺少数据"),
    # ---------------------------------------------------------------- dispersion
    "no_sections_at_level": _m("no in-scope sections at this level", "该学段没有纳入评估的学校"),
    "sections_lack_indicator": _m(
        "{0} section(s) lack this indicator's value", "{0} 个学校(学段)缺少该指标数据"
    ),
    "cv_undefined": _m(
        "the weighted mean is 0 or there are no students: CV undefined",
        "加权平均值为0或没有学生:差异系数无法计算",
    ),
    "cvs_not_computed": _m("not all {0} CVs could be computed", "{0} 个差异系数未能全部算出"),
    # ---------------------------------------------------------------- county rules
    "not_attested": _m("{0} is false (not attested)", "{1}:填报为“否”"),
    "veto_applies": _m("veto applies: {0}", "触发一票否决:{0}"),
    # ---------------------------------------------------------------- verdict notes
    "graded_items_missing": _m(
        "graded scoring counts {0} items; this framework defines fewer — the others are not assessed",
        "分级评分共 {0} 项;本框架定义的项目较少,其余各项未评估",
    ),
    "neighbour_not_certified": _m(
        "{0}: another county of the same {1} is not certified this year",
        "{0}:同一{1}内另有县本年度未通过认定",
    ),
    "neighbour_incomplete": _m(
        "{0}: another county of the same {1} is incomplete this year, so this one cannot be known",
        "{0}:同一{1}内另有县本年度资料不全,本县是否通过也无法确定",
    ),
    # ---------------------------------------------------------------- data integrity
    "rejected_rows": _m(
        "{0} input row(s) with errors (rejected, or a value not read): {1} — fix them (see the "
        "findings) to complete the evaluation",
        "{0} 行输入数据有错误(该行未采用,或某值未采用):{2} — 请按“数据问题”修正后重新评估",
    ),
    "rejected_rows_more": _m(
        "{0} input row(s) with errors (rejected, or a value not read): {1}, … ({0} in all) — fix "
        "them (see the findings) to complete the evaluation",
        "{0} 行输入数据有错误(该行未采用,或某值未采用):{2} 等,共 {0} 行 — 请按“数据问题”修正后重新评估",
    ),
    "plugins_failed": _m(
        "{0} plugin(s) failed, so rules that may govern this county were not applied ({1}) — fix or "
        "uninstall them, or block them with EDUSCORE_DISABLE_PLUGINS",
        "{0} 个插件加载失败,可能适用于本县的省市规则未能应用({2});请修复或卸载该插件,"
        "或用 EDUSCORE_DISABLE_PLUGINS 明确停用",
    ),
    "plugin_kind_failed": _m(
        "rule kind {2} of plugin {0} ({1}) failed on rule {3}, so it is not assessed: {4}",
        "插件 {0}({1})的规则类型 {2} 在规则 {3} 上出错,未能评估:{4}",
    ),
    "plugin_kind_no_row": _m(
        "rule kind {0} of plugin {1} gave no status here",
        "插件 {1} 的规则类型 {0} 未给出此项结果",
    ),
    "rule_set_missing": _m(
        "{0} ({1}) has rules of its own for this framework in the plugin {2} ({3}), which is not "
        "installed, so this county was judged by national rules only — install it (pip install {3}), "
        "or switch it off on purpose with EDUSCORE_DISABLE_PLUGINS={4}",
        "{5}({1})另有本框架的评估规则,在插件 {2}({3})中,该插件未安装,本县只按国家规则评估:"
        "请安装(pip install {3}),或用 EDUSCORE_DISABLE_PLUGINS={4} 明确停用",
    ),
    # ---------------------------------------------------------------- workbooks and the CLI
    "xlsx.cut": _m(
        "This sheet shows the first {0} of its {1} rows (an Excel sheet holds at most 1,048,576); "
        "the whole table: {2}",
        "本表只列出全部 {1} 行中的前 {0} 行(Excel 工作表最多 1,048,576 行);完整数据见:{2}",
    ),
    "xlsx.full_data": _m(
        "result.json with its Parquet files, or --format parquet / csv",
        "result.json 及其旁边的 Parquet 文件,或 --format parquet / csv 的输出",
    ),
    "xlsx.full_margins": _m(
        "eduscore.margins(result), or eduscore plan -o FOLDER (margins.csv)",
        "eduscore.margins(result),或 eduscore plan -o 文件夹(margins.csv)",
    ),
    "xlsx.summary": _m(
        "Summary of {0} counties: verdicts, the checks that fail or were not assessed, CVs by county, "
        "data problems and the row accounting. Per-school data: result.json with its Parquet files, or "
        "--format parquet / csv. One full workbook per county (per-school sheets, live CV formulas, "
        "plan): --xlsx-per-county, written into {1}/.",
        "{0} 个县的汇总:认定结论、未达标或未评估的检查项、各县差异系数、数据问题和行数核对。"
        "分校数据见 result.json 及其 Parquet 文件,或 --format parquet / csv 的输出。"
        "每县一个完整工作簿(分校数据、差异系数公式、达标方案):加 --xlsx-per-county,写入 {1}/ 文件夹。",
    ),
    "xlsx.per_county_written": _m(
        "One full workbook per county: {0}/ ({1} files).",
        "每县一个完整工作簿:{0}/(共 {1} 个文件)。",
    ),
    "xlsx.notice": _m(
        "report.xlsx: {0} sheet(s) could not hold all their rows; each says at its top what was left "
        "out and where the whole table is: {1}",
        "report.xlsx:{0} 个工作表未能列出全部行,各表顶部注明了省略的行数和完整数据的位置:{1}",
    ),
    "cli.xlsx_per_county": _m(
        "with --format xlsx and several counties (report.xlsx is then a summary): also write one full "
        "workbook per county into report-counties/",
        "与 --format xlsx 同用且有多个县时(report.xlsx 为汇总):"
        "另在 report-counties/ 中为每个县写一个完整工作簿",
    ),
    "area.city": _m("city", "地市"),
    "area.province": _m("province", "省"),
}

_FIELDS = re.compile(r"\{(\d+)\}")


def coded(code: str, *args: object) -> str:
    """A coded reason: ``code`` with its arguments, to be rendered by :func:`render`."""
    if code not in CATALOG:
        raise KeyError(f"no message {code!r} in the catalog")
    return SEP + SEP.join([code, *(str(a) for a in args)])


def coded_array(code: str, *args: pa.Array | pa.ChunkedArray | str) -> pa.Array | pa.ChunkedArray:
    """A coded reason per row, with arguments that are columns (or constants)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if code not in CATALOG:
        raise KeyError(f"no message {code!r} in the catalog")
    parts = [
        pa.scalar(SEP + code),
        *(pa.scalar(a) if isinstance(a, str) else pc.cast(a, pa.string()) for a in args),
    ]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, SEP)


def register_kind_messages(kind: Any) -> None:
    """Add a rule kind's own reason codes to the catalog, under ``kind.<kind id>.<code>``
    (:class:`~eduscore.model.records.RuleKind`), so its reasons render like eduscore's."""
    for code, message in kind.messages.items():
        CATALOG[kind.message_code(code)] = message


def label(code: str, lang: str) -> str:
    """One catalog entry as text (a verdict, a status, a noun)."""
    return CATALOG[code].get(lang)


def text(reason: str | None, lang: str) -> str | None:
    """One coded reason rendered (a plain text is returned as it is)."""
    import pyarrow as pa

    if reason is None:
        return None
    return str(render(pa.array([reason], pa.string()), lang)[0].as_py())


def render(column: pa.Array | pa.ChunkedArray, lang: str, *, dictionary: bool = False) -> pa.Array:
    """Every coded reason of ``column`` rendered in ``lang`` ("zh" or "en"); other texts
    and nulls pass through. Vectorised: the distinct reasons are rendered (one pass per
    message code over them) and spread back to the rows with one ``take`` — a long table
    of unit checks holds a few dozen distinct reasons in hundreds of thousands of rows.
    With ``dictionary``, the result stays dictionary-encoded (the rendering of the same
    column in another language then shares its indices)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(col.type):
        if col.null_count == len(col) and not dictionary:
            return pc.cast(col, pa.string())
        col = pc.dictionary_encode(pc.cast(col, pa.string()))
    indices = col.indices
    rendered = _render_plain(pc.cast(col.dictionary, pa.string()), lang)
    if dictionary:
        return pa.DictionaryArray.from_arrays(indices, rendered)
    return pc.take(rendered, indices)


def _render_plain(col: pa.Array, lang: str) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    is_coded = pc.fill_null(pc.starts_with(col, SEP), False)
    if not pc.any(is_coded).as_py():
        return col
    parts = pc.split_pattern(pc.if_else(is_coded, col, pa.scalar(None, pa.string())), SEP)
    codes = pc.list_element(parts, 1)
    out = col
    for code in pc.unique(pc.drop_null(codes)).to_pylist():
        mask = pc.fill_null(pc.equal(codes, code), False)
        mine = pc.filter(parts, mask)
        template = CATALOG[code].get(lang) if code in CATALOG else code
        rendered = _fill(template, mine, lang)
        out = pc.replace_with_mask(out, mask, rendered)
    return out


def _fill(template: str, parts: pa.Array, lang: str) -> pa.Array:
    """``template`` with ``{i}`` replaced by argument i of each row's parts."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces: list[pa.Array | pa.Scalar] = []
    at = 0
    n = len(parts)
    lengths = pc.list_value_length(parts)
    for m in _FIELDS.finditer(template):
        if m.start() > at:
            pieces.append(pa.scalar(template[at : m.start()]))
        i = int(m.group(1)) + 2  # parts: "", code, arg0, arg1, …
        has = pc.greater(lengths, i)
        safe = pc.if_else(has, parts, pa.scalar([""] * (i + 1), pa.list_(pa.string())))
        arg = pc.list_element(safe, i)
        pieces.append(_translated(arg, lang))
        at = m.end()
    if at < len(template):
        pieces.append(pa.scalar(template[at:]))
    if not pieces:
        return pa.array([""] * n, pa.string())
    if len(pieces) == 1:
        only = pieces[0]
        return pa.repeat(only, n) if isinstance(only, pa.Scalar) else only
    return pc.binary_join_element_wise(*pieces, "")


def _translated(arg: pa.Array, lang: str) -> pa.Array:
    """Arguments written ``§key`` rendered from the catalog; others as they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keyed = pc.fill_null(pc.starts_with(arg, KEY), False)
    if not pc.any(keyed).as_py():
        return arg
    keys = sorted(k for k in CATALOG if not _FIELDS.search(CATALOG[k].en))
    index = pc.index_in(pc.utf8_slice_codeunits(arg, len(KEY)), value_set=pa.array(keys))
    values = pa.array([CATALOG[k].get(lang) for k in keys], pa.string())
    looked = pc.take(values, index)
    return pc.if_else(pc.and_(keyed, pc.is_valid(looked)), looked, arg)


def placeholders(template: str) -> set[str]:
    """The ``{i}`` fields of a template (both languages must have the same)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def unit_key(unit: str) -> str:
    """The noun argument of a table of units: ``§units.sections`` / ``§units.kindergartens``."""
    return f"{KEY}units.{'kindergartens' if unit == 'kindergartens' else 'sections'}"


def count_key(unit: str) -> str:
    """The counted noun: "3 个学校(学段)" / "3 所幼儿园"."""
    return f"{KEY}count.{'kindergartens' if unit == 'kindergartens' else 'sections'}"


__all__: Sequence[str] = [
    "CATALOG",
    "KEY",
    "SEP",
    "coded",
    "coded_array",
    "count_key",
    "label",
    "placeholders",
    "render",
    "text",
    "unit_key",
]
