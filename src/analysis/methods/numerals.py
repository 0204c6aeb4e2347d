"""Chinese numerals: ``三`` → 3, ``二十五`` → 25, ``两成`` → 20 %, ``翻一番`` → +100 %.

:func:`chinese_to_number` reads a numeral written in Chinese characters;
:data:`CN_NUM` is the regular expression of such a numeral. Targets use them
for values such as ``新增三个``, ``四级以上``, ``提高两成``, ``翻一番``.
"""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
#: a Chinese numeral of at most four characters (一, 十二, 二十五, 一百)
CN_NUM = r"[一二两三四五六七八九十百千〇零]{1,4}"


def chinese_to_number(text: str) -> float:
    """The value of a Chinese numeral below 10,000 (``十二`` → 12, ``两百`` → 200, ``一〇`` → 10).

    Raises ``ValueError`` for anything else.
    """
    if not text or any(c not in DIGITS and c not in UNITS for c in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(c in UNITS for c in text):  # digit by digit: 一〇 → 10
        return float(int("".join(str(DIGITS[c]) for c in text)))
    total, digit = 0, None
    for c in text:
        if c in DIGITS:
            digit = DIGITS[c]
        else:
            total += (1 if digit is None else digit) * UNITS[c]
            digit = None
    return float(total + (digit or 0))


#: 翻一番 = twice the base (+100 %), 翻两番 = four times (+300 %)
DOUBLINGS = {"翻一番": 100.0, "翻两番": 300.0, "翻三番": 700.0}
