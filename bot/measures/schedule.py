"""What the notice sets at a fixed time: "32条里每年要做的事情有哪些", "措施里每月要做的有哪些", "list all frequency
requirements in the 32 measures".

A secretary planning the year asks for the notice's calendar, not for one measure. Ranked, such a question got the
measure whose words it shared most (measure 10, whose study plan has "每年一个主题", answered "措施里一年要做一次的事情
有哪些"), and readers label it with the measures that set something yearly (5, 25, 30). The reply lists every sentence
of the notice that sets a yearly task and, asked for every frequency, those that set a regular one (定期), each with
its measure. The notice sets nothing monthly or quarterly: the reply says so and gives the branch work regulations'
monthly and quarterly meetings (frequencies.py), and answers with no measure.

The sentences are found in the notice's own text by the words that set a period, so the list follows the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot.measures.analysis import normalize
from bot.measures.knowledge import Measure, load_notice
from bot.services.kinds_of_meeting import MEETING_KINDS, MeetingKind, Period


class Asked(StrEnum):
    """The period a question asks the notice's tasks for."""

    YEAR = "year"  # 每年, 一年一次, annual
    QUARTER = "quarter"  # 每季度: the notice sets none
    MONTH = "month"  # 每月: the notice sets none
    ANY = "any"  # 频次, "every frequency": the yearly and the regular ones


@dataclass(frozen=True)
class Task:
    """A sentence of the notice that sets something at a fixed time, and its measure."""

    measure: Measure
    sentence: str
    clause: str  # the part of the sentence that sets the period ("…with one theme each year…"), for a short reply


# "Every year" in English: in the notice's rendering, and in a question that asks for the yearly tasks.
_EVERY_YEAR_EN = r"\b(?:every|each) year\b|\bannual(?:ly)?\b|\byearly\b|\bonce a year\b"
# The words in the notice's text that set a period (the Chinese text and its English rendering).
_YEARLY = {"zh": re.compile(r"每年|年度"), "en": re.compile(_EVERY_YEAR_EN)}
_REGULAR = {"zh": re.compile(r"定期"), "en": re.compile(r"\bregular(?:ly)?\b")}


@cache
def tasks(lang: str, regular: bool = False) -> tuple[Task, ...]:
    """The notice's sentences in ``lang`` that set a yearly task (``regular``: a regular one, 定期), in its order."""
    pattern = (_REGULAR if regular else _YEARLY)[lang]
    return tuple(
        Task(m, s, _clause(s, pattern)) for m in load_notice(lang).measures for s in m.sentences if pattern.search(s)
    )


_CLAUSES = re.compile(r"(?<=[，；,;:：])\s*")


def _clause(sentence: str, pattern: re.Pattern[str]) -> str:
    """The clause of ``sentence`` in which ``pattern`` is found, marked "…" where the sentence goes on."""
    parts = _CLAUSES.split(sentence)
    i = next(i for i, part in enumerate(parts) if pattern.search(part))
    last = i == len(parts) - 1
    text = parts[i] if last else parts[i].rstrip("，；,;:：")
    return ("…" if i > 0 else "") + text + ("" if last else "…")


def scheduled(lang: str, asked: Asked) -> tuple[tuple[Measure, str], ...]:
    """The measures that answer ``asked``, each once with its first sentence of that period: yearly ones first, then
    (for ANY) the regular ones; none for a month or a quarter, which the notice sets nothing for."""
    if asked in (Asked.MONTH, Asked.QUARTER):
        return ()
    first: dict[Measure, str] = {}
    for task in _shown(lang, asked):
        first.setdefault(task.measure, task.sentence)
    return tuple(first.items())


def shown_measures(lang: str, asked: Asked) -> tuple[Measure, ...]:
    """The measures the reply to ``asked`` lists, each once (a month's or a quarter's lists the yearly ones)."""
    return tuple(dict.fromkeys(task.measure for task in _shown(lang, asked)))


def _shown(lang: str, asked: Asked) -> tuple[Task, ...]:
    return (*tasks(lang), *(tasks(lang, regular=True) if asked is Asked.ANY else ()))


