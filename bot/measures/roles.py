"""The asker's own role introducing a question ("我是组织委员，…", "As a new secretary, …"): who asks, not what about.

Its words count less in BM25 (``ROLE_WEIGHT`` in analysis.py) and are left out of the n-gram model and the word
vectors, unless the role is all the question says or is itself one measure's subject.
"""

from __future__ import annotations

import re

# A run of Chinese characters, and an English word token: here (the module analysis.py imports) and used by both.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
EN_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# What a question asks of the asker without saying about what: after the role, these leave the role as the subject.
_GENERIC = re.compile(
    r"措施|若干措施|文件|规定|要求|哪条|哪几条|哪些|什么|怎么|怎样|如何|有没有|需要|应该|应当|必须|可以|能|要|做|干|管|负责"
    r"|我们|我|对|给|里|中|上|有|的|了|吗|呢|啊|吧|哪|些|都|还|该|条|项"
)


# "我是支部组织委员，" / "作为新任书记" / "新来的书记想…": the role that introduces a question by situation. Its words
# count less (书记 alone would pull every such question to measure 31, on who becomes secretary), unless the role
# is all the question says.
_ROLE_INTRO = re.compile(
    r"(?:我是|我作为|作为|我刚当上|刚当上|我当上了|当上了|我新当上|新当上|我刚成为|刚成为|新来的|新上任的|刚上任的|新任)"
    r"(?:一名|一个|个|了)?(?:[\u4e00-\u9fff]{0,6}?)"
    r"(?:党支部书记|支部书记|书记|副书记|组织委员|宣传委员|纪检委员|支部委员|支委|委员|党小组长|党务干部|党务专干"
    r"|处长|科长|局长|主任|领导|负责人|一把手|党员|积极分子|工会主席|干部|公务员)"
)
# A role that is one measure's subject (纪检委员: the organ's discipline commission, measure 23), or that names a
# group the notice itself addresses (兼职/专职 Party workers, measure 32; retired and mobile members, 14; young
# members, 10), says what is asked.
_TOPICAL_ROLE = re.compile(r"纪检|纪委|纪律检查|兼职|专职|退休|离退休|流动|青年|年轻")


# The same in English: "I'm the organisation officer of my branch. …", "As a new secretary, …".
_EN_ROLE_INTRO = re.compile(
    r"(?<![a-z])(?:i[’']m|i am|as)\s+(?:(?:the|a|an|our|my|its)\s+)?"
    r"(?:(?:new|newly|appointed|deputy|vice|branch|party|organi[sz]ation(?:al)?|publicity|propaganda|discipline"
    r"|inspection|committee|general|union|office|department|section)\s+){0,3}"
    r"(?:secretary|officer|committee member|member|leader|director|head|cadre|official|chief|chair)"
    r"(?:\s+(?:of|in|for|at)\s+(?:my|our|the|a)\s+[a-z-]+(?:\s+(?:branch|unit|office|bureau|department))?)?"
)


def en_role_span(text: str) -> tuple[int, int] | None:
    """Where the asker's own role introduces an English question that goes on with its subject, or None."""
    role = _EN_ROLE_INTRO.search(text)
    if role is None or len(EN_TOKEN.findall(text[role.end() :])) < 4:
        return None
    return role.span()


def role_span(text: str) -> tuple[int, int] | None:
    """Where the asker's own role introduces a question that goes on with its subject ("我是组织委员，…"), or None."""
    role = _ROLE_INTRO.search(text)
    if role is None or _TOPICAL_ROLE.search(role[0]):
        return None
    rest = "".join(CJK_RUN.findall(text[role.end() :]))
    if len(rest) < 4 or len(_GENERIC.sub("", rest)) < 2:
        return None  # nothing but the role and "what must I do" ("我是机关党委书记，措施里对我有什么要求")
    return role.span()
