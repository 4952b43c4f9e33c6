"""Measure-number resolution: "第十六条", "措施二十二", "第32条", "16", "十六", "measure 16", "#16"; several
("第二十三、二十四条", "第3到5条", "measures 3-5") and counted ones ("倒数第二条", "第三部分第1条", "前三条")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.measures.analysis import normalize
from bot.measures.knowledge import MEASURE_COUNT, SECTION_COUNT, load_notice

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}
# 廿 and 卅 are the old single characters for twenty and thirty ("第廿一条", "第卅条"), still typed for dates.
_CN_TENS = {"廿": "二十", "卅": "三十"}
_CN_NUM = "[零〇一二两三四五六七八九十百廿卅]{1,6}"
_NUM = rf"(?:\d{{1,4}}|{_CN_NUM})"
# A Chinese numeral of ten or more: 十, 廿 or 卅 in it ("十六", "二十", "卅一").
_CN_TENS_NUM = "[一二三四五六七八九]?[十廿卅][一二三四五六七八九]?"
# With a word that makes it a measure number, any number is one (第99999条, measure -1: out of range).
_NUM_X = rf"(?:-?\d{{1,6}}|{_CN_NUM})"

_EN_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_EN_ORDINAL_TENS = {
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "seventieth": 70,
    "eightieth": 80,
    "ninetieth": 90,
}
_EN_WORD = "|".join(sorted([*_EN_UNITS, *_EN_ORDINAL_UNITS, *_EN_TENS, *_EN_ORDINAL_TENS], key=len, reverse=True))
_EN_NUM = rf"(?:\d{{1,4}}(?:st|nd|rd|th)?|(?:{_EN_WORD})(?:[\s-]+(?:{_EN_WORD}))?)"
_EN_NUM_X = rf"(?:-?\d{{1,6}}(?:st|nd|rd|th)?|(?:{_EN_WORD})(?:[\s-]+(?:{_EN_WORD}))?)"
# After the noun a number is a cardinal ("measure 16", "item three"): "put the first agenda item first" is an adverb.
_EN_CARDINAL_WORD = "|".join(sorted([*_EN_UNITS, *_EN_TENS], key=len, reverse=True))
_EN_CARDINAL_X = rf"(?:-?\d{{1,6}}(?:st|nd|rd|th)?|(?:{_EN_CARDINAL_WORD})(?:[\s-]+(?:{_EN_WORD}))?)\b"


def _misspellings(word: str) -> list[str]:
    """The slips of a typing thumb in ``word``: a letter dropped, two swapped or one doubled ("mesure", "meausre",
    "meassure"); not a letter changed, which makes other words ("pleasure")."""
    dropped = {word[:i] + word[i + 1 :] for i in range(1, len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    doubled = {word[:i] + word[i] + word[i:] for i in range(len(word))}
    return sorted((dropped | swapped | doubled) - {word}, key=len, reverse=True)


# "meassure 13": the noun may be misspelt, the number still names a measure (only "measure", the word people type;
# "point" or "item" misspelt are other words: "pint", "iten").
_MEASURE_SLIPS = "|".join(_misspellings("measure"))
# "no" numbers only before digits: "no one recorded it", "no two branches" are the pronoun and the determiner.
_EN_NOUN = rf"(?:measures?|(?:{_MEASURE_SLIPS})s?|articles?|items?|points?|clauses?|no\.?(?=\s*#?\s*\d)|number|nr\.?)"
# "Typhoon signal no. 8", "bus number 22", "room #12": a number of something else, not of a measure.
_EN_NUMBERING = re.compile(r"(?:no\.?|number|nr\.?|#)")
_EN_OTHER_NUMBERED = re.compile(
    r"\b(?:signal|typhoon|storm|bus|route|line|metro|train|flight|seat|room|floor|building|block|gate|exit|platform|"
    r"house|road|street|lane|unit|desk|office|phone|tel|car|plate|case|ticket|order|account|serial|version|page|id|"
    r"form|file|document|policy|invoice|badge|card|hotline)\s*$"
)

# 条 as typed: 跳 or "tiao", which a pinyin keyboard offers for tiao ("第十六跳说的啥"). The traditional 條 is 条 by
# then: every pattern here reads normalised text (analysis.normalize).
_TIAO = r"(?:条|跳|tiao(?![a-z]))"

# 措施 as typed: 措失, 错施 and 措是 are what a pinyin keyboard offers for cuoshi ("措失22条", "措是二十二讲什么");
# not 举措是.
_CUOSHI = r"(?:措施|措失|错施|(?<!举)措是)"

# A part of the notice: its seven numbered sections (一、… 七、), which people call 部分, 章 or 板块.
_SECTION_NOUN = r"(?:个\s*)?(?:大?部分|章|板块|大项|大块)"
# What may follow "第N项" when it names a measure: 措施 or the start of a question about it.
_PREDICATE = r"(?:措施|是|讲|说|的|内容|呢|要求|规定|里|中|写|提|怎)"

# Not "32条" or "三十二条" (the count of measures): without 第 that is the notice's name ("32条是谁印发的",
# "32条里哪一条讲评星定级", "三十二条讲什么"; asides.asks_about_the_notice).
_NOT_THE_NOTICE_NAME = rf"(?!(?:{MEASURE_COUNT}|三十二)\s*[条项])"

# Explicit references: the number comes with a word that makes it a measure number. Bare numbers count only
# when they are the whole question, so that "三会一课", "第一议题" or "1%至2%" are never read as numbers.
_ZH_EXPLICIT = (
    # 第N条 is always a measure; 第N项 / 第N点 only when nothing but 措施 or a predicate follows: "第一项议程"
    # (the first item on a meeting's agenda, i.e. 第一议题) and "第一点意见" are terms, not measure numbers.
    re.compile(rf"第\s*({_NUM_X})\s*(?:{_TIAO}|款|个?措施|[项点](?![\u4e00-\u9fff])|[项点](?={_PREDICATE}))"),
    # Not a word that starts with 一 ("32条措施一共几个部分", "措施一下子就落实了"): not 措施一.
    # Nor a section of the notice ("措施第三部分是讲什么的": section 3, see find_section_number).
    re.compile(
        rf"{_CUOSHI}\s*第?\s*(?!一[共下些起直定样般旦切律致同并体道齐贯边向])({_NUM_X})(?![年月日次个%\d])"
        rf"(?!\s*{_SECTION_NOUN})"
    ),
    re.compile(rf"({_NUM_X})\s*号措施"),
    # "29条原文是什么", "通知里12条的三年计划过期了吗": digits and 条 opening the question (after the notice, at
    # most) and followed by what it says; not 规定 / 要求 after it: "3条规定有哪些" asks for three rules. But 规定 as
    # the verb of the question is what the measure says: "28条规定了什么", "5条规定啥" (session 29: a reader's
    # question of batch 188 was declined). Chinese numerals too from ten on ("三十一条说了什么", session 35): below ten
    # they count ("两条意见的", "三条规定"). Not the notice's name (32条, 三十二条).
    re.compile(
        rf"^(?:那个|这个|文件|通知|{_CUOSHI})?(?:里|中)?的?\s*{_NOT_THE_NOTICE_NAME}"
        rf"(\d{{1,2}}|{_CN_TENS_NUM})\s*{_TIAO}"
        r"(?=\s*(?:原文|内容|是|讲|说|写|提|的|里|中|呢|怎|规定(?:了|什么|啥)))"
    ),
)
# Several measures by number: "第二十三、二十四条", "第3到5条", "第5条跟第7条", "23、24条讲什么", "措施23和24",
# "measures 3-5", "articles 3, 4 and 7". A range ("到", "至", "-", "to") names every measure in it.
_ZH_AND = r"(?:[、,和与及跟/&]|以及|还有|或者?)"
_ZH_TO = r"(?:到|至|~|-|—)"
_EN_AND = r"(?:,\s*and|,\s*or|,|&|and|or|/)"
_EN_TO = r"(?:to|through|thru|till|until|-|–)"
_ZH_ITEM = rf"第?\s*{_NUM}(?:\s*{_TIAO})?"
# Where a number without 条 ends as a list's item: not inside a word, only before a predicate or the next item.
_ITEM_ENDS = r"(?:(?![\u4e00-\u9fff\d%])|(?=[是讲说的呢吗都有和与跟及还分内要规里中写提怎]))"
_ZH_LISTS = (
    # 第 before the first number and 条 (or 措施) after the last: "第一、二季度" counts quarters, not measures.
    re.compile(
        rf"第\s*{_NUM}(?:\s*{_TIAO})?(?:\s*(?:{_ZH_AND}|{_ZH_TO})\s*{_ZH_ITEM})+\s*(?:{_TIAO}|款|个?措施|[项点]措施)"
    ),
    # Numbers opening the question, as "29条原文是什么" does alone: "22条和23条", "二十二、二十三条讲什么".
    re.compile(
        rf"^(?:那个|这个|文件|通知|{_CUOSHI})?(?:里|中)?的?\s*{_NUM}(?:\s*{_TIAO})?"
        rf"(?:\s*(?:{_ZH_AND}|{_ZH_TO})\s*{_NUM}(?:\s*{_TIAO})?)+\s*{_TIAO}"
    ),
    # After 措施, as "措施二十二" names one; a number that goes on into a word is not an item ("措施7跟第一议题",
    # "措施7和三会一课").
    re.compile(
        rf"{_CUOSHI}\s*第?\s*(?!一[共下些起直定样般旦切律致同并体道齐贯边向]){_NUM}"
        rf"(?:\s*(?:{_ZH_AND}|{_ZH_TO})\s*(?:第\s*{_NUM}\s*{_TIAO}|第?\s*{_NUM}{_ITEM_ENDS}))+(?!\s*{_SECTION_NOUN})"
    ),
)
# "支部开会，第一项内容必须学什么": after a meeting is named, 第N项 / 第N点 counts the meeting's items (its first one is
# 第一议题), unless 措施 follows.
# A meeting by name, too: "党组会第一项是不是都要学习…" asks for the first item of the leading group's meeting.
_ZH_MEETING = re.compile(
    r"开会|会议|会上|会前|例会|议程|议题|党课|组织生活|主题党日|党组会|党委会|支委会|大会|小组会|办公会|常委会|中心组|"
    r"支部会|党员会|全体会|学习会|生活会|碰头会"  # "开支部会第一项是不是必须学习总书记讲话" (session 35)
)
_ZH_ITEM_OF_MEETING = re.compile(r"[项点]\s*$")
# Not the notice's name alone ("32条", "32条是啥").
_ZH_WHOLE = re.compile(
    rf"^(?:请问|查询?|看看?|看一下)?\s*{_NOT_THE_NOTICE_NAME}第?\s*({_NUM})\s*(?:{_TIAO}|项|点|款|号)?\s*(?:措施)?\s*"
    r"(?:是什么|是啥|讲的?是?什么|讲了?啥|讲了什么|说的?是?什么|说了?啥|说了什么|的?内容|呢)?\s*[?？。.!！]*$"
)
# "The first item on the agenda" (第一议题) and "point 2 of the meeting" are about a meeting, not a measure.
_EN_NOT_MEASURE = (
    r"(?!\s+(?:on|of|in|at)\s+(?:the\s+|our\s+|a\s+|an\s+|its\s+|their\s+|every\s+|each\s+)?(?:\w+\s+){0,3}"
    r"(?:agenda|meetings?)\b)"
)
_EN_EXPLICIT = (
    # Not "the number one person responsible" (the one who leads), an idiom.
    re.compile(
        rf"\b(?!number\s+one\s+(?:person|leader|boss|official|cadre|responsible|priority|task|job)\b)"
        rf"{_EN_NOUN}\s*#?\s*({_EN_CARDINAL_X})\b{_EN_NOT_MEASURE}"
    ),
    re.compile(r"#\s*(-?\d{1,6})\b"),
    # "the 27th item", but not "the first item": in a branch's questions that is a meeting's first item (第一议题).
    # Not "the 32 measure": the notice's name misspelt, as 32条 without 第 is ("what is the 32 measure").
    re.compile(
        rf"\b(?:the\s+)?(?!{MEASURE_COUNT}\s+measure\b)({_EN_NUM})\s+(?:measure|article|(?<!first\s)(?<!1st\s)item)\b"
        rf"{_EN_NOT_MEASURE}"
    ),
)
_EN_WHOLE = re.compile(rf"^(?:show(?:\s+me)?\s+)?({_EN_NUM})\s*[?.!]*$")
# "article XXII", "measure iv": Roman numerals, after a word that makes them a measure's (one letter only as v or x:
# "measure i" is more likely the pronoun).
_EN_ROMAN = re.compile(rf"\b(?:measures?|articles?)\s+([ivx]{{2,6}}|v|x)\b{_EN_NOT_MEASURE}")
# Digits after digits, words after words: "measures 5 and 6", "measures five and six", not "measure 5 and one more".
_EN_NEXT = rf"\s*(?:{_EN_AND}|{_EN_TO})\s*(?:(?:measure|article|item|point)s?\s*)?#?\s*"
_EN_LIST = re.compile(
    rf"\b(?:{_EN_NOUN})\s*#?\s*(?:\d{{1,2}}(?:st|nd|rd|th)?(?:{_EN_NEXT}\d{{1,2}}(?:st|nd|rd|th)?)+\b"
    rf"|(?:{_EN_WORD})(?:[\s-]+(?:{_EN_WORD}))?(?:{_EN_NEXT}(?:{_EN_WORD})(?:[\s-]+(?:{_EN_WORD}))?)+\b){_EN_NOT_MEASURE}"
)
_EN_ORDINALS = re.compile(
    rf"\b(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s*(?:{_EN_AND}|{_EN_TO})\s*\d{{1,2}}(?:st|nd|rd|th)?)+\s+(?:measures|articles)\b"
)  # "the 16th and 17th measures"
# Numbers alone: "16、17", "3-5", "16 and 17", "show me 22 and 23".
_BARE_LIST = re.compile(
    rf"^\s*(?:show(?:\s+me)?\s+|看看?\s*)?\d{{1,2}}(?:\s*(?:{_ZH_AND}|{_ZH_TO}|and|to)\s*\d{{1,2}})+\s*[?？。.!！]*$"
)
# Within a list: each number, and the range words between them.
_LIST_TOKEN = re.compile(
    rf"(?P<to>{_ZH_TO}|\b{_EN_TO}\b)|(?P<number>\d{{1,4}}|{_CN_NUM}|\b(?:{_EN_WORD})(?:[\s-]+(?:{_EN_WORD}))?\b)"
)
# The longest range read as every measure in it: longer ones ("第1到32条") name their two ends.
MAX_RANGE = 10
# A range past the notice's end ("第30到50条") names the numbers it lacks up to this one, for the reply to say so.
_MISSING_UP_TO = 99


@dataclass(frozen=True)
class NumberRef:
    """A measure number found in a question; ``span`` is where it was found (to strip it from the rest)."""

    number: int
    span: tuple[int, int]


def parse_chinese_number(text: str) -> int | None:
    """Parse a Chinese numeral below 1000 ("十六", "二十二", "一百", "三二", "廿一"); None if it is not one."""
    for old, tens in _CN_TENS.items():
        text = text.replace(old, tens)
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    if all(c in _CN_DIGITS for c in text):
        # Digit by digit, as in "三二" (rare, but unambiguous); never with 两, which counts ("六两条": two of them).
        if "两" in text and len(text) > 1:
            return None
        value = 0
        for c in text:
            value = value * 10 + _CN_DIGITS[c]
        return value
    total, digit, last_unit, zero = 0, None, 1000, False
    for c in text:
        if c in "零〇":
            zero = True  # "一百零五": the next digit is units
            continue
        if c in _CN_DIGITS:
            if digit is not None:
                return None  # two digits in a row inside a unit form ("二三十")
            digit = _CN_DIGITS[c]
        else:
            unit = _CN_UNITS[c]
            if unit >= last_unit:
                return None  # "十十", "十百"
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    if digit is not None:
        if last_unit == 100 and total and not zero:  # "一百五" means 150
            digit *= 10
        total += digit
    return total


def parse_english_number(text: str) -> int | None:
    """Parse "16", "16th", "sixteen", "thirty-two", "thirty second"; None if it is not a number."""
    text = text.strip().lower()
    m = re.fullmatch(r"(-?\d{1,6})(?:st|nd|rd|th)?", text)
    if m:
        return int(m.group(1))
    words = [w for w in re.split(r"[\s-]+", text) if w]
    if len(words) == 1:
        w = words[0]
        for table in (_EN_UNITS, _EN_ORDINAL_UNITS, _EN_TENS, _EN_ORDINAL_TENS):
            if w in table:
                return table[w]
        return None
    if len(words) == 2 and words[0] in _EN_TENS:
        unit = _EN_UNITS.get(words[1], _EN_ORDINAL_UNITS.get(words[1]))
        if unit is not None and 1 <= unit <= 9:
            return _EN_TENS[words[0]] + unit
    return None


def parse_number(text: str) -> int | None:
    """Parse an Arabic, Chinese or English number."""
    text = normalize(text).strip()
    if text.lstrip("-").isdigit() and text.count("-") <= 1:
        return int(text)
    value = parse_chinese_number(text)
    return value if value is not None else parse_english_number(text)


# "最后一条讲什么", "what does the last measure say": the notice's last measure.
_ZH_LAST = re.compile(r"最后\s*一\s*(?:条|个措施|项措施)")
# "倒数第二条": counted back from the last measure.
_ZH_FROM_END = re.compile(rf"倒数\s*第\s*({_NUM})\s*(?:{_TIAO}|个措施|项措施)")
# "第三部分第1条", "第三部分的第二条": a measure counted within a section of the notice.
_ZH_IN_SECTION = re.compile(
    rf"第\s*({_NUM})\s*{_SECTION_NOUN}\s*(?:的|里的?|中的?)?\s*第\s*({_NUM})\s*(?:{_TIAO}|项|个措施|项措施)"
)
# "前三条讲什么", "最后两条", "the first three measures": the first or the last few measures.
_THEN_ASKS = r"(?=\s*(?:措施|是|讲|说|的|内容|呢|都|分别|[?？。.!！]|$))"
_FIRST_FEW = (
    re.compile(rf"(?:^|的|里|中)\s*(?:前|头)\s*({_NUM})\s*{_TIAO}{_THEN_ASKS}"),
    re.compile(rf"\b(?:the\s+)?first\s+({_EN_NUM})\s+(?:measures|articles)\b"),
)
_LAST_FEW = (
    re.compile(rf"最后\s*({_NUM})\s*{_TIAO}{_THEN_ASKS}"),
    re.compile(rf"\b(?:the\s+)?(?:last|final)\s+({_EN_NUM})\s+(?:measures|articles)\b"),
)
_EN_LAST = re.compile(rf"\b(?:the\s+)?(?:last|final)\s+(?:measure|article)\b{_EN_NOT_MEASURE}")


def find_measure_number(question: str) -> NumberRef | None:
    """Find a measure number the question asks for, in range or not (the caller checks the range)."""
    refs = measure_references(question)
    return refs[0] if refs else None


def measures_named(refs: list[NumberRef]) -> tuple[int, ...]:
    """The measures ``refs`` name that the notice has, each once, in the order asked."""
    return tuple(dict.fromkeys(r.number for r in refs if 1 <= r.number <= MEASURE_COUNT))


def measures_missing(refs: list[NumberRef]) -> tuple[int, ...]:
    """The numbers ``refs`` name that the notice has no measure for ("第30到35条": 33, 34, 35), each once, in order."""
    return tuple(dict.fromkeys(r.number for r in refs if not 1 <= r.number <= MEASURE_COUNT))


def number_runs(numbers: tuple[int, ...]) -> list[tuple[int, int]]:
    """``numbers`` as runs of consecutive numbers, first and last ((33, 34, 35, 40) → [(33, 35), (40, 40)]), for a
    reply to name them as "33–35, 40"."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def missing_context(missing: tuple[int, ...]) -> dict[str, object]:
    """What ``measures/missing.html.j2`` says of the numbers ``missing``: their runs, how many they are, and how many
    measures the notice has (the chat, /measure and the CLI)."""
    return {"missing": number_runs(missing), "total": len(missing), "count": MEASURE_COUNT}


