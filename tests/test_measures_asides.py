"""Small talk and questions on the assistant itself are not answered with a measure (bot/measures/asides.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.measures import register
from bot.measures.asides import Aside, find_aside
from bot.measures.search import ask, get_index
from tests.conftest import BotHarness

GUEST = 555_000_224
ROOT = Path(__file__).resolve().parent.parent


# Each kind of aside with messages of its own; none of them is answered with a measure.
ASIDES = {
    # Greeted, and told what the assistant answers.
    Aside.SMALL_TALK: [
        "Tell me a joke.",
        "给我讲个笑话吧",
        "你好",
        "谢谢，辛苦了！",
        "Thanks a lot!",
        "Who are you?",
        "你是机器人吗",
    ],
    # Pointed to /help.
    Aside.ABOUT_THE_BOT: [
        "政治生日提醒怎么关掉",
        "怎么退出这个群",
        "我上次主题党日签到成功了没",
        "帮我查一下我今年的志愿服务时长",
        "How do I turn off the birthday reminders?",
        "Can you show me my volunteer hours?",
        "How do I approve the hours members reported?",
        "这个机器人怎么切换成英文",
        "机器人打不开二维码，我该怎么办",  # fixing the assistant, not what the measures ask of the asker
        "Can I switch off the political birthday greetings?",
        "how do I check in to the meeting",  # as 怎么签到: done with the assistant
        "Where is the check-in code?",
        "我的积分是多少",  # the asker's own points, which the assistant keeps
        "how many points do I have",
        "怎么切换成英文",  # the assistant's language (/lang)
        "how do I change the language",
    ],
    # Given the notice's heading, addressees and sections.
    Aside.ABOUT_THE_NOTICE: [
        "这个文件是哪个部门发的",
        "32条措施一共几个部分",
        "若干措施是什么时候印发的",
        "我们事业单位也要执行这个32条吗",
        "Who issued the notice?",
        "How many sections do the 32 measures have?",
        "32条",  # its name alone, or asking what it is (not measure 32: that is 第32条)
        "32条是啥",
        "若干措施的主要内容是什么",
        "用一句话概括一下32条的核心",
        "这个文件是市委发的还是工委发的",
        "How many measures are there in total?",
        "What are the seven sections?",
        "What are the 32 measures about in a nutshell?",
    ],
}


@pytest.mark.parametrize(("kind", "message"), [(kind, m) for kind, messages in ASIDES.items() for m in messages])
def test_asides_are_told_apart_and_not_answered_with_a_measure(kind: Aside, message: str) -> None:
    answer = ask(message)
    assert answer.aside is kind and answer.hits == ()


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("32条里哪一条讲评星定级", 13),  # asks for a measure, though it names the notice
        ("Which of the 32 measures is about Party dues?", 16),
        ("同事在工作群里转发政治笑话，违反哪条规定？", 4),  # a joke as the subject, not a request for one
        ("A colleague shares political jokes in a WeChat group after work. Which measure applies?", 4),
        ("支部书记要常找党员谈谈心，了解思想动态", 9),
        ("第十六条", 16),  # a number is a number
        # A topic named before "summarize": a question on the measure, not the notice's gist (session 23).
        ("Our bureau chief asks me what the measures require from the leading party group, pls summarize", 26),
        # … and what the notice "says about" a topic (session 25).
        (
            "My director wants to know what the notice says about integrating Party building with our work, summarize",
            26,
        ),
        # Whether it reaches retired members is measure 14's (session 26), though it asks who carries the notice out.
        ("退休党员也要执行32条吗", 14),
    ],
)
def test_questions_that_mention_jokes_or_chats_are_still_answered(question: str, measure: int) -> None:
    answer = ask(question)
    assert answer.aside is None
    assert measure in [h.measure.number for h in answer.hits]


def test_who_else_carries_the_notice_out_is_still_asked_of_the_notice() -> None:
    assert ask("镇街也要执行这些措施吗").aside is Aside.ABOUT_THE_NOTICE
    assert ask("事业单位也要执行32条吗").aside is Aside.ABOUT_THE_NOTICE


def test_who_interprets_the_notice_is_asked_of_it_but_not_who_sees_it_carried_out() -> None:
    assert ask("32条由谁负责解释").aside is Aside.ABOUT_THE_NOTICE
    answer = ask("32条措施由谁负责解释和督促落实")  # session 32: measures 25 and 29 (the working committee's checks)
    assert answer.aside is None and [h.measure.number for h in answer.hits][:2] == [25, 29]


def test_who_must_draw_up_a_plan_under_the_notice_is_not_who_issued_it() -> None:
    assert ask("这个文件是哪些单位发的").aside is Aside.ABOUT_THE_NOTICE
    assert find_aside("这个文件要求哪些单位制定具体方案") is None  # what the notice requires: a measure answers


def test_a_branchs_keeper_of_dues_is_not_the_assistants_administrator() -> None:
    assert find_aside("怎么联系管理员") is Aside.ABOUT_THE_BOT
    assert find_aside("党费管理员要每个季度公示吗") is None  # the keeping of dues: measure 16


def test_the_askers_own_points_are_the_assistants_but_what_points_count_for_is_measure_14s() -> None:
    assert find_aside("我今年的积分多少") is Aside.ABOUT_THE_BOT
    assert find_aside("我的积分多少算合格") is None
    assert find_aside("How many points do I lose on my driving licence for running a red light?") is None


def test_a_phones_or_telegrams_language_is_not_the_assistants() -> None:
    assert find_aside("How do I change the language of my phone keyboard?") is None
    assert find_aside("怎么把Telegram改成中文") is None


def test_what_the_asker_should_do_is_a_question_on_the_measures_though_it_names_the_assistant() -> None:
    assert ask("机器人提醒我今天是政治生日，我该做什么").aside is None
    assert ask("机器人能做什么").aside is Aside.ABOUT_THE_BOT
    assert find_aside("what is the first agenda item thing the bot keeps sending me") is None  # measure 7's
    assert find_aside("the bot sent me a political birthday card, what is a political birthday") is None
    assert find_aside("what is this bot") is Aside.ABOUT_THE_BOT


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("机器人提醒我要学第一议题，第一议题是什么", 7),
        ("the bot reminded me of my political birthday, what is that", 5),
    ],
)
def test_what_the_assistant_said_asked_about_is_a_question_on_the_measures(question: str, measure: int) -> None:
    """Relaying what the assistant said and asking what that is (session 24) asks about a term of the measures."""
    answer = ask(question)
    assert answer.aside is None and answer.hits[0].measure.number == measure
    assert ask("the bot says hi, what is the bot for").aside is Aside.ABOUT_THE_BOT


def test_why_the_assistant_greets_the_asker_is_the_custom_a_measure_asks_for() -> None:
    """Session 34: the greeting is measure 5's 政治生日; what the assistant does otherwise stays an aside."""
    answer = ask("why does the bot wish me happy political birthday")
    assert answer.aside is None and 5 in [h.measure.number for h in answer.hits]
    assert find_aside("机器人为什么祝我政治生日快乐") is None
    assert find_aside("why does the bot remind me of meetings") is Aside.ABOUT_THE_BOT
    assert find_aside("机器人为什么老提醒我") is Aside.ABOUT_THE_BOT


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_sentence_of_the_notice_is_an_aside(lang: str) -> None:
    sentences = [s for m in get_index(lang).notice.measures for s in m.sentences]
    assert sentences and [s for s in sentences if find_aside(s)] == []


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_no_answerable_question_the_project_has_is_an_aside() -> None:
    """Every question the project has that has a measure is asked of the measures. Where a batch has a second reader,
    a question is answerable when both readers give it a measure: "how to log my volunteer hours" (batch 236) is
    measure 22's to its writer, and to its second reader, as to the assistant, a question on using the assistant."""
    sets = [ROOT / "benchmarks/measures_eval.jsonl", *sorted((ROOT / "benchmarks").glob("measures_heldout_*.jsonl"))]
    labelled: list[tuple[str, set[int]]] = []
    for f in [ROOT / "bot/measures/data/questions.jsonl", *sets]:
        rows = _lines(f)
        second = f.with_name(f.name.replace("heldout", "second_labels"))
        seconds = _lines(second) if "heldout" in f.name and second.exists() else [{"measures": [0]}] * len(rows)
        for r, s in zip(rows, seconds, strict=True):
            label = set(r.get("expect") or r.get("measures") or ())  # type: ignore[call-overload]
            labelled.append((str(r["q"]), label if s["measures"] else set()))
    # A question labelled with every measure asks for the notice as a whole, which the aside answers (batch 239:
    # "能不能把32条的标题都列一下", whose reply lists every measure's title under its section).
    whole = set(range(1, 33))
    answerable = [q for q, label in labelled if label and label != whole]
    assert len(answerable) > 20_000
    assert [q for q in answerable if find_aside(q)] == []


