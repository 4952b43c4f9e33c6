"""What a Party term means, told before the measure when a question asks it (bot/measures/definitions.py)."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.measures.definitions import asked_definitions
from tests.conftest import BotHarness

GUEST = 555_000_226


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("三会一课具体是哪三会哪一课", ["三会一课"]),
        ("什么是主题党日？", ["主题党日"]),
        ("台账是什么意思", ["台账"]),
        ("六有是指什么", ["“六有”"]),
        ("组织生活会跟民主评议有什么区别", ["组织生活会", "民主评议党员"]),
        ("What does political birthday mean?", ["政治生日"]),  # asked in English, told in the language asked for
        ("what is a probationary member", ["预备党员"]),
    ],
)
def test_a_question_asking_what_a_term_is(question: str, terms: list[str]) -> None:
    assert [d.term for d in asked_definitions(question, "zh")] == terms


@pytest.mark.parametrize(
    "question",
    [
        "主题党日是什么时候",  # when, not what
        "党费能用来干什么",
        "what is party dues used for",
        "什么是党组织",  # not 党组
        "支委会多久开一次",
        "三会一课是哪个部门管的",
        "三会一课、主题党日和组织生活会分别是什么",  # three: a list, not a question on one term
    ],
)
def test_other_questions_ask_no_meaning(question: str) -> None:
    assert asked_definitions(question, "zh") == ()


def test_every_term_is_found_by_each_of_its_names_in_both_languages() -> None:
    data = json.loads(resources.files("bot.measures").joinpath("data", "definitions.json").read_text("utf-8"))
    assert len({t["id"] for t in data["terms"]}) == len(data["terms"])
    for entry in data["terms"]:
        for name in entry["zh"]["names"]:
            assert [d.id for d in asked_definitions(f"什么是{name}", "zh")] == [entry["id"]], name
        for name in entry["en"]["names"]:
            found = asked_definitions(f"what is {name}?", "en")
            assert [d.id for d in found] == [entry["id"]] and found[0].text == entry["en"]["text"], name
        # Careful Chinese: one full-width colon (the reply's, after the term), none inside the meaning.
        assert "：" not in entry["zh"]["text"] and entry["zh"]["text"].endswith("。")


async def test_the_chat_tells_the_meaning_first_then_the_measure(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "三会一课具体是哪三会哪一课")
    first, blank = replies[0].splitlines()[:2]
    assert first == "<b>三会一课</b>：支部党员大会、支部委员会会议、党小组会和党课。" and blank == ""
    assert "—— 第5条" in replies[0]  # the measure that names it, as before
    replies = await bot.say(GUEST, "what is the theme party day", language_code="en")
    assert replies[0].startswith("<b>Theme Party day</b>: a fixed day each month of Party activity around a theme")


async def test_a_declined_question_still_gets_the_meaning(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "台账是什么意思")
    assert replies[0].startswith("<b>台账</b>：支部须留存、迎检时出示的工作记录")
    assert "没有找到" in replies[0] or "—— 第" in replies[0]


def test_ask_json_adds_the_meaning() -> None:
    result = CliRunner().invoke(app, ["ask", "--json", "什么是评星定级"])
    payload = json.loads(result.output)
    assert payload["definitions"][0]["term"] == "评星定级" and payload["answers"][0]["measure"] == 13