def measure_references(question: str) -> list[NumberRef]:
    """Every measure number in the question, the one to answer first; spans are on ``normalize(question).strip()``."""
    return _measure_references(normalize(question).strip())


def without_measure_numbers(text: str, refs: list[NumberRef]) -> str:
    """``text`` (the normalised question ``refs`` were found in) without those measure numbers ("第32条是最后一条吗"
    asks of measure 32 alone)."""
    for ref in sorted(refs, key=lambda r: r.span, reverse=True):  # from the end: the earlier spans stay put
        text = text[: ref.span[0]] + " " + text[ref.span[1] :]
    return text


def _measure_references(text: str) -> list[NumberRef]:
    """Every measure number in ``text`` (normalised), the one to answer first."""
    refs, taken = _counted(text)
    for pattern in (_BARE_LIST, *_ZH_LISTS, _EN_LIST, _EN_ORDINALS):
        for m in pattern.finditer(text):
            if pattern is _EN_LIST and _numbers_something_else(text, m):
                continue
            if not any(_overlap(m.span(), span) for span in taken):
                listed = _listed(m)
                refs.extend(listed)
                taken.extend(r.span for r in listed)
    for pattern in (_ZH_WHOLE, _EN_WHOLE, *_ZH_EXPLICIT, *_EN_EXPLICIT, _EN_ROMAN):
        for m in pattern.finditer(text):
            if pattern is _ZH_EXPLICIT[0] and (_is_meeting_item(text, m) or _is_clause(text, m)):
                continue
            if pattern in _EN_EXPLICIT[:2] and _numbers_something_else(text, m):
                continue
            value = _parse_roman(m.group(1)) if pattern is _EN_ROMAN else parse_number(m.group(1))
            if value is not None and not any(_overlap(m.span(), span) for span in taken):
                refs.append(NumberRef(value, m.span()))
                taken.append(m.span())
    for pattern in (_ZH_LAST, _EN_LAST):
        refs.extend(NumberRef(MEASURE_COUNT, m.span()) for m in pattern.finditer(text))
    return refs


