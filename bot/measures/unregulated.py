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
# asks about points, "作为组织委员，…" is a role. Session 19 added three more the same way, from the misses of batches
# 42-69 (none of their words is in the notice either): a meeting missed or made up, how many must attend, and minutes.
# Over the tuning set, batches 1-69 and the written and training questions they take 207 questions, 4 of them labelled
# with a measure (two training writers call making up a meeting measure 5's; a long question asks which meetings need
# records among much else); on batches 1-69 they decline 22 off-topic questions the build answered and one answerable
# (that long one), on 64-69, which no model learnt from, 9 and none. Batches 72-73, written alongside and unseen until
# measured once, judge them.

# A meeting missed or made up is not: a seat left empty (配齐, measure 31); a member long or always absent, or too old
# or ill to come (measures 14 and 9); study, the Party Constitution or the secretary's lecture owed by the year's end
# (measures 5 and 11 set those); funds (16); reports upwards (25); volunteering or registering with the community
# (22: "社区那边说我没去报到", session 32); how to make members keen (5, 6); the first agenda item or another item
# skipped (7: "Can the first agenda item be skipped if the meeting is short?", session 36); in English, a leader
# skipping (5, the leading cadres' dual organisational life: "Can a leader skip the organisational life meeting?").
_NOT_A_MISSED_MEETING_ZH = (
    "空缺|出缺|空出|缺额|配齐|长期|半年|六个月|6个月|一年多|连续|一直|老是|总是|经常|屡次|每次|积分|扣分|处置|除名|不合格"
    "|积极性|调动|老党员|行动不便|腿脚|年纪大|身体|生病|住院|学习|党章|补课|补学|培训|忠诚|经费|预算|第一议题|年底前|党课"
    "|志愿|退休|汇报|社区"
)
_NOT_A_MISSED_MEETING_EN = (
    r"months?|long[- ]term|always|keeps?|often|never|points?|vacan\w*|elderly|old|sick|ill|study|studies|training"
    r"|lessons?|lectures?|constitution|annual|members?|him|her|first|agenda|items?|leaders?|chiefs?|directors?|heads?"
    r"|bosses|cadres?"
)
# Minutes are not: the first agenda item's study record (measure 7; a meeting's first item too: "会议记录里第一项
# 写什么"), the ledgers (13, 15) or an inspection of them (29), talks with members (9), volunteer hours (22), points
# (14), a secretary who only signs them (27), or the asker's own role ("我是做会议记录的", "I'm taking minutes").
_NOT_MINUTES_ZH = (
    "第一议|议提|义题|第一项|第一个议程|头一项|台账|检查|巡察|抽查|谈心|谈话|平台|积分|志愿|社区|签字|签个字|做会议记录的|管会议记录的|负责会议记录"
    "|负责记录"
)
_NOT_MINUTES_EN = r"first|ledgers?|inspect\w*|platform|talks?|volunteer\w*|taking|take|signs?"
# Session 22 added four more the same way, from the misses of batches 42-77, where they were the commonest Party
# business the notice names without settling: two meetings or activities merged into one (the notice never
# speaks of merging; 结合主题党日 in measure 20 is an investigation done on the theme day), what the dues come to or
# how they are paid (measure 16 sets how dues are used and kept, not what a member pays), a committee's term and
# its election (measure 31 fills a vacant seat; a by-election and a secretary gone mid-term stay with it), and a
# newcomer's organisational relationship moving in (measure 14 manages mobile and retired members; measure 23
# gives newcomers their integrity lesson). Over batches 42-77, labelled by their writers, they decline 56
# off-topic questions the build answered and lose 3 right answers; over the tuning set and batches 1-41, 3 and
# none. Batches 78-81, written meanwhile by writers who saw none of this, judged them: 5 more of their 657
# off-topic questions declined, no answer changed. What a branch's ledgers contain was left out: the notice
# requires ledgers (measures 13 and 15), and the writers of 42-77 split three to one on it. A second step
# declined it too, when batches 74-81's writers had labelled 17 such questions off-topic and 1 with a measure;
# batches 82-85, written meanwhile, judged that part even (3 off-topic questions declined, 3 right answers
# lost), so this third step took it out again.

