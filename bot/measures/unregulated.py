"""Branch business that people ask about often and that the notice does not regulate at all.

The reply says so and points to the Party's own regulations, rather than asking the member to rephrase
(``measures/unknown.html.j2``); ``decline.outside_the_notice`` declines such a question whatever the retrieval finds.
"""

from __future__ import annotations

import re

from bot.measures.analysis import normalize

# Branch business that people ask about often and that the notice does not regulate at all: it never names the
# organisation or publicity committee member (组织委员, 宣传委员) nor shares work among committee members, never says
# which branch a member belongs to, and never speaks of meeting online. Such questions carry the domain's words and
# match the measures on them (三会一课, 组织生活, 支部), so the regression answered most (session 16: 51 of the 55
# such questions of batches 42-57 that their writers labelled off-topic, against 3 labelled with a measure: the
# discipline inspection member, 纪检委员, is left out, as measure 23 on the organs' discipline commission answers
# some of those). Unlike the off-topic lexicon (decline.py), the three topics were picked from the misses of batches
# already read (42-57), then checked against the notice's text (none of these words is in it); batches 60 and 61,
# written afterwards, judge them. The patterns take the topic only in the question's sense: "组织委员要管党员的积分吗"
# asks about points, "作为组织委员，…" is a role.
_NOT_REGULATED = (
    # What the organisation or publicity committee member does; how the committee members share the work.
    r"(?:组织|宣传)委员(?:平时|主要|具体|一般|到底|都)*(?:要|是|应该|得)?(?:负责|干|做|管)(?:些)?(?:什么|啥|哪些|嘛)",
    r"(?:组织|宣传)委员的?(?:职责|分工)",
    r"(?<!纪检)委员(?:之间)?(?:怎么|如何)分工|分工怎么定|分工有(?:没有)?(?:文件)?规定",
    r"(?:organi[sz]ation|publicity|propaganda)\s+(?:committee\s+)?(?:member|officer)(?:'s)?\s+(?:duties|job|role|responsibilities)",
    r"what\s+does\s+(?:a|an|the)\s+(?:branch\s+)?(?:organi[sz]ation|publicity|propaganda)\s+(?:committee\s+)?"
    r"(?:member|officer)\s+do\b",
    r"(?:organi[sz]ation|publicity|propaganda)\s+(?:committee\s+)?(?:member|officer)\b.{0,30}\bwhat(?:'s|\s+is|\s+are)\s+"
    r"my\s+(?:job|duties|role|responsibilities)",
    # Which branch a member belongs to or attends.
    r"(?:在|归|属于|编入|编到|编进|去|到)哪个党?支部|哪个党?支部(?:过|参加|管)|编入党?支部",
    r"\bwhich\s+(?:party\s+)?branch\b(?:.{0,20}\b(?:belong|attend|join)|\s*\??\s*$)",
    # A meeting held online (study online is measure 11's 网上学习, so study is left out).
    r"^(?!.*(?:学习|培训|党课))(?=.*[会开]).*(?:线上|视频会议|开视频|视频开|视频组织|腾讯会议|远程)",
    r"^(?!.*\b(?:study|learn\w*|training|course|class|lecture)\b)(?=.*\b(?:meeting|meet|held|hold)\b)"
    r".*\b(?:online|video\s*call|tencent\s+meeting|zoom)\b",
)
NOT_REGULATED = re.compile("|".join(f"(?:{p})" for p in _NOT_REGULATED))


def not_regulated(question: str) -> bool:
    """True when ``question`` asks about one of the topics the notice does not regulate."""
    return NOT_REGULATED.search(normalize(question)) is not None