def _numbers_something_else(text: str, m: re.Match[str]) -> bool:
    """Whether an English reference by "no.", "number" or "#" numbers a thing named just before it ("signal no. 8",
    "bus number 22", "room #12") rather than a measure."""
    return bool(_EN_NUMBERING.match(m.group(0))) and bool(_EN_OTHER_NUMBERED.search(text, 0, m.start()))


def _counted(text: str) -> tuple[list[NumberRef], list[tuple[int, int]]]:
    """Measures counted rather than numbered: within a section ("第三部分第1条"), back from the last ("倒数第二条"),
    the first or last few ("前三条", "最后两条"). The first of several takes the span, the others are empty after it.
    Also the spans taken: a measure counted within a section that has no such measure ("第三部分第9条", "第八部分第1
    条") names none, and its 第N条 is not measure N; the question is then about the section (find_section_number)."""
    refs: list[NumberRef] = []
    taken: list[tuple[int, int]] = []
    for m in _ZH_IN_SECTION.finditer(text):
        if _a_meeting_part(text, m.start()):
            continue  # "会议第一部分第一项": a meeting's parts
        section = load_notice("zh").section(parse_number(m.group(1)) or 0)
        place = parse_number(m.group(2)) or 0
        taken.append(m.span())
        if section is not None and 1 <= place <= len(section.measures):
            refs.append(NumberRef(section.measures[place - 1].number, m.span()))
    for m in _ZH_FROM_END.finditer(text):
        back = parse_number(m.group(1))
        if back is not None and 1 <= back <= MEASURE_COUNT and not any(_overlap(m.span(), r.span) for r in refs):
            refs.append(NumberRef(MEASURE_COUNT + 1 - back, m.span()))
    for patterns, first in ((_FIRST_FEW, True), (_LAST_FEW, False)):
        for m in (m for pattern in patterns for m in pattern.finditer(text)):
            few = parse_number(m.group(1))
            if few is None or not 2 <= few <= MAX_RANGE or any(_overlap(m.span(), r.span) for r in refs):
                continue
            numbers = range(1, few + 1) if first else range(MEASURE_COUNT + 1 - few, MEASURE_COUNT + 1)
            refs.extend(NumberRef(n, m.span() if i == 0 else (m.end(), m.end())) for i, n in enumerate(numbers))
    taken.extend(r.span for r in refs)
    return refs, taken


