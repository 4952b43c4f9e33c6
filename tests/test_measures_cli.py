"""``branchbot ask`` through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.measures import register
from bot.measures import search


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


runner = CliRunner()


def test_ask_json_one_question(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "--json", "党费可以用来干什么"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    payload = json.loads(lines[0])
    assert payload["question"] == "党费可以用来干什么"
    assert payload["answers"][0]["measure"] == 16
    assert payload["answers"][0]["title"] == "保障党内活动经费"
    assert isinstance(payload["answers"][0]["score"], float)
    assert "党费" in lines[0]  # ensure_ascii=False
    scores = [a["score"] for a in payload["answers"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_from_stdin(app: typer.Typer) -> None:
    stdin = "第十六条\n\n今天天气怎么样\n第99条\n措施二十二\n"
    result = runner.invoke(app, ["ask", "--json", "--top", "2"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["question"] for r in rows] == ["第十六条", "今天天气怎么样", "第99条", "措施二十二"]
    assert [a["measure"] for a in rows[0]["answers"]] == [16]
    assert rows[1]["answers"] == []
    assert rows[2]["answers"] == [] and rows[2]["out_of_range"] == 99
    assert [a["measure"] for a in rows[3]["answers"]] == [22]


def test_ask_json_names_the_measures_asked_for_by_number(app: typer.Typer) -> None:
    payload = json.loads(runner.invoke(app, ["ask", "--json", "第二十三、二十四条"]).output)
    assert [a["measure"] for a in payload["answers"]] == [23, 24] and payload["numbers"] == [23, 24]
    assert "numbers" not in json.loads(runner.invoke(app, ["ask", "--json", "第二十三条"]).output)


def test_ask_top_k(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "--json", "--top", "1", "党员教育培训"])
    assert len(json.loads(result.output)["answers"]) == 1


def test_ask_english(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "--json", "--lang", "en", "political birthday"])
    payload = json.loads(result.output)
    assert payload["answers"][0]["measure"] == 5
    assert payload["answers"][0]["title"] == "Improve the quality of political life within the Party"


def test_ask_text(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "怎么过政治生日"])
    assert result.exit_code == 0
    assert "第5条 · 提高党内政治生活质量" in result.output
    assert "一、把党的政治建设摆在首位" in result.output
    assert "政治生日" in result.output


def test_ask_text_quotes_the_lead_once(app: typer.Typer) -> None:
    # The sentence that answers leads ("  > "); the other matched sentences follow, as in the chat, without it.
    lines = runner.invoke(app, ["ask", "党课一个季度要上一次吗"]).output.splitlines()
    lead = next(line.removeprefix("  > ") for line in lines if line.startswith("  > "))
    assert f"  - {lead}" not in lines
    assert any(line.startswith("  - ") for line in lines)
    # A measure shown with no other sentence matched is not followed by its whole text, the lead inside it again.
    lines = runner.invoke(app, ["ask", "志愿服务每年多少小时算合格"]).output.splitlines()
    leads = [line.removeprefix("  > ") for line in lines if line.startswith("  > ")]
    assert len(leads) == 3 and not any(lead in line for lead in leads for line in lines if line.startswith("  - "))
    # Nor is the title sentence quoted under the heading that gives it, as in the chat (session 36).
    lines = runner.invoke(app, ["ask", "第一议题学什么"]).output.splitlines()
    assert lines[0].startswith("第7条 · 坚持第一议题制度") and "  - 坚持第一议题制度。" not in lines, lines


def test_ask_text_says_when_the_measures_quoted_set_no_figure(app: typer.Typer) -> None:
    lines = runner.invoke(app, ["ask", "评星定级一年评几次"]).output.splitlines()
    assert lines[0].startswith("第13条") and lines[2] == "  所引措施对此没有规定具体的次数或数量。", lines[:3]
    assert "没有规定" not in runner.invoke(app, ["ask", "党务工作人员按多少比例配备"]).output  # measure 32: 1%至2%
    assert "没有规定" not in runner.invoke(app, ["ask", "第十三条"]).output  # asked by number, not for a figure


def test_ask_says_when_an_answer_is_tentative(app: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tier raised, as in the chat's test, so that no question's place near a bar decides the test.
    assert "tentative" not in json.loads(runner.invoke(app, ["ask", "--json", "党费能用来干什么"]).output)
    monkeypatch.setattr(search, "TENTATIVE_PROBABILITY", 1.01)
    out = runner.invoke(app, ["ask", "党费能用来干什么"]).output.splitlines()
    assert out[0] == "措施可能没有直接回答这个问题，以下是最接近的规定。" and out[1].startswith("第16条"), out[:2]
    payload = json.loads(runner.invoke(app, ["ask", "--json", "党费能用来干什么"]).output)
    assert payload["tentative"] is True and payload["answers"][0]["measure"] == 16


def test_ask_text_unknown_and_out_of_range(app: typer.Typer) -> None:
    assert "没有找到" in runner.invoke(app, ["ask", "今天天气怎么样"]).output
    assert "没有第99条措施，《若干措施》共32条。" in runner.invoke(app, ["ask", "第99条"]).output
    out = runner.invoke(app, ["ask", "--lang", "en", "measure 99"]).output
    assert "no measure 99" in out and "32" in out


def test_ask_says_which_numbers_the_notice_lacks(app: typer.Typer) -> None:
    payload = json.loads(runner.invoke(app, ["ask", "--json", "第30到35条"]).output)
    assert [a["measure"] for a in payload["answers"]] == [30, 31, 32] and payload["missing"] == [33, 34, 35]
    assert payload["numbers"] == [30, 31, 32]
    payload = json.loads(runner.invoke(app, ["ask", "--json", "第40到45条"]).output)
    assert payload["answers"] == [] and payload["out_of_range"] == 40 and payload["missing"] == list(range(40, 46))
    assert "missing" not in json.loads(runner.invoke(app, ["ask", "--json", "第二十三、二十四条"]).output)
    out = runner.invoke(app, ["ask", "第30到35条"]).output.splitlines()
    assert out[0] == "没有第33—35条措施，《若干措施》共32条。" and out[1].startswith("第30条 · "), out[:2]
    assert runner.invoke(app, ["ask", "第40到45条"]).output.strip() == "没有第40—45条措施，《若干措施》共32条。"
    out = runner.invoke(app, ["ask", "--lang", "en", "measures 31 to 35, and 40"]).output.splitlines()
    assert out[0] == "There are no measures 33–35, 40; there are 32.", out[0]


def test_ask_a_section_lists_its_measures(app: typer.Typer) -> None:
    payload = json.loads(runner.invoke(app, ["ask", "--json", "第三部分讲什么"]).output)
    assert payload["section"] == 3 and [a["measure"] for a in payload["answers"]] == [12, 13, 14, 15, 16]
    text = runner.invoke(app, ["ask", "第三部分讲什么"]).output
    assert text.splitlines()[:2] == ["三、锻造全面过硬党组织", "12. 实施新一轮市直机关基层党组织建设三年行动计划"]


def test_ask_text_from_stdin_labels_each_answer(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "--lang", "en"], input="measure 16\nfour winds\n")
    assert "? measure 16" in result.output and "? four winds" in result.output
    assert "Measure 16 · Guarantee funds for Party activities" in result.output
    assert "Measure 24" in result.output


def test_ask_bad_language(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "--lang", "fr", "x"])
    assert result.exit_code != 0


def test_registered_on_the_project_app() -> None:
    from bot.cli import app as project_app

    result = runner.invoke(project_app, ["ask", "--json", "第16条"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["answers"][0]["measure"] == 16


def test_register_keeps_an_existing_callback() -> None:
    app = typer.Typer()
    calls: list[str] = []

    @app.callback()
    def root() -> None:
        calls.append("root")

    register(app)
    result = runner.invoke(app, ["ask", "--json", "16"])
    assert result.exit_code == 0 and calls == ["root"]


def test_ask_answers_each_question_in_the_language_it_is_written_in(app: typer.Typer) -> None:
    result = runner.invoke(app, ["ask", "--json"], input="what can party dues be used for\r\n党费能用来干什么\n")
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["question"] for r in rows] == ["what can party dues be used for", "党费能用来干什么"]
    assert rows[0]["answers"][0] == {
        **rows[0]["answers"][0],
        "measure": 16,
        "title": "Guarantee funds for Party activities",
    }
    assert rows[1]["answers"][0]["title"] == "保障党内活动经费"
    # --lang forces one text: English questions find nothing in the Chinese one.
    forced = runner.invoke(app, ["ask", "--json", "--lang", "zh", "what can party dues be used for"])
    assert json.loads(forced.output)["answers"] == []
    text = runner.invoke(app, ["ask", "political birthday"]).output
    assert text.startswith("Measure 5 · Improve the quality of political life within the Party")


@pytest.mark.parametrize("question", ["", "   ", "😀😀", "啊"])
def test_ask_without_words_says_how_to_ask(app: typer.Typer, question: str) -> None:
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 0
    assert result.output.strip() == "请用几个词把问题写完整，例如：党费能用来干什么？"
    payload = json.loads(runner.invoke(app, ["ask", "--json", question]).output)
    assert payload == {"question": question, "answers": []}
