"""The assistant's own commands that do what a question on the measures is about (办理入口).

"政治生日怎么过" is answered with measure 5 (组织党员过"政治生日"); the member may also want the assistant's
/mybirthday, and the secretary /birthdays, the month's list for the theme day. "志愿服务时长怎么记录" gets measure
22 and, from the assistant, /report and /myservice. The answer says what the notice requires; these say where the
assistant does it, so a rule read in the chat is a command away from being done (session 37).

A pointer needs the question to name the feature's subject in its own words: the measure alone is not enough (measure
5 is also the Party lesson and the dual organisational life, which no command does). The commands are listed most
direct first, a branch leader's before a member's; the chat shows those the caller's role may use, at most
``SHOWN``, with the menu's own descriptions (handlers/measures). Written from the product's features
(../shared/docs/product.md) and the glossary, not from the evaluation questions.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.measures.analysis import normalize
from bot.measures.leads import DUE_AT_YEAR_END

SHOWN = 3  # commands at most under one answer: a pointer, not a second /help


class Pointer(NamedTuple):
    """A subject of the measures that a feature of the assistant serves, and that feature's commands."""

    subject: re.Pattern[str]  # the question names it (normalised: lower case, half-width)
    commands: tuple[str, ...]  # most direct first; a leader's before a member's (the role filter keeps the right ones)


POINTERS: tuple[Pointer, ...] = (
    # 政治生日 (measure 5): the greeting on the day, and the month's list for the secretary.
    Pointer(re.compile(r"政治生日|入党纪念日|\bpolitical birth ?days?\b"), ("birthdays", "mybirthday")),
    # 到社区报到 (measure 22): registering with one's community comes before its activities.
    Pointer(
        re.compile(
            r"到社区报到|社区报到|(?:向|到).{0,8}(?:社区|村).{0,6}报到"
            r"|\bregist\w* (?:with|at) (?:the |your |my )?community\b"
        ),
        ("community",),
    ),
    # 志愿服务 (measure 22): activities to sign up for, service done elsewhere, the hours.
    Pointer(
        re.compile(r"志愿服务|志愿者|志愿活动|服务时长|志愿时长|\bvolunteer"),
        ("service", "activity_new", "report", "myservice", "activities"),
    ),
    # 第一议题 (measure 7): what each meeting studied first, and the materials to study.
    Pointer(re.compile(r"第一议题|第一项议程|\bfirst (?:agenda )?item\b"), ("firstagenda", "materials")),
    # 三会一课 and the other recurring meetings (measures 5 and 10; their frequency from the regulations): what is
    # held and still due, scheduling one; a member's own meetings and checking in. A Party committee's meeting (党委会)
    # is not the branch's.
    Pointer(
        re.compile(
            r"三会一课|主题党日|党日活动|组织生活会|支委会|支部委员会|党员大会|支部大会|党小组会|民主评议"
            r"|\b(?:three meetings and one lesson|theme(?:d)? (?:party )?days?|organi[sz]ational[- ]life meetings?"
            r"|(?<!party )(?<!standing )(?:branch )?committee meetings?|general (?:members'? )?meetings?"
            r"|democratic appraisal)\b"
        ),
        ("compliance", "newmeeting", "my", "checkin"),
    ),
    # 党员积分 (measure 14) and 评星定级 (measure 13): the member's points, the branches' stars. Points in a Party
    # sense only: 积分入学 and 积分入户 (a school place, a residence permit) are the city's, not the branch's.
    Pointer(
        re.compile(
            r"党员积分|积分管理|积分制|(?:我的|我们的|支部的?|党员的?)积分|积分(?:排名|指标|规则|公示|申报)"
            r"|\b(?:my|members?'?|party) points\b|\bpoints? (?:system|management|score|ranking)s?\b|\bhow many points\b"
        ),
        ("points",),
    ),
    Pointer(re.compile(r"评星定级|星级|五星|\bfive[- ]stars?\b|\bstar[- ]?(?:rating|level|grade)s?\b"), ("stars",)),
    # 台账 (measures 13 and 15): the branch ledger the assistant keeps; also what is handed in at the year's end
    # ("我刚当上支部书记，年底要交什么"), which the ledger and its charts are.
    Pointer(re.compile(rf"台账|台帐|\bledgers?\b|{DUE_AT_YEAR_END}"), ("ledger", "charts")),
)


def pointed_commands(question: str) -> tuple[str, ...]:
    """The assistant's commands for what ``question`` is about, in the table's order (empty for most questions)."""
    text = normalize(question)
    found: list[str] = []
    for pointer in POINTERS:
        if pointer.subject.search(text):
            found.extend(c for c in pointer.commands if c not in found)
    return tuple(found)
