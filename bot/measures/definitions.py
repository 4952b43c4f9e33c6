"""What a Party term means, told first when a question asks it: the notice uses the terms without saying.

"三会一课具体是哪三会哪一课", "什么是主题党日", "what does political birthday mean": the measures name 三会一课 or
the theme Party day but never say what they are, so the answer quoted a measure that assumes the asker knows. The
meanings are the project glossary's (``data/definitions.json``); the reply gives the meaning first, then the
measure as before (a question asking what a term is still has the measure that names it as its answer).

Only a question that asks what the term is counts: not "主题党日是什么时候" or "what is party dues used for".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.measures.analysis import normalize

MAX_DEFINITIONS = 2  # "三会一课和主题党日有什么区别" asks two; more is a list, not a question


@dataclass(frozen=True)
class Definition:
    """A term as the reply names it and what it means, in one language."""

    id: str
    term: str
    text: str


# Asking what the term is, before it ("什么是", "何谓") or after it ("是什么", "什么意思", "具体是哪", "包括哪些").
_ZH_BEFORE = r"(?:什么是|什么叫(?:做)?|啥是|啥叫|何为|何谓|解释一下|介绍一下)\s*[“\"「]?"
_ZH_AFTER = (
    r"[”\"」]?\s*(?:到底|究竟|具体|主要)?(?:是(?:个|指)?(?:什么|啥)(?!时候|时间|地方|日子)(?:意思|东西|概念|含义)?"
    r"|指(?:的是)?(?:什么|啥|哪些)|(?:是)?(?:什么|啥)意思|是哪(?:几|些|[一二三四五六七八九十两])|包括(?:哪些|什么|啥)|有哪些内容"
    r"|的(?:意思|含义|定义))"
)
_ZH_DIFFER = r"(?:之间)?(?:有什么|有啥|的)?(?:区别|不同|差别)"
# The term ends there: "什么是党组" is not "什么是党组织".
_ZH_END = r"(?=$|[\s?？。.!！，,、”\"」]|啊|呀|呢|吗|嘛|哦)"
_EN_BEFORE = (
    r"\b(?:what(?:'s|’s| is| are| does| do)|define|definition of|meaning of|explain)\s+(?:the\s+|a\s+|an\s+)?[\"“]?"
)
# Not what it is used for or when it is held ("what is party dues used for", "what is the theme day date").
_EN_NOT_AFTER = r"(?!\s+(?:used|spent|paid|held|for|date|day|time|schedule|frequency|requirement|rule))"


@cache
def _table() -> dict[str, tuple[tuple[re.Pattern[str], Definition], ...]]:
    """Per language: a pattern for each term (asked what it is) and the term's definition."""
    data = json.loads(resources.files("bot.measures").joinpath("data", "definitions.json").read_text("utf-8"))
    out: dict[str, list[tuple[re.Pattern[str], Definition]]] = {"zh": [], "en": []}
    for entry in data["terms"]:
        for lang in ("zh", "en"):
            side = entry[lang]
            names = "|".join(re.escape(normalize(n)) for n in sorted(side["names"], key=len, reverse=True))
            if lang == "zh":
                # Or how two terms differ ("组织生活会和民主评议有什么区别"): both are asked.
                pattern = (
                    rf"{_ZH_BEFORE}(?:{names}){_ZH_END}|(?:{names}){_ZH_AFTER}"
                    rf"|(?:{names})(?=[^。？?]{{0,16}}{_ZH_DIFFER})|(?:和|与|跟)(?:{names}){_ZH_DIFFER}"
                )
            else:
                pattern = rf"{_EN_BEFORE}(?:{names})\b{_EN_NOT_AFTER}|\b(?:{names})[\"”]?\s+means?\b"
            out[lang].append((re.compile(pattern), Definition(entry["id"], side["term"], side["text"])))
    return {lang: tuple(rows) for lang, rows in out.items()}


def asked_definitions(question: str, lang: str) -> tuple[Definition, ...]:
    """The terms whose meaning ``question`` asks, each in ``lang`` ("zh" or "en"), in the table's order; at most
    MAX_DEFINITIONS (empty for most questions)."""
    text = normalize(question)
    asked = {d.id for lang_rows in _table().values() for pattern, d in lang_rows if pattern.search(text)}
    if not asked or len(asked) > MAX_DEFINITIONS:
        return ()
    return tuple(d for _, d in _table()["en" if lang == "en" else "zh"] if d.id in asked)
