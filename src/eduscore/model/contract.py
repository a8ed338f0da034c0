"""The data contract (``data-contract.md``) as data: tables, columns, types, Chinese headers.

The column names are the public contract. Readers map the Chinese header aliases onto
them; frameworks' formulas are checked against them; the template and the docs are
generated from them.
"""

from __future__ import annotations

from typing import Literal

import attrs

ColumnType = Literal["int", "float", "rate", "str", "enum", "bool"]
TableName = Literal["schools", "sections", "counties", "kindergartens"]

LEVELS = ("primary", "junior")

SCHOOL_TYPES = {
    "primary": "小学",
    "junior": "初级中学",
    "nine_year": "九年一贯制学校",
    "twelve_year": "十二年一贯制学校",
    "complete_middle": "完全中学",
    "teaching_point": "教学点",
    "special": "特殊教育学校",
}
OWNERSHIP = {"public": "公办", "private": "民办"}
LOCATION = {"urban": "城区", "town": "镇区", "rural": "乡村"}
KINDERGARTEN_CATEGORIES = {
    "public": "公办",
    "private_inclusive": "普惠性民办",
    "private_other": "其他民办",
}
LEVEL_NAMES = {"primary": "小学", "junior": "初中", "senior": "高中"}


@attrs.frozen
class Column:
    name: str
    type: ColumnType
    zh: str
    required: bool = False
    enum: tuple[str, ...] = ()
    note: str = ""
    #: Values outside this range are impossible (an error): a monitoring level of 5.
    valid: tuple[float, float] | None = None
    #: Values outside this range are possible but suspicious (a warning): a yearly pay of
    #: 13.5 is 万元 typed into a 元 column.
    usual: tuple[float, float] | None = None

    @property
    def kind(self) -> Literal["number", "text", "bool"]:
        """The formula-language kind of this column."""
        if self.type in ("int", "float", "rate"):
            return "number"
        return "bool" if self.type == "bool" else "text"


def _per_level(name: str, type_: ColumnType, zh: str, note: str = "") -> list[Column]:
    return [Column(f"{name}_{level}", type_, f"{LEVEL_NAMES[level]}{zh}", note=note) for level in LEVELS]


# Columns of the wide `schools` table that are counted per level ("_primary"/"_junior").
LEVEL_COUNTS = (
    ("students", "在校生数"),
    ("teachers", "专任教师数"),
    ("teachers_above_degree", "高于规定学历专任教师数"),
    ("backbone_teachers", "县级以上骨干教师数"),
    ("pe_arts_teachers", "体育艺术(音乐美术)专任教师数"),
    ("pe_arts_teachers_shared", "走教兼职体育艺术教师数"),
    ("mid_senior_title_teachers", "中级及以上职称教师数"),
    ("classes", "班级数"),
    ("max_class_size", "最大班额"),
)

# Stock resources reported once per school and split between levels (frameworks.md §1.3).
SHARED_RESOURCES = (
    ("teaching_aux_area_m2", "float", "教学及辅助用房面积(平方米)"),
    ("indoor_sports_area_m2", "float", "室内体育用房面积(平方米)"),
    ("sports_area_m2", "float", "体育运动场馆面积(平方米)"),
    ("sports_area_extra_m2", "float", "可计入的屋顶/地下/租用体育场地面积(平方米)"),
    ("equipment_value_cny", "float", "教学仪器设备值(元)"),
    ("multimedia_classrooms", "int", "网络多媒体教室数"),
    ("computers", "int", "计算机台数"),
    ("books", "int", "图书册数"),
)

# School-level facts copied unchanged onto every section of the school.
SCHOOL_FACTS: tuple[Column, ...] = (
    Column("music_rooms", "int", "音乐专用教室数"),
    Column("art_rooms", "int", "美术专用教室数"),
    Column("music_room_min_area_m2", "float", "最小音乐教室面积(平方米)"),
    Column("art_room_min_area_m2", "float", "最小美术教室面积(平方米)"),
    Column("built_year", "int", "建校(规划建设)年份"),
    Column("migrant_share", "rate", "随迁子女占比"),
    Column("training_budget_share", "rate", "教师培训经费占公用经费比例"),
    Column("central_city_dense", "bool", "中心城区人口密集学校"),
)

