"""Resident ID numbers (公民身份号码, GB 11643-1999): check digit, province, birth date, gender."""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

PROVINCES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门",
}  # fmt: skip

ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def check_char(first17: str) -> str:
    """The 18th character that makes `first17` a valid ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    """Strip spaces and upper-case a trailing x (people type 'x' for 'X')."""
    return value.strip().upper()


def problem(value: str) -> str | None:
    """Why `value` is not a valid ID number, or None when it is."""
    if len(value) != 18:
        return "ID number must have 18 characters"
    if not ID_SHAPE.fullmatch(value):  # ASCII only: str.isdigit() takes ², ① and ２, which int() may refuse
        return "ID number must be 17 digits and a digit or X"
    if value[:2] not in PROVINCES:
        return "ID number has an unknown province code"
    try:
        birth_date(value)
    except ValueError:
        return "ID number holds an impossible birth date"
    if check_char(value[:17]) != value[17]:
        return "ID number check digit is wrong"
    return None


def province(value: str) -> str | None:
    return PROVINCES.get(value[:2])


def birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender(value: str) -> str:
    """男 when the 17th digit is odd, 女 when even."""
    return "男" if int(value[16]) % 2 else "女"
