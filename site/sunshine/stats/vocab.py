"""The fixed vocabularies of the register: causes, measures, statuses and member attributes.

Codes are small integers stored in the register; the labels are the words of DOMAIN.md. A code's
position never changes (rollups and imports rely on it); new entries go at the end.
"""

from __future__ import annotations

#: The years of targeted poverty alleviation the register covers (精准扶贫, 2014–2020).
FIRST_YEAR = 2014
LAST_YEAR = 2020
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))

#: 主要致贫原因, in the order of the national register; code = index + 1.
CAUSES = ("因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金",
          "交通条件落后", "自身发展动力不足")
CAUSE_CODES = {label: i + 1 for i, label in enumerate(CAUSES)}

#: 帮扶措施; bit i of a household's ``measures`` means MEASURES[i] was applied.
MEASURES = ("产业扶持", "转移就业", "易地扶贫搬迁", "教育扶贫", "健康扶贫", "危房改造",
            "金融扶贫", "生态补偿", "社保兜底", "公益岗位")
MEASURE_BITS = {label: i for i, label in enumerate(MEASURES)}

#: Household size bands (户规模).
SIZE_BANDS = ("1人户", "2人户", "3人户", "4人户", "5人及以上户")


def size_band(size: int) -> int:
    """0 … 4: one person, two, three, four, five or more."""
    return min(size, 5) - 1


#: Status of a household at the end of a year.
NEW, POOR, EXITED, RETURNED, REMOVED = "新识别", "贫困", "已脱贫", "返贫", "剔除"
STATUSES = (NEW, POOR, EXITED, RETURNED, REMOVED)
IN_POVERTY = frozenset({NEW, POOR, RETURNED})

#: Members: relation to the head, health, schooling, labour ability (codes = index).
RELATIONS = ("户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女", "之父", "之母",
             "之兄弟姐妹", "其他")
HEALTH = ("健康", "长期慢性病", "患有大病", "残疾")
SCHOOLING = ("学龄前儿童", "文盲或半文盲", "小学", "初中", "高中", "大专及以上", "在校生")
LABOUR = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
SEXES = ("女", "男")

RELATION_CODES = {label: i for i, label in enumerate(RELATIONS)}
HEALTH_CODES = {label: i for i, label in enumerate(HEALTH)}
SCHOOLING_CODES = {label: i for i, label in enumerate(SCHOOLING)}
LABOUR_CODES = {label: i for i, label in enumerate(LABOUR)}


def status_in(year: int, entered: int, exited: int = 0, returned: int = 0, reexited: int = 0,
              removed: int = 0) -> str | None:
    """The household's status at the end of ``year`` from its event years (0 = never).

    None before it entered the register. A household exits, may return to poverty the year
    after at the earliest, and may exit again; 剔除 takes it off the register for good.
    """
    if year < entered:
        return None
    if removed and year >= removed:
        return REMOVED
    if reexited and year >= reexited:
        return EXITED
    if returned and year >= returned:
        return RETURNED if year == returned else POOR
    if exited and year >= exited:
        return EXITED
    return NEW if year == entered else POOR


def check_events(entered: int, exited: int, returned: int, reexited: int,
                 removed: int) -> str | None:
    """A message when the event years cannot describe one household's history, else None."""
    if not FIRST_YEAR <= entered <= LAST_YEAR:
        return f"识别年度应在 {FIRST_YEAR}–{LAST_YEAR} 之间"
    for year in (exited, returned, reexited, removed):
        if year and not FIRST_YEAR <= year <= LAST_YEAR:
            return f"年度应在 {FIRST_YEAR}–{LAST_YEAR} 之间"
    if exited and exited <= entered:
        return "脱贫年度应晚于识别年度"
    if returned and (not exited or returned <= exited):
        return "返贫年度应晚于脱贫年度"
    if reexited and (not returned or reexited <= returned):
        return "再次脱贫年度应晚于返贫年度"
    if removed:
        # 剔除 corrects a wrong identification: only while the household is in poverty, and
        # nothing happens to it afterwards.
        if removed < entered:
            return "剔除年度不能早于识别年度"
        if any(year and year >= removed for year in (exited, returned, reexited)):
            return "剔除以后不能再有脱贫或返贫"
        if removed > entered and status_in(removed - 1, entered, exited, returned,
                                           reexited) not in IN_POVERTY:
            return "只能剔除仍在贫困中的户（已脱贫户不剔除）"
    return None