SCHOOL_IDENTITY: tuple[Column, ...] = (
    Column("year", "int", "年份"),
    Column("county_code", "str", "县区代码", required=True),
    Column("county_name", "str", "县区名称"),
    Column("school_id", "str", "学校标识码", required=True),
    Column("school_name", "str", "学校名称", required=True),
    Column("school_type", "enum", "学校类型", required=True, enum=tuple(SCHOOL_TYPES)),
    Column("ownership", "enum", "办学性质", enum=tuple(OWNERSHIP), note="default public"),
    Column("location", "enum", "城乡分类", enum=tuple(LOCATION)),
    Column("education_group", "str", "教育集团"),
)

SCHOOLS: tuple[Column, ...] = (
    *SCHOOL_IDENTITY,
    *_per_level("students", "int", "在校生数"),
    Column("students_senior", "int", "高中在校生数", note="only serves the resource split"),
    *[c for name, zh in LEVEL_COUNTS[1:] for c in _per_level(name, "int", zh)],
    # Whole-school counts, split by the §1.3 shares when the per-level count is missing.
    *[
        Column(name, "int", f"全校{zh}", note="whole school; split by shares, flagged estimated")
        for name, zh in LEVEL_COUNTS[1:7]
    ],
    *[Column(name, type_, zh) for name, type_, zh in SHARED_RESOURCES],  # type: ignore[arg-type]
    *SCHOOL_FACTS,
)

SECTIONS: tuple[Column, ...] = (
    *SCHOOL_IDENTITY,
    Column("level", "enum", "学段", required=True, enum=LEVELS),
    *[Column(name, "int", zh) for name, zh in LEVEL_COUNTS],
    # Already split between levels by student shares: fractions of a room or a computer.
    *[Column(name, "float", zh, note="this level's share") for name, _, zh in SHARED_RESOURCES],
    *SCHOOL_FACTS,
    Column(
        "school_students", "int", "全校义务教育在校生数", note="derived: compulsory students of the school"
    ),
    Column("school_classes", "int", "全校义务教育班级数", note="derived: compulsory classes of the school"),
)

COUNTIES: tuple[Column, ...] = (
    Column("county_code", "str", "县区代码", required=True),
    Column("county_name", "str", "县区名称"),
    Column("year", "int", "年份"),
    # quality-balance-2017
    Column("basic_balance_certified_year", "int", "基本均衡认定年份"),
    Column("basic_balance_maintained", "bool", "基本均衡年度监测保持较高水平"),
    Column("school_layout", "bool", "学校布局合理"),
    Column("unified_standards", "bool", "城乡统一标准"),
    Column("small_school_funding", "bool", "小规模学校按100人拨付公用经费"),
    Column("special_ed_funding_per_student", "float", "特殊教育生均公用经费(元)", usual=(500, 200_000)),
    Column("teacher_avg_pay", "float", "教师平均工资收入(元)", usual=(10_000, 1_000_000)),
    Column("civil_servant_avg_pay", "float", "当地公务员平均工资收入(元)", usual=(10_000, 1_000_000)),
    Column("performance_pay_set", "bool", "绩效工资核定到位"),
    Column("training_360h_completion", "rate", "五年360学时培训完成率"),
    Column("staffing_pooling", "bool", "县级统筹分配编制岗位"),
    Column("rotation_rate", "rate", "教师交流轮岗比例"),
    Column("rotation_backbone_share", "rate", "交流轮岗中骨干教师比例"),
    Column("teacher_certification_rate", "rate", "专任教师持证上岗率"),
    Column("nearby_enrollment_primary", "rate", "小学就近划片入学比例"),
    Column("nearby_enrollment_junior", "rate", "初中就近划片入学比例"),
    Column("hs_quota_allocation", "rate", "优质高中招生名额分配比例"),
    Column("left_behind_care_system", "bool", "留守儿童关爱体系健全"),
    Column("migrant_public_share", "rate", "随迁子女在公办及政府购买学位学校就读比例"),
    Column("junior_retention_3yr", "rate", "初中三年巩固率"),
    Column("disabled_enrollment", "rate", "残疾儿童少年入学率"),
    Column("charter_and_ict_management", "bool", "学校章程与信息化管理"),
    Column("ict_teaching_use", "bool", "信息技术应用"),
    Column("moral_education_culture", "bool", "德育与校园文化"),
    Column("curriculum", "bool", "课程开齐开足"),
    Column("no_excess_burden", "bool", "无过重课业负担"),
    Column("monitoring_level_min", "int", "国家质量监测最低等级(1-4)", valid=(1, 4)),
    Column("monitoring_difference_rate", "float", "国家质量监测校际差异率", usual=(0, 1)),
    Column("social_recognition", "rate", "社会认可度"),
    Column("veto_exam_admission", "bool", "存在考试招生(一票否决)"),
    Column("veto_illegal_school_choice", "bool", "存在违规择校(一票否决)"),
    Column("veto_key_schools_classes", "bool", "存在重点校重点班(一票否决)"),
    Column("veto_unfilled_posts", "bool", "存在有编不补或长期聘用编外教师(一票否决)"),
    Column("veto_major_incident", "bool", "发生重大安全责任事故或严重违纪(一票否决)"),
    Column("veto_falsification", "bool", "存在弄虚作假(一票否决)"),
    Column("veto_tutoring_governance", "bool", "校外培训治理不力(一票否决)"),
    # basic-balance-2012
    Column("government_work_score", "float", "政府推进工作得分(0-100)", valid=(0, 100)),
    Column("public_satisfaction", "rate", "公众满意度"),
    Column("provincial_standard_met", "bool", "学校达到省定办学基本标准"),
    # preschool-2020
    Column("population_3_5", "int", "学前三年适龄人口"),
    Column("party_leadership", "bool", "党的领导"),
    Column("planning", "bool", "规划布局"),
    Column("service_network", "bool", "每个乡镇至少一所公办中心园"),
    Column("estate_kindergartens", "bool", "小区配套园建设与使用"),
    Column("funding", "bool", "经费投入(生均拨款与普惠补助标准)"),
    Column("fees", "bool", "收费管理"),
    Column("teacher_pay", "bool", "教师工资待遇保障"),
    Column("safety", "bool", "安全管理(两年无重大事故)"),
    Column("regulation", "bool", "监管体系"),
    Column("staffing", "bool", "两教一保与公办园编制"),
    Column("scientific_care", "bool", "科学保教(无小学化)"),
)

