"""Round 6 of the measures' Q&A: situations in the thesaurus, the English glossary, the written questions."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from bot.measures.analysis import load_concepts, load_synonyms
from bot.measures.english import en_stem
from bot.measures.roles import role_span
from bot.measures.search import MeasureIndex, build_index, get_index
from tests.measures_support import written_since

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _data(name: str) -> str:
    return resources.files("bot.measures").joinpath("data", name).read_text("utf-8")


@pytest.fixture(scope="module")
def zh() -> MeasureIndex:
    return get_index("zh")


@pytest.fixture(scope="module")
def zh_without_situations() -> MeasureIndex:
    # Round 9's distilled multilingual vectors (meaning.py) and the written questions find some situations by the
    # written questions alone, and since round 13 (the n-gram model weighs half as much again) the earlier rounds'
    # questions do too, and since session 24 the measure classifier's candidates (order.py): all off.
    return build_index(
        "zh", disabled=frozenset({"situations", "meaning", "semantic", "classifier"}) | written_since(11)
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_situations_extend_every_measures_thesaurus_and_the_ablation_leaves_them_out(lang: str) -> None:
    situations = json.loads(_data("situations.json"))[lang]
    assert sorted(situations, key=int) == [str(n) for n in range(1, 33)]
    assert all(situations[str(n)] for n in range(1, 33))  # each measure has some
    plain = load_concepts(lang, situations=False, everyday=False)
    full = load_concepts(lang, everyday=False)
    assert plain == [[t] if lang == "en" else t for t in (json.loads(_data("concepts.json"))[lang][str(n)]
                                                          for n in range(1, 33))]  # fmt: skip
    for n in range(1, 33):
        extra = situations[str(n)]
        if lang == "zh":
            assert full[n - 1] == [*plain[n - 1], *extra]
        else:
            assert full[n - 1] == [f"{plain[n - 1][0]} {extra}"]


def test_a_situation_in_everyday_words_finds_its_measure(zh: MeasureIndex, zh_without_situations: MeasureIndex) -> None:
    # Flagging drive (得过且过) is the work of ideological care (measure 9), in no word of its text. (Round 11's heavier
    # n-gram model finds "党员最近没什么干劲，天天得过且过，支部能做点什么" by its characters alone.)
    question = "有的同志最近得过且过，支部该怎么办"
    assert [h.measure.number for h in zh.answer(question).hits][:1] == [9]
    assert [h.measure.number for h in zh_without_situations.answer(question).hits][:1] != [9]


def test_the_english_glossary_maps_everyday_words_onto_the_renderings_terms() -> None:
    glossary = json.loads(_data("glossary.en.json"))["en"]
    assert load_synonyms("en", everyday=False) == {**load_synonyms("en", glossary=False, everyday=False), **glossary}
    assert load_synonyms("zh") == load_synonyms("zh", glossary=False)  # English only
    question = "Are officials who stay in one position a long time reassigned?"
    words = get_index("en").analyzer.query(question).words
    plain = build_index("en", disabled=frozenset({"glossary"})).analyzer.query(question).words
    for term in ("cadres", "rotation"):  # officials → cadres, reassigned → exchange and rotation
        assert en_stem(term) in words and en_stem(term) not in plain


@pytest.mark.parametrize(
    ("kind", "count"),
    [
        ("written-r2", 400),
        ("written-r3", 250),
        ("written-r6", 100),
        ("written-r8", 180),
        ("written-r11", 2000),
        ("written-r12", 800),
        ("written-r13", 1500),
        ("written-r14", 1500),
        ("written-r15", 1900),
        ("written-r16", 1100),
        ("written-r19", 1250),
        ("written-r23", 900),
        ("written-r25", 1000),
    ],
)
def test_written_questions_are_none_of_the_evaluation_questions(kind: str, count: int) -> None:
    evaluation = {
        json.loads(line)["q"].strip().lower()
        for path in [BENCHMARKS / "measures_eval.jsonl", *BENCHMARKS.glob("measures_heldout_*.jsonl")]
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    }
    written = [json.loads(line) for line in _data("questions.jsonl").splitlines() if line.strip()]
    new = [d["q"] for d in written if d.get("kind") == kind]
    assert len(new) >= count
    assert not [q for q in new if q.strip().lower() in evaluation]


def test_a_discipline_inspection_member_asking_is_what_the_question_is_about(zh: MeasureIndex) -> None:
    # The organisation officer asking says who asks (counts less); the discipline inspection member's work is
    # measure 23's subject (the organ's discipline commission).
    assert role_span("我是组织委员，平时要做哪些监督工作") is not None
    assert role_span("我是纪检委员，平时要做哪些监督工作") is None
    assert [h.measure.number for h in zh.answer("我是纪检委员，平时要做哪些监督工作").hits][:1] == [23]


def test_no_situation_names_a_topic_the_notice_does_not_cover() -> None:
    # A situation term wrapping an off-topic term (入党申请 in 入党申请书, 出国 in 出国出境) would hide that topic.
    from bot.measures.decline import OfftopicLexicon
    from bot.measures.knowledge import load_notice

    notice = load_notice("zh")
    lexicon = OfftopicLexicon(
        "zh", "\n".join([*(m.text for m in notice.measures), *(s.title for s in notice.sections)])
    )
    situations = json.loads(_data("situations.json"))["zh"]
    assert not [t for terms in situations.values() for t in terms if lexicon.find(t)]


def test_round_seven_everyday_words_widen_english_and_the_situations_and_the_ablation_leaves_them_out() -> None:
    everyday = json.loads(_data("everyday.json"))
    assert load_synonyms("en") == {**load_synonyms("en", everyday=False), **everyday["glossary"]["en"]}
    assert load_synonyms("zh") == load_synonyms("zh", everyday=False)
    question = "Do citizens get simpler procedures from the city?"
    words = get_index("en").analyzer.query(question).words
    plain = build_index("en", disabled=frozenset({"everyday"})).analyzer.query(question).words
    for term in ("people", "municipal"):  # citizens → the people, the city → the Municipal Party Committee
        assert en_stem(term) in words and en_stem(term) not in plain
    for lang in ("zh", "en"):
        with_new, without = load_concepts(lang), load_concepts(lang, everyday=False)
        extra = everyday["situations"][lang]
        for n in range(1, 33):
            added = extra.get(str(n), [] if lang == "zh" else "")
            if lang == "zh":
                assert with_new[n - 1] == [*without[n - 1], *added]
            else:
                assert with_new[n - 1] == [f"{without[n - 1][0]} {added}".strip()]


def test_round_seven_situations_name_no_topic_the_notice_does_not_cover() -> None:
    from bot.measures.decline import OfftopicLexicon
    from bot.measures.knowledge import load_notice

    notice = load_notice("zh")
    lexicon = OfftopicLexicon(
        "zh", "\n".join([*(m.text for m in notice.measures), *(s.title for s in notice.sections)])
    )
    situations = json.loads(_data("everyday.json"))["situations"]["zh"]
    assert not [t for terms in situations.values() for t in terms if lexicon.find(t)]


def test_the_role_is_the_subject_when_the_rest_asks_only_what_to_do(zh: MeasureIndex) -> None:
    # "我是机关党委书记，措施里对我有什么要求": after the role only "what do the measures ask of me" — the role is
    # what the question is about, so it counts in full (measure 27, the organ Party organisation's secretary).
    assert role_span("我是机关党委书记，措施里对我有什么要求") is None
    assert role_span("我是组织委员，平时要做哪些监督工作") is not None
    assert [h.measure.number for h in zh.answer("我是机关党委书记，措施里对我有什么要求").hits][:1] in (
        [27],
        [30],
        [31],
    )


def test_an_english_noun_or_adverb_counts_as_its_verb_or_adjective() -> None:
    # "appointment" / "appointed", "inspection" / "inspect", "organisation" / "organise", "regularly" / "regular".
    for a, b in (("appointment", "appointed"), ("inspection", "inspects"), ("organisations", "organise"),
                 ("regularly", "regular"), ("assessment", "assess"), ("effectiveness", "effective")):  # fmt: skip
        assert en_stem(a) == en_stem(b), (a, b)
    for word in ("nation", "station", "mention", "only", "comment"):  # short words keep their endings
        assert en_stem(word) not in ("nat", "stat", "ment", "on", "com")


def test_words_that_only_frame_an_english_question_are_not_its_content() -> None:
    q = get_index("en").analyzer.query("Is there anything in the notice about what happens when I'm not sure?")
    assert not {"anyth", "notic", "happen", "im", "sure"} & set(q.content)
    q = get_index("en").analyzer.query("Do senior officials take part as ordinary members? It doesn’t seem so")
    assert en_stem("leading") in q.words and "doesn’t" not in q.content and "seem" not in q.content


def test_a_role_naming_a_group_the_notice_addresses_is_the_subject() -> None:
    # 兼职组织委员: part-time Party workers are measure 32's subject; 退休党员 measure 14's; 青年党员 measure 10's.
    for question in (
        "我是兼职组织委员，会有业务培训吗",
        "我是退休党员，支部还管我的学习吗",
        "我是青年党员，有什么学习小组",
    ):
        assert role_span(question) is None, question
    assert role_span("我是支部组织委员，会有业务培训吗") is not None
