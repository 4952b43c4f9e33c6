"""Messages that are not questions on one of the measures: small talk, how to use the bot, the notice as a whole.

"Tell me a joke", "谢谢，辛苦了" or "政治生日提醒怎么关掉" carry no question the notice answers, yet the retrieval
always finds a nearest measure, and the decision to answer, fitted on what people ask about the measures and
about other business, has little to weigh for a message that shares no word with either ("Tell me a joke" was
answered with measure 4). Each kind gets its own reply: a greeting is greeted and pointed to what the assistant
answers; a question about the assistant's own features (reminders, check-in, volunteer hours, the group) is
pointed to /help, where those features are; a question on the notice itself (who issued it, when, its parts) gets
the notice's heading, addressees and sections (round 22).

The patterns use no word of the notice (tests/test_measures_asides.py checks that none of the measures' own
sentences, nor any answerable question of the evaluation sets, is taken for an aside) and were written from the
product's features (../shared/docs/product.md) and everyday chat, not from a batch nobody had looked at.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.measures.analysis import normalize


class Aside(StrEnum):
    """What a message to the assistant is, when it is not a question on the measures."""

    SMALL_TALK = "small_talk"  # 寒暄: greetings, thanks, jokes, "who are you"
    ABOUT_THE_BOT = "about_the_bot"  # how to use the assistant's own features
    ABOUT_THE_NOTICE = "about_the_notice"  # the notice as a whole: who issued it and when, to whom, its parts


_SMALL_TALK = (
    # The whole message is a greeting, thanks or goodbye (with "辛苦了", "bot", punctuation).
    re.compile(
        r"^(?:(?:你好|您好|嗨|哈喽|hello|hi|hey|在吗|在不在|谢谢你?|谢了|多谢|感谢|辛苦了?|再见|拜拜|早上好|早安|"
        r"中午好|下午好|晚上好|晚安|thanks?|thank you|many thanks|good (?:morning|afternoon|evening|night)|bye|"
        r"goodbye)[\s,，.。!！~～啊呀哈啦了]*(?:你|您|bot|there|a lot|so much|very much|辛苦了)?"
        r"[\s,，.。!！~～啊呀哈啦了]*)+$"
    ),
    # A request for a joke or a chat, or about who answers ("political jokes" in a question are its subject).
    re.compile(
        r"(?:讲|说|来)(?:一)?个(?:笑话|段子|故事)|(?:会|能)(?:不会)?讲笑话|陪我聊|你是谁|你叫什么|你是(?:不是)?(?:机器人|真人)"
    ),
    re.compile(
        r"\b(?:tell|sing) me (?:a|another) (?:joke|story|song|poem)\b|\b(?:know|got) any (?:good )?jokes\b"
        r"|\bwho are you\b|\bwhat(?:'s| is) your name\b"
        r"|\bare you (?:a )?(?:bot|robot|human|real person)\b|\blet'?s (?:chat|talk)\b"
    ),
)
_ABOUT_THE_BOT = (
    re.compile(r"机器人|(?:本|这个)?助手(?:能|会|可以|怎么)"),
    re.compile(r"(?:退出|退|离开)(?:这个|本|该)?群|(?:这个|本)群(?:怎么|如何|能不能|可以)"),
    re.compile(
        r"提醒.{0,8}(?:关掉|关闭|关了|取消|停掉|改成|改到|设置|调成|调到|几点)|(?:关掉|关闭|取消|停掉|设置|修改)(?:一下)?.{0,8}提醒"
    ),
    re.compile(r"签到(?:记录|成功|了没|没成功|失败|码)|(?:怎么|如何|在哪儿?|去哪儿?)签到"),
    re.compile(
        r"(?:查|看)(?:一下|一查|看)?我(?:的|自己的|今年|本月|这个月|上个月|上季度)?.{0,10}(?:志愿(?:服务)?时长|时长|签到|打卡|积分)"
    ),
    # The assistant's language (/lang), not a phone's, Telegram's or a keyboard's.
    re.compile(
        r"^(?!.*(?:手机|电脑|键盘|输入法|telegram|微信|系统))"
        r".*(?:(?:切换|改成|换成|设置成?|调成)(?:为)?(?:英文|中文|英语|汉语|简体)|语言(?:怎么|如何)(?:切换|改|设置))"
    ),
    # The asker's own points, which the assistant keeps ("我今年的积分多少"), not what points count for
    # ("积分多少算合格").
    re.compile(
        r"我(?:现在|目前|今年|本月|这个月)?(?:的)?(?:党员)?积分(?:是|有|还有)?多少(?:了|分)?(?!算|才|分?算|合格|优秀)|我(?:现在|目前|今年)?有多少积分"
    ),
    # The assistant's administrator, not a branch's keeper of dues, records or accounts (党费管理员: measure 16).
    re.compile(r"(?<!党费)(?<!档案)(?<!财务)管理员|(?:审核|审批|确认)(?:一下)?.{0,8}(?:时长|打卡)"),
    re.compile(
        r"\b(?:this|the) (?:bot|chat ?bot|assistant)\b|\bleave (?:this|the) (?:group|chat)\b|\bthis group chat\b"
        r"|\b(?:turn|switch) off\b.{0,40}\b(?:reminders?|greetings?)\b"
        r"|\b(?:reminders?|greetings?)\b.{0,40}\b(?:off|earlier|later|stop)\b"
        r"|\bmy (?:volunteer |service )?hours\b|\bmy check-?ins?\b|\badmin (?:rights|role|access)\b"
        r"|\b(?:change|switch|set) (?:the |your |my )?(?:bot'?s? )?language\b(?!.{0,20}\b(?:phone|keyboard|computer))"
        r"|\bswitch (?:it |you )?(?:to|into) (?:english|chinese)\b"
        r"|\bhow many points (?:do i have|have i (?:got|earned)|did i (?:get|earn))\b"
        r"|\b(?:check|see|view|find) my (?:party )?points\b"
        # As 怎么签到 above: checking in to a meeting is done with the assistant.
        r"|\bhow (?:do|can|should|to) (?:i |we )?check[- ]?in\b|\bcheck[- ]?in (?:code|link|button)\b"
        r"|\bapprove\b.{0,40}\bhours\b"
    ),
)


# The notice's names ("32条", "若干措施"), in each of the patterns below that needs one.
_NOTICE_NAME_ZH = r"(?:32条|三十二条|32项|若干措施)"

# Round 22: the notice as a whole rather than one of its measures ("32条是谁印发的", "这个文件分几个部分", "who issued
# the 32 measures and when?"). No measure answers these, yet the notice's heading, addressees and sections do. Both
# a name of the notice and a question on its issuer, date, addressees or parts are needed: "32条里哪一条讲评星定级"
# asks for a measure. Written from the notice's heading and the ways one asks about any document.
_THE_NOTICE_ZH = re.compile(
    rf"{_NOTICE_NAME_ZH}|(?:这|那|该|本)(?:个|份|篇)?(?:文件|通知|文)|^(?:文件|通知)|(?:这|那|该|本)(?:个|些|份)?措施"
)
# Who issued it, not who must draw up a plan under it ("这个文件要求哪些单位制定具体方案" asks what it requires).
_NOT_A_PLAN = r"(?!(?:具体|实施|工作|配套)?(?:方案|细则|计划|办法))"
_ASKS_OF_THE_NOTICE_ZH = re.compile(
    rf"谁(?:来)?(?:印发|下发|发布|发|出|制定|起草|签发|写){_NOT_A_PLAN}的?"
    rf"|(?:哪个|哪些|什么)(?:部门|单位|机关)(?:印发|下发|发布|发|出|制定){_NOT_A_PLAN}"
    r"|发文(?:单位|机关|时间|日期)|(?:什么时候|何时|哪一?年|哪天)(?:印发|下发|发布|发|出台|制定|开始|实施|施行|生效)"
    r"|(?:印发|下发|发布|出台)(?:的)?(?:时间|日期)|几(?:个|大)?(?:部分|方面|板块|章)"
    r"|哪几(?:个|大)?(?:部分|方面|板块|章)|(?:分|有|包括)哪些(?:大)?(?:部分|板块)|结构|框架|目录|大纲"
    r"|适用(?:于|范围|对象)|(?:发|下发|印发)给(?:谁|哪些|哪)|(?:哪些|什么)单位(?:要|需要|必须)?(?:执行|适用|落实)"
    r"|(?:要|需要|必须|也要)执行(?:这|该)"
    # What it says as a whole: "若干措施 主要内容", "32条…能不能一句话告诉我核心是啥"; who of two issued it.
    r"|主要内容|核心(?:是|内容|思想|要义)|一句话(?:告诉|说|概括|总结)|概括一下|总结一下"
    r"|(?:印发|下发|发布|发)的还是"
    # Session 22: who interprets it, how many measures it has in all, their titles listed, whether towns or public
    # institutions carry it out (its addressees answer that). Not who interprets it and sees it carried out ("由谁负责
    # 解释和督促落实": measures 25 and 29, session 32).
    r"|谁(?:负责|来)?解释(?![^，。？！?!]{0,6}(?:督促|督查|监督|落实))|解释权|(?:一共|总共)(?:有)?(?:多少|几)条|(?:标题|题目).{0,4}(?:列|是什么|有哪些)|列(?:一下|出)?.{0,6}标题"
    r"|(?:镇街|镇里|乡镇|街道|事业单位|国企|国有企业)(?:也)?(?:要|需要|用不用|要不要)?(?:执行|适用|落实)"
)
_ABOUT_THE_NOTICE_EN = re.compile(
    r"\b(?:the|these|this|those) (?:32 |thirty-two )?(?:measures|notice|document)\b.{0,60}"
    r"(?:\bwho (?:issued|wrote|published|released|signed|made)\b|\bwhen\b.{0,30}\b(?:issued|published|released|"
    r"adopted|come into|take effect)\b|\bhow many (?:parts|sections|chapters)\b"
    r"|\b(?:its|what|which) (?:parts|sections)\b|\b(?:structure|outline|table of contents)\b"
    r"|\bapply to\b|\bscope\b)"
    # Its gist, unless a topic is named between ("what the measures require from the leading party group, pls
    # summarize" asks about measure 27; session 23, a question of batch 95; "what the notice says about …", session 25).
    r"|\b(?:the|these|this|those) (?:32 |thirty-two )?(?:measures|notice|document)\b"
    r"(?:(?!\b(?:require|requires|say about|says about|said about|on|for|from|regarding)\b).){0,60}"
    r"\b(?:summary|summarise|summarize|overview|gist|in a nutshell)\b"
    r"|(?:\bwho (?:issued|wrote|published|released|signed|made)\b|\bwhen (?:was|were)\b|\bhow many (?:parts|sections|"
    r"chapters)\b|\bwhat (?:are the )?(?:parts|sections)\b|\bwho (?:do|does)\b.{0,20}\bapply\b|\bscope of\b)"
    r".{0,60}\b(?:the|these|this|those) (?:32 |thirty-two )?(?:measures|notice|document)\b"
    # Its count and its sections, and its title with a request for the gist.
    r"|^how many (?:measures|articles) (?:are there|in total|does (?:it|the notice) have)\b"
    r"|\b(?:seven|7) (?:sections|parts)\b|\bseveral measures on strengthening\b.{0,120}\b(?:summary|gist|overview)\b"
    r"|\bhow many measures (?:are (?:there )?in|does) (?:the|this|these) (?:notice|document)\b"
    r"|\bwho interprets\b"
    # Its measures' titles, all of them, or the list of all of them, not of those on a topic (session 30).
    r"|\btitles of (?:all )?(?:of )?(?:the |these |this notice's )?(?:32 |thirty-two )?measures\b"
    r"|^(?:please |pls |can you |could you )?list (?:out )?(?:all )?(?:of )?(?:the )?(?:32 |thirty-two )measures\b"
    r"(?!.{0,12}\b(?:about|on|for|related|relating|that|which|with|mention|mentioning|concerning)\b)"
    r"|^what are (?:all )?(?:of )?the (?:32 |thirty-two )measures\s*\??$"
)

# Session 26: whether the notice reaches the branches of retired or floating members is measure 14's to answer (it asks
# for their education, management and service), not its addressees' ("离退休党支部也要执行这些措施吗", batch 146).
_MEMBERS_A_MEASURE_NAMES = re.compile(r"退休|流动党员")


# Or the notice's name alone, or asking what it is: "32条", "32条是啥", "若干措施讲了什么".
_ONLY_THE_NOTICE_ZH = re.compile(
    rf"^{_NOTICE_NAME_ZH}(?:措施)?(?:是(?:啥|什么)|讲(?:的|了)?(?:是)?(?:什么|啥)|说(?:的|了)?(?:是)?(?:什么|啥)"
    r"|(?:的)?(?:主要)?内容(?:是什么|有哪些)?|呢)?\s*[?？。.!！]*$"
    # Which they are, all of them ("32条措施都有哪些", "32条具体有哪些，能不能给我列一下", session 30).
    rf"|{_NOTICE_NAME_ZH}(?:措施)?(?:具体|都|分别|一共)?(?:有|是|包括)哪些(?:条|措施)?"
    r"(?:\s*[?？。.!！呢啊吗]*$|[，,]?\s*(?:能|可以|帮|给|请|麻烦))"
)


# Asking for the measures' titles ("能不能把32条的标题都列一下", "list the titles of the 32 measures"): the reply lists
# them under their sections (session 30; batch 239 labels such a question with all 32 measures).
_TITLES_ZH = re.compile(
    r"(?<!部分)(?:标题|题目)|(?:每|各)(?:一)?条(?:都)?(?:叫|是)什么|列|目录"
    rf"|{_NOTICE_NAME_ZH}(?:措施)?(?:具体|都|一共)?(?:有|是|包括)哪些"
)
_TITLES_EN = re.compile(
    r"\btitles?\b|\blist\b(?!.{0,24}\bsections?\b)|^what are (?:all )?(?:of )?the (?:32 |thirty-two )measures\s*\??$"
)


def asks_for_titles(text: str) -> bool:
    """True when a question on the notice as a whole (``text``) asks for its measures' titles."""
    text = normalize(text)
    return bool(_TITLES_ZH.search(text) or _TITLES_EN.search(text))