KINDERGARTENS: tuple[Column, ...] = (
    Column("year", "int", "年份"),
    Column("county_code", "str", "县区代码", required=True),
    Column("county_name", "str", "县区名称"),
    Column("kindergarten_id", "str", "幼儿园标识码", required=True),
    Column("kindergarten_name", "str", "幼儿园名称", required=True),
    Column("category", "enum", "办园类别", required=True, enum=tuple(KINDERGARTEN_CATEGORIES)),
    Column("children", "int", "在园幼儿数", required=True),
    Column("full_time_teachers", "int", "专任教师数"),
    Column("certified_teachers", "int", "持证专任教师数"),
    Column("caregivers", "int", "保育员数"),
    Column("head_certified", "bool", "园长持证"),
    Column("classes", "int", "班级数"),
    Column("classes_oversize", "int", "超额班级数"),
    Column("design_year", "int", "设计(建设)年份"),
    Column("outdoor_play_area_m2", "float", "户外活动场地面积(平方米)"),
    Column("activity_room_area_m2", "float", "活动室面积(平方米)"),
    Column("floor_area_m2", "float", "园舍建筑面积(平方米)"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "schools": SCHOOLS,
    "sections": SECTIONS,
    "counties": COUNTIES,
    "kindergartens": KINDERGARTENS,
}

ENUM_LABELS: dict[str, dict[str, str]] = {
    "school_type": SCHOOL_TYPES,
    "ownership": OWNERSHIP,
    "location": LOCATION,
    "category": KINDERGARTEN_CATEGORIES,
    "level": {k: LEVEL_NAMES[k] for k in LEVELS},
}


def columns(table: str) -> dict[str, Column]:
    """The contract's columns of ``table`` by name."""
    return {c.name: c for c in TABLES[table]}


def header_aliases(table: str) -> dict[str, str]:
    """Map every accepted header (English name, Chinese header) onto the contract name."""
    aliases: dict[str, str] = {}
    for col in TABLES[table]:
        aliases[col.name] = col.name
        aliases[col.zh] = col.name
    if table == "schools":
        aliases["equipment_value_10k_cny"] = "equipment_value_10k_cny"
        aliases["教学仪器设备值(万元)"] = "equipment_value_10k_cny"
    return aliases
