"""Measure numbers written every way."""

from __future__ import annotations

import pytest

from bot.measures.numbers import (
    find_measure_number,
    find_section_number,
    measure_references,
    measures_missing,
    measures_named,
    normalize,
    number_runs,
    parse_chinese_number,
    parse_english_number,
    without_measure_numbers,
)
from bot.measures.search import ask
from bot.measures.semantic import as_learnt


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十六", 16),
        ("二十", 20),
        ("二十二", 22),
        ("三十二", 32),
        ("两", 2),
        ("九十九", 99),
        ("一百", 100),
        ("一百零五", 105),
        ("一百五", 150),
        ("三二", 32),
        ("廿", 20),  # the old characters for twenty and thirty, still typed
        ("廿一", 21),
        ("卅", 30),
        ("卅二", 32),
    ],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert parse_chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "十十", "二三十", "党", "十六条", "廿十", "一廿"])
def test_not_chinese_numerals(text: str) -> None:
    assert parse_chinese_number(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("16", 16),
        ("16th", 16),
        ("sixteen", 16),
        ("sixteenth", 16),
        ("thirty-two", 32),
        ("thirty two", 32),
        ("thirty-second", 32),
        ("twenty", 20),
        ("first", 1),
    ],
)
def test_english_numbers(text: str, value: int) -> None:
    assert parse_english_number(text) == value


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("第十六条", 16),
        ("措施二十二", 22),
        ("第32条", 32),
        ("16", 16),
        ("第16项", 16),
        ("第二项是什么", 2),
        ("第五点讲了啥", 5),
        ("十六", 16),
        ("第十六", 16),
        ("第三条是什么", 3),
        ("第二十六条说了啥", 26),
        ("第廿一条讲什么", 21),
        ("第卅条", 30),
        ("第１６条", 16),
        ("１６", 16),
        ("第三十二项措施", 32),
        ("开会时说的第三项措施是什么", 3),  # 措施 after it: a measure, although a meeting is named
        ("会上提到的第五条是什么", 5),
        ("措施2", 2),
        ("16号措施", 16),
        ("第16条 party dues", 16),
        ("看看第5条", 5),
        ("measure 16", 16),
        ("Measure Sixteen", 16),
        ("article 16", 16),
        ("#16", 16),
        ("sixteen", 16),
        ("the 16th measure", 16),
        ("item 3", 3),
        ("no. 7", 7),
        ("what does measure 99 say", 99),
        ("第99条", 99),
        ("第0条", 0),
        ("99", 99),
        ("29条原文是什么", 29),  # digits and 条 opening the question, followed by what it says
        ("28条规定了什么", 28),  # … and 规定 as the question's verb ("3条规定有哪些" asks for three rules)
        ("5条规定啥", 5),
        ("12条的三年计划现在是不是已经过期了", 12),
        ("通知里12条讲了啥", 12),
        ("三十一条说了什么", 31),  # Chinese numerals from ten on open the question as digits do (session 35)
        ("二十条说了什么", 20),
        ("十三条说不定星级的支部要排查整顿，具体怎么搞", 13),
        ("卅一条是什么", 31),
        ("十六条讲了什么", 16),
        ("No. 8 say what", 8),
        ("最后一条讲什么", 32),  # the notice's last measure
        ("措施里最后一项措施是什么", 32),
        ("what does the last measure say", 32),
        ("meassure 13 content", 13),  # misspelt: a letter doubled, dropped or two swapped
        ("mesure 5", 5),
        ("what does measrue 20 say", 20),
        ("measurs 7", 7),
        ("第16條讲什么", 16),  # the traditional character
        ("第十六跳说的啥", 16),  # 跳 for 条: a pinyin keyboard's tiao
        ("第16tiao", 16),
    ],
)
def test_find_measure_number(question: str, number: int) -> None:
    ref = find_measure_number(question)
    assert ref is not None and ref.number == number


