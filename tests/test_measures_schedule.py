"""The notice's calendar: what it sets for every year (and regularly), asked for as a list."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.measures import register
from bot.measures.schedule import Asked, asked_schedule, scheduled, tasks
from bot.measures.search import DISABLED, ask, get_index
from tests.conftest import BotHarness

GUEST = 555_000_232


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("32条里每年要做的事情有哪些", Asked.YEAR),
        ("措施里一年要做一次的事情有哪些", Asked.YEAR),
        ("措施里提到的一年一次的活动都有哪些", Asked.YEAR),
        ("措施里每月要做的有哪些", Asked.MONTH),
        ("措施里要求每季度做的有哪些", Asked.QUARTER),
        ("帮我列一下32条里所有有频次要求的", Asked.ANY),
        ("list the measures about annual tasks", Asked.YEAR),
        ("list all frequency requirements in the 32 measures", Asked.ANY),
        ("What does the notice say my branch must do at least once a year?", Asked.YEAR),
        ("What tasks do the measures set for every month?", Asked.MONTH),
    ],
)
def test_a_list_of_what_the_notice_sets_for_a_period_is_asked(question: str, asked: Asked) -> None:
    assert asked_schedule(question) is asked


@pytest.mark.parametrize(
    "question",
    [
        "第5条要求每年做哪些事",  # one measure's, read by its number
        "措施规定了哪些会每月要开",  # a meeting's frequency: the regulations'
        "三会一课在这份文件里被提到了几次？都在哪些措施",  # how often the notice names something
        "单位党建考核每年年底都搞得很被动，有什么办法，措施里对平时的记录有要求吗",  # the year and the list apart
        "支部书记一年要做哪些规定动作",  # the notice not named
        "What does the notice say about the secretary reporting on Party building every year?",  # one subject
        "Our director visits a factory every quarter. Is that what the measures ask for?",
    ],
)
def test_other_questions_with_a_period_are_not_the_calendar(question: str) -> None:
    assert asked_schedule(question) is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_calendar_is_the_notices_own_sentences(lang: str) -> None:
    yearly = [t.measure.number for t in tasks(lang)]
    assert yearly == [5, 10, 17, 25, 26, 30]
    assert {23, 28, 29, 32} <= {t.measure.number for t in tasks(lang, regular=True)}
    five = next(t.sentence for t in tasks(lang) if t.measure.number == 5)
    assert five in next(m for m, _ in scheduled(lang, Asked.YEAR) if m.number == 5).sentences


def test_the_answer_is_every_measure_with_a_yearly_task_led_by_that_sentence() -> None:
    answer = ask("32条里每年要做的事情有哪些", "zh")
    assert answer.schedule is Asked.YEAR
    assert [h.measure.number for h in answer.hits] == [5, 10, 17, 25, 26, 30]
    assert answer.hits[0].lead == "机关党支部每年至少应开展1次对党忠诚为主题的党内政治生活，至少开展1次党章学习。"
    assert not answer.unsure and not answer.figure_missing
    every = ask("帮我列一下32条里所有有频次要求的", "zh")
    numbers = [h.measure.number for h in every.hits]
    assert numbers[:6] == [5, 10, 17, 25, 26, 30] and numbers[6:] == [9, 23, 28, 29, 32]
    # The notice sets nothing monthly: no measure answers, and the reply says so.
    monthly = ask("措施里每月要做的有哪些", "zh")
    assert monthly.schedule is Asked.MONTH and monthly.hits == ()


async def test_the_chat_lists_the_calendar_with_a_button_for_each_measure(bot: BotHarness) -> None:
    text = (await bot.say(GUEST, "措施里一年要做一次的事情有哪些"))[0]
    lines = text.splitlines()
    assert lines[0] == "<b>《若干措施》规定每年要做的：</b>"
    assert lines[1] == "• 机关党支部每年至少应开展1次对党忠诚为主题的党内政治生活，至少开展1次党章学习。—— 第5条"
    assert re.findall(r"—— 第(\d+)条", text) == ["5", "10", "17", "25", "26", "30"]
    assert [data for _, data in bot.request.calls[-1].buttons] == [
        *(f"ms:m:{n}:zh:new" for n in (5, 10, 17, 25, 26, 30)),
        "ms:idx:zh:new",
    ]
    text = (await bot.say(GUEST, "措施里要求每季度做的有哪些"))[0]
    assert text.startswith("《若干措施》没有规定每季度要做的事。\n按《中国共产党支部工作条例（试行）》的规定：\n")
    assert "支部党员大会：每季度至少1次" in text and "—— 第25条" in text
    text = (await bot.say(GUEST, "list all frequency requirements in the 32 measures", language_code="en"))[0]
    assert text.startswith("<b>What the measures set for every year:</b>\n• Each organ Party branch shall hold")
    assert "<b>What they set to be done regularly, without a number of times:</b>" in text
    assert text.endswith("· unofficial English rendering</i>")
    # Every sentence would not fit in one message in English: each task by the clause that sets its period.
    assert len(text) <= 4096 and "with one theme each year… — measure 10" in text and "— measure 32" in text


def test_ask_shows_the_calendar() -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    payload = json.loads(runner.invoke(app, ["ask", "--json", "32条里每年要做的事情有哪些"]).output)
    assert payload["schedule"] == "year" and [a["measure"] for a in payload["answers"]] == [5, 10, 17, 25, 26, 30]
    assert payload["answers"][3]["lead"] == "市委常委会每年至少听取1次市直机关工委的工作汇报。"
    out = runner.invoke(app, ["ask", "措施里每月要做的有哪些"]).output.splitlines()
    assert out[:2] == ["《若干措施》没有规定每月要做的事。", "按《中国共产党支部工作条例（试行）》的规定："], out[:3]


def test_the_ablation_leaves_the_calendar_to_the_ranking() -> None:
    index = get_index("zh")
    DISABLED.add("schedule")
    try:
        answer = index.answer("32条里每年要做的事情有哪些")
    finally:
        DISABLED.discard("schedule")
    assert answer.schedule is None and answer.hits  # ranked as any question
    assert index.answer("32条里每年要做的事情有哪些").schedule is Asked.YEAR
