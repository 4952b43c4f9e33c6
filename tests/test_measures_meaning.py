"""Multilingual meaning distilled from multilingual-e5-small (bot/measures/meaning.py, data/meaning.bin)."""

from __future__ import annotations

import math
from importlib import resources

import pytest

from bot.measures.meaning import MAGIC, MeaningModel, MeaningTable, load_examples, load_meaning, pack
from bot.measures.search import MeasureIndex, build_index, get_index
from tests.measures_support import one_part_alone, ranked_first


@pytest.fixture(scope="module")
def table() -> MeaningTable:
    return load_meaning()


def _cos(a: MeaningTable, x: str, b: MeaningTable, y: str) -> float:
    vx, vy = a.unit(x), b.unit(y)
    assert vx is not None and vy is not None
    return sum(p * q for p, q in zip(vx, vy, strict=True))


def test_the_table_holds_chinese_and_english_words(table: MeaningTable) -> None:
    assert len(table) >= 30_000
    for word in ("党费", "支部", "书记", "换届", "开会", "dues", "meeting", "secretary", "branch"):
        assert word in table
    unit = table.unit("党费")
    assert unit is not None and len(unit) == table.dimensions
    assert math.isclose(math.fsum(v * v for v in unit), 1.0, rel_tol=1e-9)
    # A rare word weighs more than a common one.
    assert table.weight("党费") > table.weight("我们")


def test_a_chinese_and_an_english_word_of_the_same_meaning_are_near(table: MeaningTable) -> None:
    # One space for both languages: a word is near its translation and far from an unrelated word of the other.
    assert _cos(table, "会议", table, "meeting") > 0.4 > 0.1 > _cos(table, "会议", table, "volunteer")
    assert _cos(table, "志愿者", table, "volunteer") > 0.4 > 0.1 > _cos(table, "志愿者", table, "budget")
    assert _cos(table, "学习", table, "study") > _cos(table, "学习", table, "meeting")
    assert _cos(table, "书记", table, "secretary") > _cos(table, "书记", table, "volunteer")


def test_each_index_keeps_its_own_language(table: MeaningTable) -> None:
    zh, en = load_meaning("zh"), load_meaning("en")
    assert "党费" in zh and "dues" not in zh
    assert "dues" in en and "党费" not in en
    assert len(zh) + len(en) == len(table)
    # The same vectors as in the whole table.
    assert _cos(zh, "党费", table, "党费") == pytest.approx(1.0)
    assert _cos(en, "dues", table, "dues") == pytest.approx(1.0)


def test_the_file_format_round_trips() -> None:
    data = pack(["党费", "dues", "会议"], [3.0, 5.5, 12.25], [[1.0, -2.0, 0.5], [0.0, 1.0, 0.0], [-3.0, 0.0, 3.0]])
    assert data.startswith(f"{MAGIC} 3 3\n".encode())
    table = MeaningTable(data)
    assert len(table) == 3 and table.dimensions == 3
    assert table.weight("dues") == pytest.approx(5.5, abs=1 / 32)
    assert table.weight("会议") == pytest.approx(12.25, abs=1 / 32)
    # Quantised to signed bytes, scaled to the largest component: the direction is kept.
    assert table.raw("党费") == ([64, -127, 32], pytest.approx(math.hypot(64, 127, 32)))
    unit = table.unit("会议")
    assert unit is not None and unit == pytest.approx([-math.sqrt(0.5), 0.0, math.sqrt(0.5)])
    with pytest.raises(ValueError, match="one weight"):
        pack(["a"], [1.0, 2.0], [[1.0]])


def test_a_damaged_table_is_refused() -> None:
    data = resources.files("bot.measures").joinpath("data", "meaning.bin").read_bytes()
    assert data.startswith(MAGIC.encode())
    with pytest.raises(ValueError, match="truncated"):
        MeaningTable(data[:-7])
    with pytest.raises(ValueError, match="version"):
        MeaningTable(b"branchbot-wordvec-1 1 100\n" + data.partition(b"\n")[2])


@pytest.fixture(scope="module")
def english() -> MeasureIndex:
    return get_index("en")


def test_both_indexes_use_it_and_the_ablation_switches_it_off(english: MeasureIndex) -> None:
    assert isinstance(english._meaning, MeaningModel)
    assert isinstance(get_index("zh")._meaning, MeaningModel)
    assert build_index("en", disabled=frozenset({"meaning"}))._meaning is None


def test_an_english_question_is_its_words_not_how_it_asks(english: MeasureIndex) -> None:
    model = english._meaning
    assert isinstance(model, MeaningModel)
    words = dict(model.words("How can we spend the party dues?"))
    assert "dues" in words and "spend" in words
    assert not {"how", "can", "we", "the"} & set(words)
    assert model.vector("?!") is None


def test_a_question_without_the_texts_words_finds_its_measure_by_this_meaning_alone() -> None:
    # "抹黑" and "帖子" are neither the notice's words nor the thesaurus's; with the Chinese word vectors (vectors.py)
    # switched off, the distilled vectors' nearest written question still finds measure 8 (意识形态). (Round 11's
    # heavier n-gram model finds "网上有人散布不实消息怎么办" by its characters alone.) Since session 25 the bare
    # "网上看到抹黑的帖子怎么办", which names nothing of the Party, is declined though ranked 8 (its wording model's
    # log-odds -3.0): the member who asks it is here.
    question = "看到网上有抹黑党的帖子，党员应该怎么做"
    alone, neither = one_part_alone("meaning", "vectors")
    assert ranked_first(alone, question) == 8
    assert ranked_first(neither, question) != 8
    assert [h.measure.number for h in get_index("zh").answer(question).hits][:1] == [8]


def test_the_model_s_own_vectors_of_the_examples_are_shipped_per_measure(english: MeasureIndex) -> None:
    for lang in ("zh", "en"):
        examples = load_examples(lang)
        assert examples is not None and len(examples) == 32
        assert all(owned for owned in examples)  # every measure has its sentences at least
        assert {len(e) for owned in examples for e in owned} == {load_meaning(lang).dimensions}
        assert all(-127 <= c <= 127 for owned in examples for e in owned for c in e)
    model = english._meaning
    assert isinstance(model, MeaningModel)
    # An English question about dues is nearest to measure 16's examples (funds for Party activities, 党费).
    v = model.vector("How should Party dues be spent?")
    assert v is not None
    near = model.nearest(v, range(32))
    assert max(near, key=near.__getitem__) == 15