def _listed(m: re.Match[str]) -> list[NumberRef]:
    """The measures a list names ("第二十三、二十四条", "第3到5条", "measures 3-5"), in order. The items' spans tile
    the list's, so that what is left of the question has none of it; the measures inside a range have empty spans."""
    refs: list[NumberRef] = []
    ranged = False
    for token in _LIST_TOKEN.finditer(m.group(0)):
        if token.group("to"):
            ranged = bool(refs)
            continue
        word = token.group("number")
        value = parse_number(word)
        if value is None and len(word) > 1 and word.endswith("两"):
            value = parse_number(word[:-1])  # "第五、六两条": the list's count follows its last number
        if value is None:
            continue
        start = m.start() if not refs else refs[-1].span[1]
        end = m.start() + token.end()
        last = refs[-1].number if refs else None
        if ranged and last is not None and 0 < value - last <= MAX_RANGE - 1:
            refs.extend(NumberRef(n, (start, start)) for n in range(last + 1, value))
        elif ranged and last is not None and last < MEASURE_COUNT < value and MEASURE_COUNT - last < MAX_RANGE:
            # "第30到50条": a range that runs past the notice names the measures in it and the numbers past the end
            # up to its own (each a number the reply says the notice lacks), but not beyond a hundred.
            refs.extend(NumberRef(n, (start, start)) for n in range(last + 1, min(value, _MISSING_UP_TO + 1)))
        refs.append(NumberRef(value, (start, end)))
        ranged = False
    if refs:
        refs[-1] = NumberRef(refs[-1].number, (refs[-1].span[0], m.end()))
    return refs