@pytest.mark.parametrize(
    "question",
    [
        "第一议题",
        "三会一课",
        "按机关工作人员总数的1%至2%配备",
        "每年至少1次",
        "2022年的主题",
        "一岗双责",
        "两个维护",
        "七个有之",
        "六有",
        "五星党支部",
        "八小时以外",
        "one lesson",
        "measures on dues",
        "measured 5 times",  # a verb, not the noun misspelt
        "pleasure 3",  # a letter changed makes another word
        "政治生日",
        "第一责任人",
        "支部开会第一项议程应该学什么",  # the first item on the agenda: 第一议题 (measure 7), not measure 1
        "第一项议程",
        "第二点意见",
        "what comes first on the agenda",
        "the first item on the agenda of a branch meeting",  # 第一议题 again, in English
        "what counts as the first item at a branch committee meeting",
        "what should we study as the first item",  # "the first item" is the agenda's
        "who is the number one person responsible for party building",  # an idiom
        "point 2 of our meeting",
        "党组会议第一项是什么",  # after a meeting is named, 第N项 / 第N点 counts the meeting's items
        "每次开会第一点内容学什么",
        "3条规定有哪些",  # three rules, not measure 3
        "支部有3条要求吗",
        "两条意见的落实情况",
        "32条里讲党费的是哪一条",  # without 第, "32条" is the notice's name (the 32 measures), not measure 32
        "这份32条的文件是什么时候发的",
        "32条的内容多不多",
        "这些措施一共要花多少钱",  # 一共 (in all), not 措施一
        "党组会第一项是不是都要学习总书记的讲话",  # the first item of a meeting named by its name: 第一议题
        "支委会第一项学什么",
        "32条",  # without 第: the notice's name (an aside), not measure 32
        "32条是啥",
        "措施第三部分是讲什么的",  # a section of the notice (find_section_number), not measure 3
        "打通服务群众最后一公里",
        "会议最后一项议程是什么",
        "what is the last item on the agenda",
        "第一、二季度的党课",  # quarters: a list is of measures only with 条 or 措施 after it
        "支委会第一、二项议程",
        "三条规定的内容",  # below ten a Chinese numeral counts, as "3条规定有哪些" does
        "三十二条讲什么",  # 三十二条 is the notice's name, as 32条 is
        "no one recorded my volunteering, can I report it myself",  # "no one" is the pronoun (session 35)
        "no two branches are alike",
        "Typhoon signal no.8, do we still go to office?",  # a number of something else, not of a measure
        "typhoon signal no 8 do we still work",
        "which bus number 22 goes to the city hall",
        "my room #12 has no network",
        "bus number 12 and 13",
        "开支部会第一项是不是必须学习总书记讲话",  # after 支部会, as after 支委会, 第一项 is the meeting's (第一议题)
        "does the central study group also put first agenda item first",  # an adverb, not "item 1"
        "what is the 32 measure",  # the notice's name misspelt, as 32条 without 第
    ],
)
def test_numbers_inside_terms_are_not_measure_numbers(question: str) -> None:
    assert find_measure_number(question) is None


@pytest.mark.parametrize(
    ("question", "number"),
    [("第99999条", 99999), ("measure -1", -1), ("#-3", -3), ("措施-2", -2), ("article 100000", 100000)],
)
def test_any_number_with_a_measure_word_is_a_measure_number(question: str, number: int) -> None:
    # Out of range, but asked for as a measure: "there is no measure N" rather than a guess.
    ref = find_measure_number(question)
    assert ref is not None and ref.number == number


@pytest.mark.parametrize("question", ["12345", "123456", "12345热线"])
def test_long_bare_numbers_are_not_measure_numbers(question: str) -> None:
    assert find_measure_number(question) is None  # 12345 is the hotline of measure 21


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("措施第三部分是讲什么的", 3),
        ("第三部分讲什么", 3),
        ("通知的第二章说了啥", 2),
        ("第7个板块", 7),
        ("第九部分", 9),  # out of range: the caller answers with the notice's seven
        ("what's in section 3 of the notice", 3),
        ("part II", 2),
        ("the fourth section", 4),
        ("32条措施第一部分讲什么", 1),
        ("措施最后一部分讲什么", 7),  # the last section, as 最后一条 is the last measure
        ("最后一个板块有哪几条", 7),
        ("what is the last section of the measures about", 7),
        ("32条最后几条讲什么", 7),  # the last few measures, no number given (session 34)
        ("what do the last few measures say", 7),
    ],
)
def test_find_section_number(question: str, number: int) -> None:
    ref = find_section_number(question)
    assert ref is not None and ref.number == number


@pytest.mark.parametrize(
    "question",
    [
        "支部会议第一部分学什么",
        "the first part of the meeting",
        "第三条",
        "三个部分",
        "一部分党员不参加学习",
        "党课最后一部分讲什么",
        "the last part of the party lecture",
        "党课最后几条要求是什么",  # a lesson's last points
        "积分最后几名的党员会不会评不了优秀",
        "最后两条讲什么",  # counted: measures 31 and 32
    ],
)
def test_not_section_numbers(question: str) -> None:
    assert find_section_number(question) is None


def test_every_measure_number_leaves_the_rest_of_the_question() -> None:
    # "第32条是最后一条吗": both name measure 32; what is left asks nothing of another measure.
    text = normalize("第32条是最后一条吗，讲什么")
    rest = without_measure_numbers(text, measure_references(text))
    assert "32" not in rest and "最后" not in rest and "讲什么" in rest