# Session 30: which of its measures ("32条里哪些是必须写进去的", "措施中哪几条讲支部"): that asks for measures,
# whatever else the message says of the notice (batch 234, measure 26: "领导让我起草年度工作要点，不知道从哪几方面写，
# 32条里哪些是必须写进去的"). Session 33: so does "the few of them that…" ("给我总结一下32条里支部书记最需要注意的几条",
# batch 271, which "总结" had made a request for the notice's gist), though not "how many" ("32条里有几条").
_WHICH_OF_ITS_MEASURES = re.compile(
    rf"(?:{_NOTICE_NAME_ZH}|措施)(?:里|中|当中|里面)(?:的)?"
    r"(?:(?:有)?(?:哪些|哪几条|哪几项|哪一?条|哪一?项)|[^，,。？！?!]{0,12}的几(?:条|项))"
)


def asks_about_the_notice(text: str) -> bool:
    """True for a question (``text`` normalised) on the notice as a whole: its issuer, date, addressees or parts."""
    if _ABOUT_THE_NOTICE_EN.search(text) or _ONLY_THE_NOTICE_ZH.search(text):
        return True
    asks = _THE_NOTICE_ZH.search(text) and _ASKS_OF_THE_NOTICE_ZH.search(text)
    return bool(asks and not _MEMBERS_A_MEASURE_NAMES.search(text) and not _WHICH_OF_ITS_MEASURES.search(text))


