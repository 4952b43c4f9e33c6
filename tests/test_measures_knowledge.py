"""The knowledge base: structure, and proof that the cleaning kept every character of the notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.measures.knowledge import Notice, load_notice, split_sentences
from tests.scripts_support import load_script

ROOT = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent / "fixtures" / "measures-notice.txt"  # a copy of shared/seed
DATA = ROOT / "bot" / "measures" / "data"
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")


def normalized_source(raw: str) -> str:
    """The seed with only the PDF artifacts removed, measured independently of the cleaning script."""
    lines = raw.splitlines()
    pages = [line for line in lines if PAGE_NUMBER.fullmatch(line.strip())]
    assert [re.sub(r"\s", "", p) for p in pages] == ["—11—", "—13—"]
    lines = [line for line in lines if line not in pages]
    # Measures 26, 27 and 30 are numbered "26." where the others use "26．"; the reassembly uses "．".
    ascii_numbered = [m.group(1) for line in lines if (m := re.match(r"^\s*(\d{1,2})\s*\.", line))]
    assert ascii_numbered == ["26", "27", "30"]
    lines = [re.sub(r"^(\s*\d{1,2})\s*\.", r"\1．", line) for line in lines]
    return re.sub(r"\s+", "", "\n".join(lines))


def reassembled(notice: Notice) -> str:
    """The structured notice put back together in reading order, from its fields only."""
    parts = [notice.heading, notice.addressees, notice.body, notice.issuer, notice.date_text, notice.title]
    parts.append(notice.preamble)
    for section in notice.sections:
        parts.append(f"{section.numeral}、{section.title}")
        for m in section.measures:
            parts.append(f"{m.number}．{m.text}")
    return "".join(parts)


@pytest.fixture(scope="module")
def raw() -> str:
    return SEED.read_text("utf-8")


@pytest.fixture(scope="module")
def zh() -> Notice:
    return load_notice("zh")


@pytest.fixture(scope="module")
def en() -> Notice:
    return load_notice("en")


def test_seed_fixture_is_the_shared_seed() -> None:
    shared = Path("/work/shared/seed/measures-notice.txt")
    if not shared.exists():
        pytest.skip("the shared seed is not on this machine")
    assert SEED.read_bytes() == shared.read_bytes()


def test_every_character_of_the_source_is_kept_in_order(raw: str, zh: Notice) -> None:
    source = normalized_source(raw)
    # The normalisation removed whitespace and the two page numbers and nothing else.
    non_space = sum(1 for c in raw if not c.isspace())
    assert len(source) == non_space - len("—11—") - len("—13—")
    assert len(source) > 6_000
    assert reassembled(zh) == source


def test_reassembly_detects_a_lost_character(raw: str, zh: Notice) -> None:
    source = normalized_source(raw)
    m = zh.measures[15]
    damaged = reassembled(zh).replace(m.text, m.text.replace("出纳", "出", 1))
    assert damaged != source


def test_no_artifacts_left_in_the_data(zh: Notice) -> None:
    for m in zh.measures:
        assert not re.search(r"\s", m.text)
        assert not PAGE_NUMBER.search(m.text)
        assert not re.match(r"\d", m.text)  # the number is a field, not part of the text


def test_cleaning_script_reproduces_the_data_file(raw: str) -> None:
    clean = load_script("clean_measures").clean
    assert clean(raw) == json.loads((DATA / "measures.zh.json").read_text("utf-8"))


def test_jieba_base_dictionary_is_up_to_date() -> None:
    build = load_script("build_jieba_dict").build
    assert build() == (DATA / "jieba_base.txt").read_text("utf-8"), "run scripts/build_jieba_dict.py"


def test_pinyin_table_is_up_to_date() -> None:
    pytest.importorskip("pypinyin")  # a development dependency: the bot reads the table it built
    build = load_script("build_pinyin_table").build
    assert build() == (DATA / "pinyin.txt").read_text("utf-8"), "run scripts/build_pinyin_table.py"


def test_structure(zh: Notice) -> None:
    assert zh.heading == "中共东莞市委办公室印发《关于加强和改进市直机关党的建设的若干措施》的通知"
    assert zh.issuer == "中共东莞市委办公室"
    assert zh.date.isoformat() == "2021-11-23"
    assert zh.date_text == "2021年11月23日"
    assert zh.title == "关于加强和改进市直机关党的建设的若干措施"
    assert zh.preamble.startswith("为深入学习贯彻") and zh.preamble.endswith("现制定以下措施。")
    assert [s.number for s in zh.sections] == [1, 2, 3, 4, 5, 6, 7]
    assert [len(s.measures) for s in zh.sections] == [6, 5, 5, 3, 3, 2, 8]
    assert [m.number for m in zh.measures] == list(range(1, 33))
    assert zh.sections[0].label == "一、把党的政治建设摆在首位"
    assert zh.sections[4].title == "深入服务基层和群众"
    assert zh.measure(1) is not None and zh.measure(1).title == "带头做到“两个维护”"
    assert zh.measure(0) is None and zh.measure(33) is None
    assert not zh.unofficial


@pytest.mark.parametrize("number", [26, 27, 30])
def test_ascii_dot_measures_are_parsed(zh: Notice, number: int) -> None:
    m = zh.measure(number)
    assert m is not None and m.section.number == 7
    assert m.text.startswith(m.title + "。")


def test_measures_titles_sentences_and_sections(zh: Notice, en: Notice) -> None:
    for notice in (zh, en):
        for section in notice.sections:
            for m in section.measures:
                assert m.section == section.ref
                assert m.sentences[0].rstrip("。.") == m.title
                assert m.text.startswith(m.title)
                assert len(m.sentences) >= 2
    for m in zh.measures:
        assert "".join(m.sentences) == m.text
        assert m.body == m.text[len(m.title) + 1 :]


def test_english_rendering_is_complete_and_marked_unofficial(zh: Notice, en: Notice) -> None:
    assert en.unofficial and "unofficial" in en.note.lower()
    raw = json.loads((DATA / "measures.en.json").read_text("utf-8"))
    assert raw["unofficial"] is True
    assert en.date == zh.date
    assert [s.number for s in en.sections] == [s.number for s in zh.sections]
    assert [(m.number, m.section.number) for m in en.measures] == [(m.number, m.section.number) for m in zh.measures]
    for m in en.measures:
        assert m.text.isascii() or "–" in m.text, m.number
        assert len(m.text) > 200
    assert "political birthday" in en.measure(5).text  # type: ignore[union-attr]
    assert "Party dues" in en.measure(16).text  # type: ignore[union-attr]


def test_sentence_splitting_keeps_every_character() -> None:
    text = 'First "one". Second; and more. Third (x). Fourth?'
    assert "".join(split_sentences(text, "en")) == text
    assert len(split_sentences(text, "en")) == 4
    assert split_sentences("甲。乙；丙“丁。”戊。", "zh") == ("甲。", "乙；", "丙“丁。”", "戊。")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        load_notice("fr")
