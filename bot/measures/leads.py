"""What a question asks for ("how often / how many", "who", "by when"), and what the sentence that answers it has.

The answer leads with the measure's sentence that answers (``MeasureIndex._lead``): for these questions a sentence with
a number, a role or a date is preferred.
"""

from __future__ import annotations

import re

ASKS = {
    "count": re.compile(r"多久|几次|多少|几个|几名|几人|比例|频次|频率|一年|每年|每月|how often|how many|how much"
                        r"|times a|per cent|percent|ratio|share of"),
    "who": re.compile(r"谁|哪个部门|哪个单位|什么人|哪些人|由哪|\bwho\b|\bwhom\b|which body|which person"),
    "when": re.compile(r"多长时间|什么时候|何时|期限|几个月|几天|多久|\bwhen\b|how long|by when|deadline|within"),
}  # fmt: skip
HAS = {
    "count": re.compile(
        r"\d|[一二三四五六七八九十两]\s*[次个名项年月]|至少|每年|每月|定期|at least|once|every|per cent|%"
    ),
    "who": re.compile(r"书记|负责人|担任|由|党组|党委|工委|纪委|委员|secretar|responsib|head|committee|lead"),
    "when": re.compile(r"\d|月内|每年|定期|年度|任前|within|months?|year|annual|regular"),
}  # fmt: skip
