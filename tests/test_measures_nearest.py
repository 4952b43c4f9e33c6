"""A declined question about branch work names the measure nearest in subject (round 24).

Most declines left are where people split: Party business next to a measure (how often the organisational-life
meeting is held, dues rates), labelled with that measure by some writers and off-topic by others. The reply still
says no measure answers it, then names the measure ranked first, in the chat (with a button to it), in ``ask``'s
text and in its JSON. Other business ("今天天气怎么样") names none. The thresholds are raised here so that a question
the measures plainly answer stands for one the decision declined, whatever the decision's weights become.
"""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.measures import register
from bot.measures import search
from bot.measures.search import ask
from tests.conftest import BotHarness

GUEST = 555_000_333


@pytest.fixture
def unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every question is declined by the decision, as if it were not sure enough to answer."""
    monkeypatch.setattr(search, "needed_probabilities", lambda: (1.01, 1.01, 1.01))


@pytest.mark.usefixtures("unsure")
@pytest.mark.parametrize(
    ("question", "locale", "measure"),
    [("党费能用来干什么", "zh", 16), ("What can Party dues be used for?", "en", 16), ("怎么过政治生日", "zh", 5)],
)
def test_a_declined_question_on_branch_work_names_the_nearest_measure(question: str, locale: str, measure: int) -> None:
    answer = ask(question, locale)
    assert answer.hits == ()
    assert answer.nearest is not None and answer.nearest.number == measure


@pytest.mark.usefixtures("unsure")
def test_nothing_is_named_below_the_nearest_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "NEAREST_PROBABILITY", 1.0)
    answer = ask("党费能用来干什么")
    assert answer.hits == () and answer.nearest is None


@pytest.mark.parametrize(
    ("question", "locale"),
    [("今天天气怎么样", "zh"), ("食堂几点开饭", "zh"), ("what time does the library open", "en"), ("你好", "zh")],
)
def test_other_business_names_no_measure(question: str, locale: str) -> None:
    answer = ask(question, locale)
    assert answer.hits == () and answer.nearest is None


def test_an_answered_question_names_no_nearest_measure() -> None:
    answer = ask("党费能用来干什么")
    assert answer.hits and answer.nearest is None


@pytest.mark.usefixtures("unsure")
async def test_the_chat_says_no_measure_answers_and_offers_the_nearest(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "党费能用来干什么")
    assert replies == [
        "没有找到直接回答这个问题的措施。\n内容最接近的是<b>第16条 · 保障党内活动经费</b>，但不一定能回答您的问题。"
    ]
    assert bot.request.calls[-1].buttons == [("第16条全文", "ms:m:16:zh"), ("措施目录", "ms:idx:zh")]
    await bot.press(GUEST, "ms:m:16:zh")
    assert bot.request.calls[-1].text.startswith("<b>第16条 · 保障党内活动经费</b>")


@pytest.mark.usefixtures("unsure")
async def test_the_english_chat_names_it_in_english(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "What can Party dues be used for?", language_code="en")
    assert replies[0].splitlines() == [
        "I could not find a measure that answers this directly.",
        "The nearest in subject is <b>Measure 16 · Guarantee funds for Party activities</b>; it may not settle "
        "your question.",
    ]


@pytest.mark.usefixtures("unsure")
def test_ask_names_it_in_text_and_json() -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    line = json.loads(runner.invoke(app, ["ask", "--json", "党费能用来干什么"]).output)
    assert line == {
        "question": "党费能用来干什么",
        "answers": [],
        "nearest": {"measure": 16, "title": "保障党内活动经费"},
    }
    text = runner.invoke(app, ["ask", "党费能用来干什么"]).output
    assert "内容最接近的是第16条 · 保障党内活动经费，但不一定能回答您的问题。" in text
