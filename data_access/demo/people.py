"""Synthetic people for the demo: Chinese names, valid ID numbers (GB 11643), phone numbers.

Everything is vectorised over numpy arrays so that a million people take seconds.
"""

from __future__ import annotations

import numpy as np

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Roughly how common the first surnames are; the long tail shares the rest evenly.
_TOP_SURNAME_WEIGHTS = (7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 2.0, 1.9, 1.3, 1.2, 1.2, 1.1, 1.1, 1.0)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志文海东兵祥荣德福贵才"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂英萍红梅琳雪婷慧莹倩洁颖琴云兰凤秀月佳欣悦怡露琼"
SHARED_CHARS = "小春晓思子雨丹家金永成红玉秋"
TWO_CHAR_GIVEN_SHARE = 0.7

# Where the floating population comes from, and a few real county codes in each province.
ORIGIN_WEIGHTS = {
    "云南": 28,
    "贵州": 25,
    "四川": 17,
    "江西": 13,
    "安徽": 5,
    "河南": 5,
    "湖南": 3,
    "湖北": 2,
    "广西": 2,
}
COUNTY_CODES = {
    "云南": (530102, 530381, 530621, 530627, 530629, 532621),
    "贵州": (520102, 520221, 520526, 520524, 520203, 522627),
    "四川": (511623, 511325, 511722, 510823, 511529, 513433),
    "江西": (360730, 360735, 360428, 361128, 360731, 361127),
    "安徽": (341222, 341623, 341621),
    "河南": (411526, 411724, 411625),
    "湖南": (431321, 430524),
    "湖北": (421125, 422822),
    "广西": (450881, 451222),
}
PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
    "158", "159", "166", "173", "177", "180", "181", "182", "183", "186", "187", "188", "189", "191", "198",
)  # fmt: skip

# GB 11643: the weight of digit i (from the left) is 2**(17 - i) mod 11; the check character
# is looked up by the weighted sum mod 11 (idcard.check_char does the same one at a time).
_ID_WEIGHTS = 2 ** np.arange(17, 0, -1, dtype=np.int64) % 11
_CHECK_CHARS = np.array(list("10X98765432"), dtype=object)


def _surname_weights() -> np.ndarray:
    tail = len(SURNAMES) - len(_TOP_SURNAME_WEIGHTS)
    weights = np.array(_TOP_SURNAME_WEIGHTS + (0.4,) * tail)
    return weights / weights.sum()


def _pick(rng: np.random.Generator, chars: str, n: int) -> np.ndarray:
    return np.array(list(chars), dtype=object)[rng.integers(0, len(chars), n)]


def names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Names of two or three characters, given names fitting each person's gender."""
    n = len(male)
    surname = np.array(list(SURNAMES), dtype=object)[rng.choice(len(SURNAMES), n, p=_surname_weights())]
    last = np.where(male, _pick(rng, MALE_CHARS, n), _pick(rng, FEMALE_CHARS, n))
    middle_pool = np.where(
        male, _pick(rng, MALE_CHARS + SHARED_CHARS, n), _pick(rng, FEMALE_CHARS + SHARED_CHARS, n)
    )
    middle = np.where(rng.random(n) < TWO_CHAR_GIVEN_SHARE, middle_pool, "")
    # Avoid doubled characters such as 王伟伟 unless chosen on purpose.
    middle = np.where(middle == last, "", middle)
    return surname + middle + last


def origins(rng: np.random.Generator, n: int) -> np.ndarray:
    """Origin provinces, mostly 云南, 贵州, 四川 and 江西."""
    provinces = list(ORIGIN_WEIGHTS)
    weights = np.array(list(ORIGIN_WEIGHTS.values()), dtype=float)
    return np.array(provinces, dtype=object)[rng.choice(len(provinces), n, p=weights / weights.sum())]


def _county_codes(rng: np.random.Generator, provinces: np.ndarray) -> np.ndarray:
    codes = np.zeros(len(provinces), dtype=np.int64)
    for province, options in COUNTY_CODES.items():
        mask = provinces == province
        codes[mask] = np.array(options)[rng.integers(0, len(options), int(mask.sum()))]
    return codes


def id_numbers(
    rng: np.random.Generator, provinces: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """18-character ID numbers whose province, birth date (datetime64[D]) and gender match."""
    n = len(provinces)
    ymd = np.datetime_as_string(birth, unit="D")
    birth_digits = np.char.replace(ymd, "-", "").astype(np.int64)
    serial = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)  # odd 17th digit = male
    first17 = _county_codes(rng, provinces) * 10**11 + birth_digits * 10**3 + serial
    powers = 10 ** np.arange(16, -1, -1, dtype=np.int64)
    digits = (first17[:, None] // powers) % 10
    check = _CHECK_CHARS[(digits @ _ID_WEIGHTS) % 11]
    return first17.astype(str).astype(object) + check


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """11-digit mobile numbers."""
    prefix = np.array(PHONE_PREFIXES, dtype=object)[rng.integers(0, len(PHONE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8).astype(object)
    return prefix + rest


def birth_dates(rng: np.random.Generator, on: np.ndarray, min_age: int, max_age: int) -> np.ndarray:
    """Birth dates making people min_age..max_age years old on the days `on` (datetime64[D])."""
    age_days = rng.integers(int(min_age * 365.25), int(max_age * 365.25), len(on))
    return on - age_days.astype("timedelta64[D]")
