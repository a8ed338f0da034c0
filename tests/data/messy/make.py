"""Regenerate the messy bureau files of this folder (the tests read the committed files).

    python tests/data/messy/make.py

Each file imitates a real problem of county bureau spreadsheets; expected.json lists the
findings each must produce (rule, row, column) and its row accounting.
"""

from __future__ import annotations

import json
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).parent


def gbk_schools() -> None:
    """GBK CSV exported from Excel: a title line, a header typo, a totals row, 85 typed for
    85 %, money in 万元, a duplicated school, a zero-student school, a 5-digit code, a
    school type that is almost right."""
    lines = [
        "2024年示例县义务教育学校基本情况表,,,,,,,,",
        "县区代码,学校标识码,学校名称,学校类型,小学在校生数,小学在校生人数,教学及辅助用房面积(平方米),教学仪器设备值(万元),随迁子女占比",
        "990101,A01,城关小学,小学,1200,1200,5600,260,0.12",
        "990101,A02,东湖小学,小学,800,800,3900,170,85",
        "990101,A02,东湖小学,小学,800,800,3900,170,0.2",
        "990101,A03,关停村小,小学,0,0,450,5,0.1",
        "99010,A04,西岭小学,小学,500,500,2400,110,0.05",
        "990101,A05,明德学校,九年制,600,600,5000,300,0.1",
        "合计,,,,3900,3900,20250,1015,",
    ]
    (HERE / "学校_gbk.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def workbook() -> None:
    """A workbook with a merged title, Chinese sheet names, a number written as text, more
    qualified teachers than teachers, a county sheet with 91 for 91 %, 有 for yes and a
    two-digit year, plus an instructions sheet that is not data."""
    book = xlsxwriter.Workbook(str(HERE / "县数据.xlsx"))
    ws = book.add_worksheet("学校基本情况")
    ws.merge_range(0, 0, 0, 6, "示例县 2024 年学校情况")
    ws.merge_range(1, 0, 1, 6, "(单位:人、平方米)")
    ws.write_row(
        2,
        0,
        [
            "县区代码",
            "学校标识码",
            "学校名称",
            "学校类型",
            "小学在校生数",
            "小学专任教师数",
            "小学高于规定学历专任教师数",
        ],
    )
    ws.write_row(3, 0, ["990101", "B01", "实验小学", "小学", 900, 50, 45])
    ws.write_row(4, 0, ["990101", "B02", "南山小学", "小学", "约200", 12, 10])
    ws.write_row(5, 0, ["990101", "B03", "北坡小学", "小学", 150, 8, 11])
    cs = book.add_worksheet("县级指标")
    cs.write_row(0, 0, ["县区代码", "年份", "社会认可度", "存在考试招生(一票否决)"])
    cs.write_row(1, 0, ["990101", 24, 91, "有"])
    book.add_worksheet("填表说明").write(0, 0, "请按统计口径填写")
    book.close()


def kindergartens() -> None:
    """Kindergartens: 80 children per teacher, more certified than full-time teachers, more
    oversize classes than classes, and a category written the other way round."""
    rows = [
        "county_code,kindergarten_id,kindergarten_name,category,children,full_time_teachers,certified_teachers,classes,classes_oversize",
        "990101,K1,机关幼儿园,公办,400,5,5,13,0",
        "990101,K2,阳光幼儿园,普惠性民办,300,20,25,10,0",
        "990101,K3,童心幼儿园,民办普惠,200,15,15,6,8",
    ]
    (HERE / "kindergartens.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


EXPECTED = {
    "学校_gbk.csv": {
        "args": ["--schools"],
        "findings": [
            ["unknown_column", 2, "(header)"],
            ["looks_like_percentage", 4, "migrant_share"],
            ["duplicate_id", 5, "school_id"],
            ["zero_students", 6, "students_primary"],
            ["county_code_format", 7, "county_code"],
            ["unknown_value", 8, "school_type"],
            ["totals_row", 9, "county_code"],
        ],
        # 随迁子女占比 85 is read by no check without the opt-in relaxation: a warning, row kept.
        "accounting": [{"rows": 7, "scored": 3, "excluded": 0, "rejected": 4, "unused": 0}],
        "messages": [
            "did you mean '小学在校生数'",
            "did you mean 'nine_year'",
            "this framework does not use the column",
        ],
    },
    "县数据.xlsx": {
        "args": [],
        "findings": [
            ["not_a_number", 5, "students_primary"],
            ["exceeds_teachers", 6, "teachers_above_degree_primary"],
            ["year_out_of_range", 2, "year"],
            ["looks_like_percentage", 2, "social_recognition"],
            ["not_yes_no", 2, "veto_exam_admission"],
        ],
        # The county row keeps its other facts: its bad cells alone are not read.
        "accounting": [
            {"rows": 3, "scored": 1, "excluded": 0, "rejected": 2, "unused": 0},
            {"rows": 1, "scored": 1, "excluded": 0, "rejected": 0, "unused": 0},
        ],
        "messages": ["looks like a percentage"],
    },
    "kindergartens.csv": {
        "args": ["--kindergartens", "--framework", "preschool-2020"],
        "findings": [
            ["children_per_teacher", 2, "children"],
            ["exceeds_teachers", 3, "certified_teachers"],
            ["unknown_value", 4, "category"],
            ["exceeds_classes", 4, "classes_oversize"],
        ],
        "accounting": [{"rows": 3, "scored": 1, "excluded": 0, "rejected": 2, "unused": 0}],
        "messages": ["did you mean 'private_inclusive'"],
    },
}


if __name__ == "__main__":
    gbk_schools()
    workbook()
    kindergartens()
    (HERE / "expected.json").write_text(
        json.dumps(EXPECTED, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