def test_which_of_its_measures_is_asked_of_the_measures_not_of_the_notice() -> None:
    """Asking which of the 32 measures (a plan must include, a role concerns) asks for measures, though the message also
    says something of the notice that alone would make it an aside ("不知道从哪几方面写" read as its parts)."""
    question = "我是局办公室的，领导让我牵头起草机关党建年度工作要点，不知道从哪几方面写，32条里哪些是必须写进去的"
    answer = ask(question)
    assert answer.aside is None and answer.hits[0].measure.number == 26
    # Writing a report on carrying out the measures "from which aspects" still gets the notice's outline.
    assert find_aside("局长让我写一份落实32条措施的情况报告，从哪几方面写") is Aside.ABOUT_THE_NOTICE
    # "The few of them that…" asks for measures too, though a request for a summary alone asks for the notice's gist.
    assert find_aside("帮我总结一下32条里普通党员最该注意的几条") is None
    assert find_aside("给我总结一下32条") is Aside.ABOUT_THE_NOTICE
    assert find_aside("32条一共有几条") is Aside.ABOUT_THE_NOTICE


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("能不能把32条的标题都列一下", "1. 带头做到“两个维护”", "32. 加强对党务干部的培养锻炼"),
        ("what are the titles of the 32 measures", "1. Take the lead", "32. "),
        ("东莞市直机关党建32条措施都有哪些", "1. 带头做到“两个维护”", "32. 加强对党务干部的培养锻炼"),
        ("我不知道32条具体有哪些，能不能给我列一下", "1. 带头做到“两个维护”", "32. 加强对党务干部的培养锻炼"),
        ("list all 32 measures please", "1. Take the lead", "32. "),
        ("what are the 32 measures?", "1. Take the lead", "32. "),
    ],
)
def test_asked_for_the_titles_the_outline_lists_every_measure(question: str, first: str, last: str) -> None:
    app = typer.Typer()
    register(app)
    text = CliRunner().invoke(app, ["ask", question]).output
    lines = text.splitlines()
    titles = [line for line in lines if line.split(".")[0].isdigit()]
    assert [int(line.split(".")[0]) for line in titles] == list(range(1, 33))
    assert titles[0].startswith(first) and titles[-1].startswith(last)
    # Asked only who issued it, the outline names the sections without the titles.
    issued = CliRunner().invoke(app, ["ask", "32条是谁印发的"]).output
    assert "第1—6条" in issued and "带头做到" not in issued
    # The measures on a topic are asked of the measures, not of the notice.
    for on_a_topic in (
        "list all measures about discipline",
        "list all 32 measures related to volunteering",
        "32条里关于纪律的是哪几条",
        "帮我列一下32条里所有有频次要求的",
    ):
        assert find_aside(on_a_topic) is None, on_a_topic


