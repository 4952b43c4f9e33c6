"""How often a meeting is held: the regulations' frequencies, told before the measures (which do not set them)."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.measures import register
from bot.measures import frequencies, search
from bot.measures.frequencies import asked_frequencies
from bot.services.kinds_of_meeting import MEETING_KINDS, Period
from tests.conftest import BotHarness

GUEST = 555_000_226


def test_every_meeting_with_a_required_frequency_can_be_asked_about() -> None:
    assert set(frequencies._NAMES) == {k.id for k in MEETING_KINDS if k.period is not Period.NONE}


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("支委会多久开一次", ["committee_meeting"]),
        ("党员大会多久开", ["general_meeting"]),  # session 24: 多久 just before holding it asks how often
        ("党员大会一个季度至少开几次", ["general_meeting"]),
        ("主题党日是每个月一次吗，还是可以两个月搞一次", ["theme_day"]),
        ("三会一课的频次是怎么规定的", ["general_meeting", "committee_meeting", "group_meeting", "party_lesson"]),
        ("组织生活会和民主评议党员一年各开几次", ["org_life_meeting", "democratic_appraisal"]),
        ("How often does the branch committee meeting have to be held?", ["committee_meeting"]),
        ("how many party group meetings per quarter", ["group_meeting"]),
        ("支委会是不是一个月必须开一次", ["committee_meeting"]),  # session 36: 必须 / 都要 before holding it
        ("党员大会每个季度都要开一次吗", ["general_meeting"]),
    ],
)
def test_a_question_on_how_often_a_meeting_is_held_names_its_kinds(question: str, kinds: list[str]) -> None:
    assert [k.id for k in asked_frequencies(question)] == kinds


@pytest.mark.parametrize(
    "question",
    [
        "支部委员会几年换届一次",  # the committee's term, not its meetings
        "支部书记讲党课一年讲几次",  # the secretary's own lesson: once a year, measure 5 says so
        "支委会开会要做记录吗",  # not how often
        "党费多久交一次",  # how often, but no meeting of the table
        "How long is a branch committee's term?",
        "理论学习中心组多久学一次",  # a unit's body with no fixed frequency in the table
        "支部书记一年要上几次党课",
        "文件里提到主题党日几次",  # how often the notice mentions it
        "一次支委会一般开多长时间",  # how long, not how often
        "支委会一般要开多久",  # the same
        "组织生活会多久开完比较合适",  # the same
        "每年一次的民主评议党员要准备什么材料",  # describes the frequency, asks something else
    ],
)
def test_other_questions_name_none(question: str) -> None:
    assert asked_frequencies(question) == ()


def test_ask_gives_the_frequency_first_and_in_json() -> None:
    app = typer.Typer()
    register(app)
    text = CliRunner().invoke(app, ["ask", "支委会多久开一次"]).output.splitlines()
    assert text[:2] == ["按《中国共产党支部工作条例（试行）》的规定：", "支部委员会会议：每月至少1次"]
    payload = json.loads(CliRunner().invoke(app, ["ask", "--json", "三会一课多久开一次"]).output)
    assert payload["frequencies"] == [
        {"meeting": "general_meeting", "period": "quarter", "times": 1},
        {"meeting": "committee_meeting", "period": "month", "times": 1},
        {"meeting": "group_meeting", "period": "month", "times": 1},
        {"meeting": "party_lesson", "period": "quarter", "times": 1},
    ]
    assert "frequencies" not in json.loads(CliRunner().invoke(app, ["ask", "--json", "党费能用来干什么"]).output)


@pytest.mark.parametrize("bar", [1.01, 0.0])
async def test_the_chat_says_how_often_and_that_the_measures_do_not(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch, bar: float
) -> None:
    # The decision's bar raised (it would decline) or lowered (it would answer), so that the reply does not depend on
    # its weights: either way the regulations' figure answers and the measure that names 三会一课 is named as nearest
    # (round 24), never as the answer, for the notice only names the committee meeting (session 22).
    monkeypatch.setattr(search, "needed_probabilities", lambda: (bar, bar, bar))
    replies = await bot.say(GUEST, "支委会多久开一次")
    assert replies[0].splitlines() == [
        "按《中国共产党支部工作条例（试行）》的规定：",
        "支部委员会会议：每月至少1次",
        "《若干措施》没有规定这些会议的召开次数。",
        "内容最接近的是<b>第5条 · 提高党内政治生活质量</b>，但不一定能回答您的问题。",
    ]
    assert bot.request.calls[-1].buttons == [("第5条全文", "ms:m:5:zh"), ("措施目录", "ms:idx:zh")]


async def test_the_frequency_leads_whether_or_not_a_measure_follows(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "支委会多久开一次")
    assert replies[0].splitlines()[:2] == [
        "按《中国共产党支部工作条例（试行）》的规定：",
        "支部委员会会议：每月至少1次",
    ]


@pytest.mark.parametrize("question", ["党课多久上一次", "党课一个季度要上一次吗"])
async def test_the_measure_after_a_frequency_leads_with_what_it_says_of_the_meeting(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch, question: str
) -> None:
    # Answered whatever the decision's weights (thresholds lowered, and never tentative): the regulation gives the
    # figure, so measure 5 leads with its 三会一课 sentence, not with its other number (每年至少1次党章学习).
    monkeypatch.setattr(search, "needed_probabilities", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr(search, "TENTATIVE_PROBABILITY", 0.0)
    lines = (await bot.say(GUEST, question))[0].splitlines()
    lead = lines[lines.index("") + 1]
    assert lead.endswith("—— 第5条") and "三会一课" in lead and "党章学习" not in lead


@pytest.mark.parametrize(
    ("question", "figure", "then"),
    [
        # The Party lesson, which measure 5 sets up: the measure answers after the figure.
        ("How often should we hold a Party lesson?", "Party lesson: at least once a quarter", ""),
        # The general meeting, which the notice only names: the measure is only the nearest (session 22).
        (
            "How often should our branch hold a general meeting?",
            "Branch general meeting: at least once a quarter",
            "The measures do not set how often these meetings are held.",
        ),
    ],
)
async def test_the_frequency_comes_before_the_measure_that_names_the_meeting(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch, question: str, figure: str, then: str
) -> None:
    # The bar lowered: the decision would answer either.
    monkeypatch.setattr(search, "needed_probabilities", lambda: (0.0, 0.0, 0.0))
    lines = (await bot.say(GUEST, question, language_code="en"))[0].splitlines()
    assert lines[:3] == ["Under the Regulations on the Work of Party Branches (trial):", figure, then]
    assert lines[3].endswith(" — measure 5") if not then else "measure 5" in lines[3].lower()


@pytest.mark.parametrize(
    ("question", "unsettled"),
    [
        ("支委会多久开一次", True),
        ("三会一课多久开一次", True),
        ("支部委员会多久召开", True),
        ("组织生活会和民主评议党员一年各开几次", True),
        ("How often does the branch committee meeting have to be held?", True),
        ("党课多久上一次", False),  # measure 5 has the secretaries give Party lessons
        ("支部要不要每年开一次党员大会学党章", False),  # measure 5: the Party Constitution once a year
        ("党员大会开之前要先学第一议题吗，多久开一次", False),  # measure 7: every meeting's first item
        ("党费能用来干什么", False),
    ],
)
def test_how_often_a_meeting_the_notice_only_names_is_held_is_unsettled(question: str, unsettled: bool) -> None:
    assert frequencies.unsettled_frequency(question) is unsettled