# Two meetings or activities merged is not: volunteering or the community with the theme day (measure 20, 22), the
# dues' account beside the union's (16), an investigation on the theme day (20), too many meetings (24), the union's
# activities (28, where writers split), the political birthday on the theme day (5), appraisal with the civil
# service's annual assessment (14), or the year-end reports (30).
_NOT_MERGED_ZH = (
    "志愿|社区|服务|账|帐|调研|基层|套开|工会|党章|考核|融合|结合|业务工作|记录|台账|积分|述职|几次|会太多|会议太多|那么多会"
    "|会议多|精简|减少|政治生日|生日|誓词"
)
_NOT_MERGED_EN = r"volunteer\w*|community|business work|finance|accounts?|union|too many|birthdays?"
# What the dues come to is not: how they are used, returned or kept (measure 16), nor a member long unpaid (14's
# unqualified members: 半年, 三个月, 两年没交 …) or a retiree's arrangements (14); what is paid each month (每个月) or
# a year (一年交多少) is the dues.
_LONG_UNPAID_ZH = "退休|半年|长期|(?:几|多|[0-9一二三四五六七八九十两])(?:个月|年多?(?:都|也|了)?(?:没|未|不))"
_NOT_DUES_PAID_ZH = "返还|使用|用于|用来|经费|专户|账户|管理|" + _LONG_UNPAID_ZH
# A newcomer's relationship is not a mobile or retired member's (14) nor what the branch does once they are in (23).
_NOT_MOVING_IN_ZH = "退休|离退休|退下来|外地|长期|流动|外出|驻点|借调|常年|在外|之后|以后|廉"
_NOT_MOVING_IN_EN = r"retire\w*|mobile|away|long[- ]term|abroad|education|training|study|integrity|probationary"
# In English the relationship, its transfer or the steps must be named: "I'm HR, new hire is party member, what to do"
# asks what the organ does for a new member (measure 23: 对新入职党员…及时开展纪律和廉政教育; session 36).
_MOVING_IN_EN = (
    r"relation\w*|membership|transfer\w*|files?|receiv\w*|take over|process|procedures?|steps|verif\w*|check\w*"
    r"|report\w*|records?|info\w*|sync"
)
# Session 22, fourth step: developing members and joining the Party (发展党员, 入党) — quotas, procedure, conditions,
# how long it takes, how hard it is. The notice says only that members are developed on political standards
# (measure 14), and the brief every held-out writer has names "how to join the Party" as business it does not
# regulate. Over the tuning set and batches 1-89 it declines 18 questions the build answered, all labelled
# off-topic (17 of them in 42-89), and no answer (46's "机关发展党员有名额限制吗", labelled with measure 14, was already
# declined). Not: the political standard or what is weighed first (14), the activists' training and its funds
# (11, 16), what is done to favour young or frontline staff (倾斜, where writers split), the oath, the application
# re-read or the anniversary (5), nor education after joining. Batches 90-93, written meanwhile, judged it: 1
# off-topic question declined, 1 right answer lost (its writer gave that question a measure).
_NOT_JOINING_ZH = (
    "政治|看重|第一位|标准|誓词|事词|志愿书|纪念日|周年|费|预算|培训|财政"  # what measures 14, 5, 11 and 16 do say
    "|倾斜|重温|重读|读一遍|再读|入党以后|入党后|教育"
)
_NOT_JOINING_EN = r"fees?|funds?|funding|budget|training|birthdays?|oath|anniversary|political"
# The organ's leading cadres, whose dual organisational life measure 5 has the branches see to.
_LEADING_CADRE = "局长|局领导|领导班子|班子成员|领导干部|党组成员|党组书记|处长"
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
    # Which branch a member belongs to or attends. Not a leading cadre's organisational life (measure 5: 督促党员领导
    # 干部过好双重组织生活): "局长要在哪个支部过组织生活", "领导班子成员要不要编入支部参加活动" (session 32, from the
    # read batches' misses: their writers gave 18 such questions measure 5), nor a cadre put into a branch at all
    # ("单位领导班子成员是不是都要编入党支部", session 37). Where the cadre's membership is kept (组织关系) is still not
    # regulated.
    rf"^(?!.*双重)(?!(?!.*组织关系)(?=.*(?:{_LEADING_CADRE})).*(?:组织生活|活动|编入|编到|编进))"
    r".*(?:(?:在|归|属于|编入|编到|编进|去|到)哪个党?支部|哪个党?支部(?:过|参加|管)|编入党?支部)",
    r"\bwhich\s+(?:party\s+)?branch\b(?:.{0,20}\b(?:belong|attend|join)|\s*\??\s*$)",
    # A meeting held online (study online is measure 11's 网上学习, so study is left out).
    r"^(?!.*(?:学习|培训|党课))(?=.*[会开]).*(?:线上|视频会议|开视频|视频开|视频组织|腾讯会议|远程)",
    r"^(?!.*\b(?:study|learn\w*|training|course|class|lecture)\b)(?=.*\b(?:meeting|meet|held|hold)\b)"
    r".*\b(?:online|video\s*call|tencent\s+meeting|zoom)\b",
    # Session 19: a meeting missed or made up; how many must attend; minutes.
    rf"^(?!.*(?:{_NOT_A_MISSED_MEETING_ZH}))(?=.*(?:会|党日|组织生活))"
    r".*(?:补开|补一次|补上|补办|补会|错过|缺席|请假|没能?参加|没去|参加不了|去不了|来不了)",
    rf"^(?!.*\b(?:{_NOT_A_MISSED_MEETING_EN})\b)(?=.*\b(?:meeting|day|session)\b).*\b(?:miss(?:ed|es|ing)?"
    r"|skip(?:ped|s)?|absent|absence|make[- ]?up|can'?t attend|cannot attend|could ?n[o']t attend"
    r"|did ?n[o']t attend)\b",
    r"参会率|到会率|出席率|出勤率|法定人数|过半数?(?:才|就)?(?:有效|能开|算)|半数以上|到会人数|参会人数",
    r"\bquorum\b|\battendance (?:rate|requirement)s?\b"
    r"|\bhow many (?:members|people) (?:must|need to|have to|should) (?:attend|be present|come)\b",
    rf"^(?!.*(?:{_NOT_MINUTES_ZH}))"
    r"(?:.*(?:会议记录|记录模板|记录格式)|.*(?:要不要|需不需要|要|需要|用不用|必须|得)(?:做|写|填)?记录|.*写记录)",
    rf"^(?!.*\b(?:{_NOT_MINUTES_EN})\b).*\bminutes\b",
    # Session 22: two meetings or activities merged into one.
    rf"^(?!.*(?:{_NOT_MERGED_ZH}))(?=.*(?:会|党日|党课|评议|团建))"
    r"(?:.*(?:合并|合在一起|合着|一起开|一起搞|放在一起|放一起|合开|搭在一起|一并开)"
    r"|.*(?:和|跟|与|同)(?:别的|其他|隔壁|兄弟)(?:支部|单位|局|处室|科室|部门).{0,12}(?:一起|联合)"
    r"|.*联合(?:搞|开|办)?(?:主题党日|党课|组织生活会|党员大会))",
    rf"^(?!.*\b(?:{_NOT_MERGED_EN})\b)(?=.*\b(?:meetings?|days?|lectures?|lessons?|appraisals?|sessions?)\b)"
    r".*\b(?:combine[ds]?|combining|merge[ds]?|merging|together with|joint)\b",
    # What the dues come to, how they are paid, dues unpaid.
    rf"党费(?!.*(?:{_NOT_DUES_PAID_ZH}))"
    r"(?:.{0,4}(?:怎么|如何)(?:算|计算|交|缴)|.{0,6}(?:交多少|缴多少|多少钱|标准是|比例是多少|没交完|欠交|补交|拖欠))",
    rf"^(?!.*(?:{_LONG_UNPAID_ZH})).*(?:欠|补交|少交|多交|没交)(?:了)?党费",
    r"^(?!.*\b(?:(?:\d+|a few|few|several|some|two|three|four|five|six|many) months|long)\b)"
    r"(?:.*\bhow much (?:are|is|do (?:i|we|members|you) pay (?:for|in|as)?)\s*(?:the\s+|my\s+|our\s+)?(?:party\s+)?"
    r"(?:membership\s+)?dues\b"
    r"|.*\bdues\b.{0,20}\b(?:for (?:a |the )?(?:retirees?|retired|probationary|someone on probation)"
    r"|paid (?:by|with|via|online)|pay (?:by|with|via|online)|wechat|alipay|rates?|percentage|how much)"
    r"|.*\b(?:without paying|not paying|unpaid|owes?|owing|haven'?t paid|hasn'?t paid|didn'?t pay|late)\b"
    r".{0,20}\bdues\b)",
    # A committee's term and its election (in Chinese the off-topic lexicon already declines 任期, 换届选举 …).
    r"^(?!.*\b(?:by-?elections?|mid-?term|vacan\w*|quit|quits|leaves|left|transferred|resign\w*)\b)"
    r"(?:.*\bhow (?:long|many years) is (?:the |a |our )?(?:branch )?(?:secretary'?s?|committee'?s?|party )?\s*term\b"
    r"|.*(?<!long-)(?<!long )\bterms?\b.{0,25}\b(?:how (?:long|many years)|expir\w*|years?)\b"
    r"|.*\bhow (?:often|do we|to|does|do) .{0,25}\belect(?:ion|ions|ed)?\b"
    r"|.*\bprocedure for electing\b|.*\belections? (?:work|procedure|process)\b"
    r"|.*\belect(?:ion|ions)?\b.{0,20}\bhow (?:often|many years)\b)",
    # A newcomer's organisational relationship moving in.
    rf"^(?!.*(?:{_NOT_MOVING_IN_ZH}))(?=.*(?:组织关系|党员身份))"
    r".*(?:调入|调来|调进|调上来|调过来|刚调|新来|新入职|入职|考进|考录|人事|转过来|转入|接收|谁负责接|怎么转"
    r"|还在原|还在镇|还在学校|还没转)",
    rf"^(?!.*\b(?:{_NOT_MOVING_IN_EN})\b)(?=.*\b(?:{_MOVING_IN_EN})\b)"
    r"(?:.*\b(?:hr|human resources)\b.{0,60}\b(?:party relation\w*|party membership|organi[sz]ational relation\w*"
    r"|transfer\w*|new hire|new staff|party member)\b"
    r"|.*\bnew (?:hire|staff|recruit|transfer)s?\b.{0,40}\bparty (?:member|relation\w*|membership)\b"
    r"|.*\b(?:party|organi[sz]ational) (?:relation(?:ship)?s?|membership)\b.{0,30}\btransfer"
    r"|.*\btransfer\w*\b.{0,30}\b(?:party|organi[sz]ational) (?:relation(?:ship)?s?|membership)\b"
    r"|.*\bmove (?:their|his|her) party membership\b)",
    # Developing members and joining the Party: quotas, procedure, conditions, time (the fourth step).
    rf"^(?!.*(?:{_NOT_JOINING_ZH}))(?=.*(?:发展党员|入党|发展.{{0,4}}党员))"
    r".*(?:名额|比例|指标|流程|程序|步骤|条件|难不难|怎么入|怎么申请|申请书|多久|几年|多长时间)",
    rf"^(?!.*\b(?:{_NOT_JOINING_EN})\b)"
    r"(?=.*\b(?:join(?:ing)? the party|become a (?:party )?member|party membership application"
    r"|apply(?:ing)? (?:to join|for (?:party )?membership))\b)"
    r".*\b(?:quotas?|process|procedures?|steps|requirements?|conditions|how (?:do|can|to)|how long|eligib\w*"
    r"|criteria)\b",
)
NOT_REGULATED = re.compile("|".join(f"(?:{p})" for p in _NOT_REGULATED))


def not_regulated(question: str) -> bool:
    """True when ``question`` asks about one of the topics the notice does not regulate."""
    return NOT_REGULATED.search(normalize(question)) is not None
