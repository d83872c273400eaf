"""Place names as people type them: 都安瑶族自治县, 都安瑶族, 都安, duan, da.

A region's document carries these keys in the index (field ``place``); a query that is one of
them shows the region first, as a best bet.
"""

from __future__ import annotations

import re

from sunshine.search import pinyin

#: Endings of a region's name that people leave out, longest first.
SUFFIXES = ("自治县", "自治州", "自治区", "自治旗", "街道办事处", "街道", "社区", "村委会",
            "居委会", "县", "区", "市", "旗", "乡", "镇", "村")
#: The peoples named in autonomous counties, dropped with the suffix: 三江侗族自治县 → 三江.
PEOPLES = """各族 壮族 瑶族 苗族 侗族 仫佬族 毛南族 回族 京族 彝族 水族
仡佬族 土家族 布依族 蒙古族 藏族 维吾尔族 哈萨克族 朝鲜族 满族
白族 傣族 哈尼族 黎族 畲族 羌族 土族 纳西族 傈僳族 佤族 拉祜族
景颇族 达斡尔族 锡伯族 撒拉族 东乡族 保安族 裕固族 鄂温克族
鄂伦春族 赫哲族 怒族 独龙族 普米族 阿昌族 德昂族 基诺族 门巴族
珞巴族 塔吉克族 柯尔克孜族 乌孜别克族 俄罗斯族 塔塔尔族 高山族""".split()
_PEOPLES_AT_END = re.compile("(?:" + "|".join(sorted(PEOPLES, key=len, reverse=True)) + ")+$")
_SPACES = re.compile(r"[\s'’·]+")


def short_names(name: str) -> list[str]:
    """The name and its shorter forms of at least two characters: 都安瑶族自治县, 都安瑶族, 都安."""
    names = [name]
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            base = name[: -len(suffix)]
            names.append(base)
            bare = _PEOPLES_AT_END.sub("", base)
            if bare != base and len(bare) >= 2:
                names.append(bare)
            break
    return list(dict.fromkeys(names))


def keys(name: str) -> list[str]:
    """Every key a region is found by: its names, and their pinyin and initials."""
    found: list[str] = []
    for form in short_names(name):
        found += [form, *pinyin.joined(form), *pinyin.joined(form, first_letters=True)]
    return list(dict.fromkeys(found))


def normalise(text: str) -> str:
    """A query as a key: lowercased, without spaces or apostrophes (``Du An`` → ``duan``)."""
    return _SPACES.sub("", text.strip().lower())