def test_the_models_do_not_learn_from_a_question_that_names_a_measure_by_number() -> None:
    # It is answered by that number before any model is asked, and its label comes from the number.
    written = [("第二十四条", (24,)), ("第二十九条讲监督吗", (29,)), ("二十四节气有哪些", ()), ("食堂几点开门", ())]
    assert as_learnt(written) == [("二十四节气有哪些", ()), ("食堂几点开门", ())]


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("二十四节气第一个是什么", 24),  # the solar terms, not measure 24
        ("七十二变是谁", 32),  # the Monkey King's transformations, not measure 32 (nor 12)
    ],
)
def test_a_number_inside_a_word_is_not_read_as_that_measure(question: str, measure: int) -> None:
    hits = ask(question, "zh").hits
    assert not hits or hits[0].measure.number != measure


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("第二十三、二十四条", [23, 24]),
        ("第23和24条讲什么", [23, 24]),
        ("23、24条", [23, 24]),
        ("第5条跟第7条有什么区别", [5, 7]),
        ("第三至五条讲的是什么", [3, 4, 5]),  # a range names every measure in it
        ("第3条到第5条", [3, 4, 5]),
        ("措施23和24", [23, 24]),
        ("measures 3-5", [3, 4, 5]),
        ("articles 3, 4 and 7", [3, 4, 7]),
        ("what do measures 12 to 14 say", [12, 13, 14]),
        ("第1到32条", [1, 32]),  # longer than MAX_RANGE: its two ends
        ("措施十一和十二有什么区别", [11, 12]),
        ("措施7跟第一议题有关系吗", [7]),  # a term, not a second measure
        ("措施7和三会一课", [7]),
        ("22条和23条", [22, 23]),
        ("二十二、二十三条讲什么", [22, 23]),
        ("measures five and six", [5, 6]),
        ("measures twenty-two and twenty-three", [22, 23]),
        ("measure 5 and one more question", [5]),  # digits go on with digits, words with words
        ("第二十二条第二款", [22]),  # a clause of measure 22, not measure 2
        ("第5条第3项讲什么", [5]),
        ("第五、六两条讲什么", [5, 6]),  # 两 counts the list: not measure 62
        ("第一、二两条", [1, 2]),
        ("16、17", [16, 17]),  # numbers alone
        ("3-5", [3, 4, 5]),
        ("the 16th and 17th measures", [16, 17]),
        ("measures 16th and 17th", [16, 17]),
        # Counted rather than numbered: within a section, back from the last, the first or last few.
        ("第三部分第1条", [12]),
        ("第三部分的第二条是什么", [13]),
        ("会议第一部分第一项", []),  # a meeting's parts
        ("倒数第二条", [31]),
        ("倒数第三条讲什么", [30]),
        ("前三条讲什么", [1, 2, 3]),
        ("最后两条", [31, 32]),
        ("the first three measures", [1, 2, 3]),
        ("the last two measures", [31, 32]),
        ("最后两条意见", []),  # two opinions
        ("支部的前三条工作要求", []),
        # A measure counted in a section that has no such measure names none: the question is about the section.
        ("第三部分第9条", []),
        ("第八部分第1条", []),
        # Roman numerals after "article" or "measure"; "show me" before numbers alone.
        ("what does article XXII say", [22]),
        ("measure iv", [4]),
        ("article ix and the budget", [9]),
        ("measure i think is about study", []),  # the pronoun
        ("article iiv", []),  # not a numeral written the usual way
        ("show me 22 and 23", [22, 23]),
        ("看看22和23", [22, 23]),
        # 措施 as a pinyin keyboard offers it; not 举措是.
        ("措失22条", [22]),
        ("措是二十二讲什么", [22]),
        ("错施23和24", [23, 24]),
        ("具体举措是一项什么", []),
    ],
)
def test_several_measures_by_number(question: str, numbers: list[int]) -> None:
    assert [ref.number for ref in measure_references(question)] == numbers


@pytest.mark.parametrize(
    ("question", "named", "missing"),
    [
        ("第30到35条", (30, 31, 32), (33, 34, 35)),
        ("第三十至三十五条讲什么", (30, 31, 32), (33, 34, 35)),
        ("第30到50条", (30, 31, 32), tuple(range(33, 51))),  # past MAX_RANGE, but only 30-32 are in the notice
        ("measures 31 to 40", (31, 32), tuple(range(33, 41))),
        ("第5条和第40条", (5,), (40,)),
        ("第40到45条", (), (40, 41, 42, 43, 44, 45)),
        ("第1到32条", (1, 32), ()),  # a long range within the notice: its two ends
        ("第10到40条", (10,), (40,)),  # a long range mostly past the notice: its ends
    ],
)
def test_a_range_past_the_notice_names_what_it_lacks(
    question: str, named: tuple[int, ...], missing: tuple[int, ...]
) -> None:
    refs = measure_references(question)
    assert measures_named(refs) == named and measures_missing(refs) == missing


def test_number_runs() -> None:
    assert number_runs((33, 34, 35, 40, 0)) == [(33, 35), (40, 40), (0, 0)]
    assert number_runs(()) == []


def test_a_list_of_measure_numbers_leaves_the_rest_of_the_question() -> None:
    text = normalize("第23和24条讲什么")
    rest = without_measure_numbers(text, measure_references(text))
    assert rest.strip() == "讲什么"
