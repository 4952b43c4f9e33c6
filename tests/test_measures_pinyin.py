"""Party terms typed in pinyin in an English question are read as the terms (dangfei: 党费)."""

from __future__ import annotations

import pytest

from bot.measures.pinyin_terms import spell_terms
from bot.measures.search import ask
from tests.conftest import BotHarness

GUEST = 555_000_223


@pytest.mark.parametrize(
    ("question", "spelt"),
    [
        ("What does yi gang shuang ze mean?", "What does 一岗双责 mean?"),
        ("sanhui yike how often", "三会一课 how often"),
        ("How is the dang fei used", "How is the 党费 used"),
        ("What does the notice say about liang ge weihu?", "What does the notice say about 两个维护?"),
        ("Who is the zhibu shuji", "Who is the 支部书记"),
        ("ZHUTI DANGRI ideas", "主题党日 ideas"),
    ],
)
def test_a_term_typed_in_pinyin_is_read_as_the_term(question: str, spelt: str) -> None:
    assert spell_terms(question) == spelt


@pytest.mark.parametrize(
    "question",
    [
        "can he ban long meetings",  # English words only, though canhe, banlong … are syllables
        "Who is the secretary of the branch",
        "dang",  # too short to tell from a name or a typo
        "What about Shenzhen and Guangzhou",  # pinyin, but no Party term
    ],
)
def test_english_and_other_pinyin_are_left_alone(question: str) -> None:
    assert spell_terms(question) is None


def test_a_pinyin_term_is_answered_from_the_chinese_text_and_the_question_kept() -> None:
    answer = ask("What does yi gang shuang ze mean?", "en")
    assert answer.lang == "zh" and answer.question == "What does yi gang shuang ze mean?"
    assert [h.measure.number for h in answer.hits][:1] == [26]


async def test_an_english_member_asking_about_dangfei_gets_the_dues_measure(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "what can dangfei be used for", language_code="en")
    assert "\n<b>Measure 16 · 保障党内活动经费</b>\n" in replies[0]
    assert "<b>党费" in replies[0]
    assert bot.request.calls[-1].buttons[0] == ("Full text of measure 16", "ms:m:16:zh:new")
