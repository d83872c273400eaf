"""The province this site serves: chosen by ``PROVINCE_CODE`` and read from here, so that no
other module names one."""

from __future__ import annotations

from flask import current_app

#: Each province's one-character short name (简称) as its documents' numbers begin with it
#: (云财农〔2020〕12号 in Yunnan), keyed by the code's first two digits.
SHORT_NAMES = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}


def province_code() -> str:
    """The configured province's 12-digit code: the root of every tree, total and default."""
    return str(current_app.config["PROVINCE_CODE"])


def short_name(code: str | None = None) -> str:
    """The short name of ``code``'s province (the configured one by default)."""
    return SHORT_NAMES.get((code or province_code())[:2], "")