def regulations_meetings(asked: Asked) -> tuple[MeetingKind, ...]:
    """The branch meetings the regulations set for every month or quarter, when that is what is asked."""
    period = {Asked.MONTH: Period.MONTH, Asked.QUARTER: Period.QUARTER}.get(asked)
    return tuple(k for k in MEETING_KINDS if period is not None and k.period is period)


def schedule_context(lang: str, asked: Asked) -> dict[str, object]:
    """What ``measures/schedule.html.j2`` shows for ``asked`` in the notice of ``lang`` (the chat and the CLI)."""
    return {
        "asked": str(asked),
        "yearly": tasks(lang),
        "regular": tasks(lang, regular=True),
        "frequencies": regulations_meetings(asked),
        "notice": load_notice(lang),
        "brief": False,
    }


# The notice named: "措施里", "32条", "文件中", "the measures", "the notice".
_NOTICE_ZH = r"(?:措施|32条|三十二条|文件|通知)"
_NOTICE_EN = r"\b(?:the|these|all|32)\s+(?:\w+\s+)?(?:measures|notice)\b"
# A list asked for: "有哪些", "列一下", "都有什么", "清单", "list", "which", "what … every year".
_LIST_ZH = r"(?:哪些|有什么|都有啥|列一下|列出|列个|清单|汇总|都是什么|分别是什么)"
_PERIODS_ZH = (
    (Asked.MONTH, r"每个?月|按月|月度"),
    (Asked.QUARTER, r"每个?季度|按季度?"),
    (Asked.YEAR, r"每年|一年(?:要|得|必须)?(?:做|搞|开展|开|办)?(?:一|1)次|一年一次|年度|每一年"),
    (Asked.ANY, r"频次|频率|几次|多久一次"),
)
_PERIODS_EN = (
    (Asked.MONTH, r"\b(?:every|each) month\b|\bmonthly\b"),
    (Asked.QUARTER, r"\b(?:every|each) quarter\b|\bquarterly\b"),
    (Asked.YEAR, _EVERY_YEAR_EN),
    (Asked.ANY, r"\bfrequenc(?:y|ies)\b|\bhow often\b"),
)
_CLAUSE = r"[^，。？！,.?!;；]{0,12}?"  # within one clause: "每年…有哪些", not "每年年底…，有什么办法"
_PERIOD_ZH = "|".join(p for _, p in _PERIODS_ZH)
_ASKS_ZH = re.compile(
    rf"^(?=.*{_NOTICE_ZH}).*?(?:(?P<period>{_PERIOD_ZH}){_CLAUSE}{_LIST_ZH}|{_LIST_ZH}{_CLAUSE}(?P<later>{_PERIOD_ZH}))"
)
_LIST_EN = (
    r"\blist\b|\bwhich (?:measures|things|tasks|requirements)\b|\bwhat (?:tasks|things|measures|requirements)\b"
    r"|\bwhat (?:must|should|does|do)\b.{0,40}\bdo\b"
)
_ASKS_EN = re.compile(rf"^(?=.*{_NOTICE_EN})(?=.*(?:{_LIST_EN})).*?(?P<period>{'|'.join(p for _, p in _PERIODS_EN)})")
# Not one measure's schedule ("第5条要求每年做哪些事" reads measure 5, numbers.py), nor a meeting's frequency
# ("措施规定了哪些会每月要开" stays with frequencies.py: a branch's meetings are the regulations'), nor how often the
# notice names something ("三会一课在这份文件里被提到了几次").
_NOT_THE_CALENDAR = re.compile(
    r"第\s*\S{1,3}\s*条|措施\s*[0-9一二三四五六七八九十]|哪些会|哪几个会|\bmeetings?\b|(?:提到|提及|出现)了?几次"
)


def asked_schedule(question: str) -> Asked | None:
    """The period ``question`` asks the notice's tasks for ("32条里每年要做的事情有哪些": YEAR), or None."""
    text = normalize(question)
    if _NOT_THE_CALENDAR.search(text):
        return None
    for pattern, periods in ((_ASKS_ZH, _PERIODS_ZH), (_ASKS_EN, _PERIODS_EN)):
        m = pattern.search(text)
        if m:
            word = m.group("period") or m.group("later")
            return next(asked for asked, p in periods if re.fullmatch(p, word))
    return None
