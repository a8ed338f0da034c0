"""``eduscore template``: an input workbook a county bureau fills in.

One sheet per table the framework reads (学校 / 县 / 幼儿园), Chinese headers with
units (the English column name in each header's comment), drop-down lists for
enumerations and yes/no cells, and an instructions sheet (说明). The workbook evaluates
as it is once filled: the sheet names and headers are the ones the readers look for.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from eduscore.model import contract
from eduscore.model.contract import ENUM_LABELS, Column
from eduscore.model.framework import Framework
from eduscore.model.needs import raw_inputs
from eduscore.plugins.catalog import rule_kinds
from eduscore.report.files import atomic_path, close_workbook
from eduscore.report.show import framework_for
from eduscore.report.text import xlsx_text

_YES_NO = ["是", "否"]


def _school_columns(fw: Framework, needs: frozenset[str]) -> list[Column]:
    """Wide-form columns: identity, the per-level counts, shared resources and school facts
    the framework's checks read (traced through derived columns such as 全校班级数), and
    the inputs its rule sets declare. Whole-school teacher counts, an alternative to the
    per-level ones, are left out."""
    whole_school = {name for name, _ in contract.LEVEL_COUNTS[1:7]}
    out = list(contract.SCHOOL_IDENTITY)
    have = {c.name for c in out}
    out += [
        c for c in contract.SCHOOLS if c.name in needs and c.name not in have and c.name not in whole_school
    ]
    have = {c.name for c in out}
    out += [
        c.column()
        for c in fw.inputs
        if c.table in ("schools", "sections") and c.name in needs and c.name not in have
    ]
    return out


def write_template(
    path: Path, framework: str = "quality-balance-2017", county: str | None = None, year: int | None = None
) -> Path:
    fw = framework_for(framework, county, year)
    with atomic_path(path, named=True) as tmp:
        _write_template(fw, tmp)
    return path


def _write_template(fw: Framework, path: Path) -> None:
    """The workbook; every text goes through :func:`xlsx_text`, since plugins supply
    labels and notes (xlsxwriter writes a control character in a drop-down list as
    invalid XML)."""
    needs = raw_inputs(fw, kinds=rule_kinds())
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    head = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    required = book.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "top"}
    )
    text = book.add_format({"num_format": "@"})
    sheets: list[tuple[str, list[Column]]] = []
    if fw.unit == "sections":
        sheets.append(("学校", _school_columns(fw, needs["schools"])))
    else:
        kg = contract.columns("kindergartens")
        cols = [
            c
            for c in contract.KINDERGARTENS
            if c.required or c.name in needs["kindergartens"] or c.name == "year"
        ]
        cols += [
            c.column()
            for c in fw.inputs
            if c.table == "kindergartens" and c.name not in kg and c.name in needs["kindergartens"]
        ]
        sheets.append(("幼儿园", cols))
    county_cols = contract.columns("counties")
    ccols = [county_cols["county_code"], county_cols["county_name"], county_cols["year"]]
    ccols += [c for c in contract.COUNTIES if c.name in needs["counties"] and c not in ccols]
    ccols += [
        c.column()
        for c in fw.inputs
        if c.table == "counties" and c.name not in county_cols and c.name in needs["counties"]
    ]
    sheets.append(("县", ccols))
    for sheet_name, cols in sheets:
        ws = book.add_worksheet(sheet_name)
        ws.set_row(0, 48)
        ws.freeze_panes(1, 2)
        for i, col in enumerate(cols):
            ws.write_string(0, i, xlsx_text(col.zh), required if col.required else head)
            note = f"{col.name} · {col.type}" + (" · required 必填" if col.required else "")
            if col.type == "rate":
                note += " · 比例: 0.85 或 85%"
            if col.note:
                note += f" · {col.note}"
            ws.write_comment(0, i, xlsx_text(note), {"x_scale": 1.6})
            ws.set_column(i, i, max(10, min(28, len(col.zh) * 2)), text if col.type in ("str",) else None)
            if col.type == "enum":
                labels = [xlsx_text(v) for v in ENUM_LABELS.get(col.name, {c: c for c in col.enum}).values()]
                ws.data_validation(
                    1,
                    i,
                    5000,
                    i,
                    {
                        "validate": "list",
                        "source": labels,
                        "error_message": "请从下拉列表中选择 / choose from the list",
                    },
                )
            elif col.type == "bool":
                ws.data_validation(1, i, 5000, i, {"validate": "list", "source": _YES_NO})
            elif col.type in ("int", "float"):
                ws.data_validation(
                    1,
                    i,
                    5000,
                    i,
                    {
                        "validate": "decimal",
                        "criteria": ">=",
                        "value": 0,
                        "error_message": "请输入非负数 / a non-negative number",
                    },
                )
    info = book.add_worksheet("说明")
    info.set_column(0, 0, 110)
    lines = [
        f"eduscore 数据模板 — {fw.name.zh}({fw.document['number']})",
        f"Input template for {fw.name.en} ({fw.id} v{fw.version})",
        "",
        "1. 每个工作表一张表:'学校' 每校一行(九年一贯制、十二年一贯制、完全中学按学段分别填写学生、教师数,"
        "校舍、设备等共用资源填全校合计,软件按 1:1.1:1.32 折算拆分);'县' 每县一行;'幼儿园' 每园一行。",
        "   One table per sheet: schools one row per school (per-level counts; shared resources for the whole "
        "school), counties one row per county, kindergartens one row per kindergarten.",
        "2. 县区代码填 6 位文本(如 330482);比例填 0.85 或 85%;金额单位为元(表头注明万元的除外);是/否 从下拉列表选择。",
        "   County codes are 6-digit text; rates as 0.85 or 85%; money in yuan; yes/no from the lists.",
        "3. 不掌握的数据留空,不要填 0:留空的指标显示为'未评估',结论为'资料不全'。",
        "   Leave unknown values empty, never 0: they are reported as not assessed.",
        "4. 红色表头为必填列。表头批注给出英文列名与类型。",
        "   Red headers are required; each header's comment gives the column name and type.",
        "5. 运行 / run:  eduscore evaluate 本文件.xlsx --out 报告"
        + (f" --framework {fw.id}" if fw.id != "quality-balance-2017" else ""),
        "",
        "本模板的列由评估办法自动生成 / columns generated from the framework document.",
    ]
    for r, line in enumerate(lines):
        info.write_string(r, 0, xlsx_text(line))
    close_workbook(book, path)