def test_ask_json_says_an_aside() -> None:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["ask", "--json", "Tell me a joke"])
    payload = json.loads(result.output)
    assert payload["answers"] == [] and payload["aside"] == "small_talk"


def test_ask_greets_small_talk_and_points_questions_on_the_bot_to_help() -> None:
    app = typer.Typer()
    register(app)
    greeted = CliRunner().invoke(app, ["ask", "谢谢，辛苦了"]).output
    assert greeted.startswith("您好！我是支部助手。") and "/help" in greeted and "使用支部助手" not in greeted
    pointed = CliRunner().invoke(app, ["ask", "政治生日提醒怎么关掉"]).output
    assert pointed.startswith("这是关于如何使用支部助手的问题") and "您好" not in pointed


async def test_the_chat_greets_small_talk_and_points_to_help(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "Tell me a joke", language_code="en")
    assert "Hello! I am the branch assistant. Ask me what the 32 measures require" in replies[0]
    assert "/help" in replies[0] and "Measure " not in replies[0]
    replies = await bot.say(GUEST, "政治生日提醒怎么关掉", language_code="zh-hans")
    assert replies[0].startswith("这是关于如何使用支部助手的问题，不在措施的范围内。发送 /help")


def test_ask_tells_who_issued_the_notice_and_its_parts() -> None:
    app = typer.Typer()
    register(app)
    assert json.loads(CliRunner().invoke(app, ["ask", "--json", "32条是谁印发的"]).output) == {
        "question": "32条是谁印发的",
        "answers": [],
        "aside": "about_the_notice",
    }
    text = CliRunner().invoke(app, ["ask", "这个文件分哪几个部分"]).output.splitlines()
    assert text[0] == (
        "《关于加强和改进市直机关党的建设的若干措施》由中共东莞市委办公室于2021年11月23日印发，"
        "发给市直各单位，中央和省驻莞单位。"
    )
    assert text[1:3] == ["共七个部分、32条措施：", "一、把党的政治建设摆在首位（第1—6条）"]
    assert text[-1] == "七、加强党建工作领导（第25—32条）"


async def test_the_chat_answers_who_issued_the_notice_with_an_index_button(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "When were the 32 measures issued, and by whom?", language_code="en")
    assert "was issued by the General Office of the CPC Dongguan Municipal Committee on 23 Nov 2021" in replies[0]
    assert "VII. Strengthen leadership over Party-building work (measures 25–32)" in replies[0]
    assert "Measure " not in replies[0]