# A message that asks what the measures say is a question on them, whatever else it mentions ("the bot sent me a
# greeting on my joining anniversary: which measure asks branches to do this?").
# So is one that asks what the asker should do or how a branch does something (the measures say):
# "机器人提醒我今天是政治生日，然后我要干嘛",
# "收到机器人发的政治生日祝福，支部一般怎么给党员过政治生日".
# So is one that relays what the assistant said and asks what that is ("the bot says I missed the first agenda item,
# what is that", "机器人提醒我要学第一议题，第一议题是什么").
# Not one on what the assistant does ("机器人能做什么") or on fixing it ("机器人打不开，我该怎么办",
# "the bot can't open the QR code, what should I do?").
_ON_THE_MEASURES = re.compile(
    r"措施|哪一?条|文件|通知|规定|我(?:们)?(?:要|该|应该|得|需要)(?:干嘛|干啥|干什么|做什么|做啥)"
    r"|支部(?:一般|通常|平时|都)?(?:怎么|如何)|(?:机器人|助手)(?:说|提醒|告诉)[^，,。？?]{1,30}[，,].{0,20}(?:是什么|是啥|什么意思|啥意思)"
    r"|\bmeasures?\b|\bnotice\b|\brules?\b|\bwhat (?:am i|are we) (?:supposed|expected|meant) to do\b"
    r"|\b(?:bot|assistant) (?:says|said|tells me|told me|reminds me|reminded me|sends me|sent me|keeps sending me)\b"
    r".{1,80}\bwhat(?:'s| is| does)\b(?! (?:this|the) bot)"
    # What the thing it sends is ("what's the political birthday thing the bot keeps sending me?"): measure 5's.
    r"|\bwhat(?:'s| is| are)\b(?! (?:this|the) bot).{1,60}\b(?:bot|assistant) (?:keeps sending|sends|sent)\b"
    # Why it greets the asker ("why does the bot wish me happy political birthday"): the custom a measure asks for.
    r"|\bwhy (?:does|did|do) (?:this |the )?(?:bot|assistant) (?:wish|greet|congratulate)\b"
    r"|(?:机器人|助手)为(?:什么|啥)(?:要|会)?(?:祝|祝贺|给我过)"
)


def find_aside(question: str) -> Aside | None:
    """The kind of aside ``question`` is, or None for a question that may be on the measures."""
    text = normalize(question).strip()
    if asks_about_the_notice(text):
        return Aside.ABOUT_THE_NOTICE
    if _ON_THE_MEASURES.search(text):
        return None
    if any(p.search(text) for p in _SMALL_TALK):
        return Aside.SMALL_TALK
    if any(p.search(text) for p in _ABOUT_THE_BOT):
        return Aside.ABOUT_THE_BOT
    return None