_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def _parse_roman(text: str) -> int | None:
    """A Roman numeral from 1 to 39 written the usual way ("xxii", "iv"); None for one that is not ("iiv", "vx")."""
    total = 0
    for i, c in enumerate(text):
        value = _ROMAN_VALUES[c]
        total += -value if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value else value
    return total if _to_roman(total) == text else None


def _to_roman(n: int) -> str:
    tens, units = divmod(n, 10)
    return "x" * tens + ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")[units]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


# A section of the notice by its number: "第三部分", "措施第三章", "section 3", "part III", "the third section". Not a
# part of a meeting ("会议第一部分学什么" is its first item, 第一议题), unless the notice is named before it.
_ZH_SECTION = re.compile(rf"第\s*({_NUM})\s*{_SECTION_NOUN}")
_ZH_NOTICE = re.compile(r"措施|通知|文件|32条")
_EN_SECTION = (
    re.compile(rf"\b(?:section|part|chapter)\s*#?\s*({_EN_NUM}|ii|iii|iv|vi|vii)\b{_EN_NOT_MEASURE}"),
    re.compile(rf"\b(?:the\s+)?({_EN_NUM})\s+(?:section|part|chapter)\b{_EN_NOT_MEASURE}"),
)


# "最后一部分讲什么", "the last section of the measures": the notice's last section (七、加强党建工作领导), as
# "最后一条" is its last measure (session 33; "最后一部分讲的组织保障包括哪些", batch 170, was declined).
# "最后几条讲什么" (the last few measures, no number given) is the last section too: its heading and measures.
_ZH_LAST_SECTION = re.compile(rf"最后\s*(?:一\s*)?{_SECTION_NOUN}|最后(?:面|那|的)?\s*几\s*[条项]")
_EN_LAST_SECTION = re.compile(
    r"\b(?:the\s+)?(?:last|final)\s+(?:(?:few|several)\s+measures\b|(?:section|part|chapter)\b)(?!\s+(?:on|of|in|at)\s+(?:the\s+|our\s+|a\s+|an\s+|my\s+|"
    r"this\s+)?(?:\w+\s+){0,2}(?:agenda|meetings?|lectures?|lessons?|class(?:es)?|sessions?|speech(?:es)?|reports?|talks?"
    r"|training|courses?)\b)"
)


