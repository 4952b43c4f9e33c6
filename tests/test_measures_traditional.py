"""Questions typed in traditional characters (繁体字) are read as their simplified form."""

from __future__ import annotations

import unicodedata

import pytest

from bot.measures import MeasureIndex, build_traditional, get_index
from bot.measures.analysis import _traditional, normalize, simplified_standard
from tests.conftest import BotHarness

GUEST = 555_000_223


@pytest.fixture(scope="module")
def zh() -> MeasureIndex:
    return get_index("zh")


def test_the_table_is_opencc_s_conversion_as_extracted() -> None:
    text = build_traditional.OUT.read_text("utf-8")
    header, *lines = text.splitlines()
    pairs = [line.split() for line in lines]
    # What the reader relies on: one simplified character for one traditional character outside GB2312.
    assert len(pairs) > 4000
    assert all(len(t) == len(s) == 1 and t != s for t, s in pairs)
    assert not [t for t, _ in pairs if t.isascii() or simplified_standard(t)]
    # The reader takes every fourth character of the lines after the header: each line is "T S".
    assert _traditional() == {ord(t): ord(s) for t, s in pairs}
    # And it is what build_traditional.py makes from the opencc package: rebuilt to compare, where the installed
    # OpenCC is the one the file was extracted with (a later release may change its dictionaries).
    if f"OpenCC {build_traditional.opencc_version()} " in header:
        assert text == build_traditional.text()


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("黨員積分", "党员积分"),
        ("黨費能用來幹什麼", "党费能用来干什么"),
        ("支部書記一年講幾次黨課", "支部书记一年讲几次党课"),
        ("第一議題學什麼", "第一议题学什么"),
        ("領導幹部要搞調研嗎？每年幾次", "领导干部要搞调研吗？每年几次"),
        ("第十六條", "第十六条"),
        ("裡面有沒有講志願服務", "里面有没有讲志愿服务"),  # Taiwan's 裡 and 沒
    ],
)
def test_a_traditional_question_gets_the_simplified_question_s_answer(
    zh: MeasureIndex, traditional: str, simplified: str
) -> None:
    assert normalize(traditional) == normalize(simplified)
    got, want = zh.answer(traditional), zh.answer(simplified)
    assert [h.measure.number for h in got.hits] == [h.measure.number for h in want.hits]
    assert got.hits, simplified


@pytest.mark.parametrize("text", ["著名的乾隆", "后来斗争更准", "干部", "32条第5条 讲什么"])
def test_simplified_text_is_never_changed(text: str) -> None:
    # 著, 乾 and 后 are simplified characters too (GB2312), although OpenCC would change some of them.
    assert normalize(text) == unicodedata.normalize("NFKC", text).lower()


def test_every_character_keeps_its_place() -> None:
    # The number readers find spans on the normalised question and cut the question there.
    question = "請問第１６條講的黨費，裡面怎麼說？"
    assert len(normalize(question)) == len(question)
    assert normalize(question) == "请问第16条讲的党费,里面怎么说?"


async def test_a_member_typing_traditional_characters_gets_the_answer_in_chat(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "黨費能用來幹什麼")
    lead = replies[0].splitlines()[0]
    assert lead.endswith("—— 第16条") and "<b>党费" in lead
