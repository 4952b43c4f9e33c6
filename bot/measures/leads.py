"""What a question asks for ("how often / how many", "who", "by when"), and what the sentence that answers it has.

The answer leads with the measure's sentence that answers (``MeasureIndex._lead`` scores the sentences, ``leading``
chooses): for these questions a sentence with a number, a role or a date is preferred, if it is about what is asked
(``may_lead``). A question that asks for a figure the measures quoted do not give is told so (``no_figure_given``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from bot.measures.analysis import Analyzer, Query
from bot.measures.frequencies import asked_frequencies, without_how_often

# What is due at the year's end ("年底支部要交哪些党建材料"): the yearly task leads (session 36), and the chat points to
# the branch ledger the assistant keeps (pointers.py).
DUE_AT_YEAR_END = (
    r"(?:年底|年终|年末).{0,8}(?:交|报|提交|准备|写)"
    r"|^(?=.*\b(?:hand in|submit|prepare|report|summary|write)\b).*\b(?:year[- ]end|end of (?:the )?year)"
)
ASKS = {
    "count": re.compile(r"多久|几次|多少|几个|几名|几人|比例|频次|频率|一年|每年|每月|how often|how many|how much"
                        r"|times a|per cent|percent|ratio|share of"),
    "who": re.compile(r"谁|哪个部门|哪个单位|什么人|哪些人|由哪|\bwho\b|\bwhom\b|which body|which person"),
    "when": re.compile(r"多长时间|什么时候|何时|期限|几个月|几天|多久|\bwhen\b|how long|by when|deadline|within"
                       rf"|{DUE_AT_YEAR_END}"),
    # What is due at the year's end asks for the yearly report twice over, as a date and as what is handed in:
    # "我刚当上支部书记，年底要交什么" led with the sentence that shares 支部书记 with it (the performance assessment),
    # not with 每年…述职评议考核 (session 37).
    "yearly": re.compile(DUE_AT_YEAR_END),
}  # fmt: skip
HAS = {
    "count": re.compile(
        r"\d|[一二三四五六七八九十两]\s*[次个名项年月]|至少|每年|每月|定期|at least|once|every|per cent|%"
    ),
    "who": re.compile(r"书记|负责人|担任|由|党组|党委|工委|纪委|委员|secretar|responsib|head|committee|lead"),
    "when": re.compile(r"\d|月内|每年|定期|年度|任前|within|months?|year|annual|regular"),
    # A yearly report or review (每年…述职, 年度…考核, annual reports): what is handed in, not any yearly task (a
    # year's theme of youth study, the year's key points drawn up at its start).
    "yearly": re.compile(r"(?:每年|年度).*(?:述职|考核|汇报|报告)|\b(?:annual|yearly)\b.*\b(?:reports?|assessment)"
                         r"|\breports?\b.*\b(?:every|each|a) year\b"),
}  # fmt: skip

LEAD_BONUS = 0.6  # "how often / how many / who / by when": the sentence with a number, role or date leads
# A sentence within this cosine of the one closest to the question in meaning (word vectors) may lead on its number,
# role or date although it shares no word with the question ("书记调走了，过多久必须有新书记": 出缺…6个月内补齐).
LEAD_NEAR = 0.05
# A sentence leads a "how often / how many" question on its number only if it says at least this share of what the
# sentence that says most of the question's subject says (session 26).
LEAD_ABOUT = 0.5


class Reading(NamedTuple):
    """How the leads of one question's measures are chosen, read once for all of them: the question, normalised, what
    it asks for (``ASKS``) and the query its sentences are scored by."""

    question: str
    norm: str
    asks: tuple[str, ...]
    q: Query


def reading(question: str, q: Query, analyzer: Analyzer) -> Reading:
    """What ``question`` (asked as ``q``) asks for. How often a meeting is held is answered by the regulations' figure
    above the measures (frequencies.py), so it asks no count of them and its sentences are scored without the how-often
    words: a measure leads with what it says of that meeting, not with another number ("每年至少…1次党章学习")."""
    norm = analyzer.normalize(question)
    asks = [kind for kind, pattern in ASKS.items() if pattern.search(norm)]
    if "count" in asks and asked_frequencies(question):
        asks.remove("count")
        q = analyzer.query(without_how_often(question))
    return Reading(question, norm, tuple(asks), q)


def subject_of(question: str) -> str:
    """What a "how often / how many" question (normalised) asks about: its counting words left out ("书记讲党课一年几次"
    -> "书记讲党课")."""
    return ASKS["count"].sub(" ", question)


def may_lead(scores: list[float], meaning: list[float], about: list[float] | None = None) -> list[bool]:
    """Which of a measure's sentences may lead on a number, role or date: one that shares words with the question
    (``scores``) or is among the closest to it in meaning (``meaning``, the word vectors' cosines; empty without them).

    ``about``: each sentence's score for the subject of a "how often / how many" question. Then a sentence must say
    at least LEAD_ABOUT of what the sentence that says most of the subject says: "书记讲党课一年几次" led with measure
    5's "每年至少…1次党章学习", which shares 一年/次 with it and not 讲党课 (session 26)."""
    said = [s > 0 for s in scores]
    if about is not None and max(about, default=0.0) > 0:
        said = [a > 0 and a >= LEAD_ABOUT * max(about) for a in about]
    closest = max(meaning, default=0.0)
    return [said[k] or (bool(meaning) and meaning[k] >= closest - LEAD_NEAR) for k in range(len(scores))]


def leading(scores: list[float], sentences: list[str], asks: Iterable[str], relevant: list[bool]) -> int:
    """The index of the sentence that leads: the best-matching one (``scores``), a relevant one with the number, role
    or date asked for (``sentences`` normalised) raised by LEAD_BONUS of the best score. The measure's title (the first
    sentence) restates the topic and rarely answers: it leads only when no other sentence matches, and even then
    lowered."""
    best = max(scores)
    scale = best if best > 0 else 1.0
    ranked = []
    for k, (score, sentence) in enumerate(zip(scores, sentences, strict=True)):
        bonus = sum(LEAD_BONUS * scale for kind in asks if HAS[kind].search(sentence)) if relevant[k] else 0.0
        penalty = 0.5 * scale if k == 0 else 0.0
        ranked.append((score + bonus - penalty, -k))
    # The title leads only when no other sentence matches at all: short, it outscores the sentence that answers
    # ("支部开会第一项议程应该学什么" was led by "坚持第一议题制度。", session 36).
    if any(score > 0 for score in scores[1:]):
        ranked = ranked[1:]
    return -max(ranked)[1]


# Asking for a figure (how many, how often, how long, what share): narrower than ASKS["count"], which also takes the
# 每年 of "书记每年都要讲党课吗", a yes-or-no question.
FIGURE_ASKED = re.compile(
    r"多久|多长时间|几次|几回|多少|几个|几名|几人|几天|几年|几小时|几学时|比例|频次|频率"
    r"|\bhow (?:often|frequently|many|much|long)\b|\bwhat (?:percentage|share|proportion)\b"
)
# A figure in a text: a digit, or a numeral before a unit ("八小时以外", "once a year"); "一批", "三会一课" are not.
FIGURE = re.compile(
    r"\d|[一二两三四五六七八九十百千]\s*(?:次|个|名|项|年|月|天|日|周|小时|学时|季度)|百分之"
    r"|\b(?:once|twice|one|two|three|four|five|six|seven|eight|nine|ten|half)\b",
    re.IGNORECASE,
)


def no_figure_given(question: str, shown: Iterable[str]) -> bool:
    """True when ``question`` asks for a figure and none of the measures' texts ``shown`` in the answer has one: the
    answer says so rather than leave the asker to search the quotes for a number that is not there (session 26)."""
    return bool(FIGURE_ASKED.search(question.lower())) and not any(FIGURE.search(text) for text in shown)