def _a_meeting_part(text: str, start: int) -> bool:
    """True when a meeting is named before ``start`` and the notice is not: a part counted there is the meeting's."""
    before = text[:start]
    return bool(_ZH_MEETING.search(before)) and not _ZH_NOTICE.search(before)


def find_section_number(question: str) -> NumberRef | None:
    """Find the number of a section of the notice the question asks for, in range or not (the caller checks)."""
    text = normalize(question).strip()
    m = _ZH_SECTION.search(text) or _ZH_LAST_SECTION.search(text)
    if m and _a_meeting_part(text, m.start()):
        m = None
    for candidate in (m, *(p.search(text) for p in _EN_SECTION), _EN_LAST_SECTION.search(text)):
        if candidate is not None:
            if candidate.re in (_ZH_LAST_SECTION, _EN_LAST_SECTION):
                return NumberRef(SECTION_COUNT, candidate.span())
            word = candidate.group(1)
            value = _parse_roman(word) if re.fullmatch(r"[ivx]+", word) else parse_number(word)
            if value is not None:
                return NumberRef(value, candidate.span())
    return None


# "第二十二条第二款", "第5条第3项": a clause of the measure before it, not another measure.
_CLAUSE_OF = re.compile(rf"第\s*{_NUM_X}\s*{_TIAO}\s*(?:的|中的|里的)?\s*$")


def _is_clause(text: str, m: re.Match[str]) -> bool:
    """True for 第N款 / 第N项 / 第N点 right after 第M条: part of measure M."""
    return not re.search(_TIAO, m.group(0)) and bool(_CLAUSE_OF.search(text[: m.start()]))


def _is_meeting_item(text: str, m: re.Match[str]) -> bool:
    """True for 第N项 / 第N点 after a meeting is named, without 措施 after it: an item of the meeting."""
    return (
        bool(_ZH_ITEM_OF_MEETING.search(m.group(0)))
        and not text[m.end() :].lstrip().startswith("措施")
        and bool(_ZH_MEETING.search(text[: m.start()]))
    )


# A question whether its subject is the measure it names (是第N条吗, 是不是第N条规定的, is it measure N?).
_WHETHER = re.compile(r"吗|是不是|是否|对不对|^(?:is|are|was|does|do)\b")


# What may come before a measure number that the question is about: "请问第29条讲监督吗", "does measure 5 …".
_BEFORE_THE_TOPIC = re.compile(
    r"^(?:\s|[,，:：]|请问|问一下|问下|那个|这个|那|通知|文件|措施|里|中|的|does|do|did|is|was|can|in|the)*$"
)


def names_the_measure_first(text: str, ref: NumberRef) -> bool:
    """True when the question (``text`` normalised) opens with the measure number ``ref``: "第二十九条讲监督吗" asks
    what measure 29 says, where "两个维护是第二条吗" asks which measure a subject is in."""
    return bool(_BEFORE_THE_TOPIC.match(text[: ref.span[0]]))


def asks_whether(text: str) -> bool:
    """True for a yes/no question (``text`` normalised): with a measure number, it may ask whether its subject is
    that measure ("两个维护是第二条吗") rather than what the measure says."""
    return bool(_WHETHER.search(text))
