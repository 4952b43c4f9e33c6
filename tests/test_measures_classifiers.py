"""The question's wording, learnt from labelled questions (session 17): as a signal of the decision to answer
(bot/measures/topicality.py) and of which measure answers (bot/measures/measure_classifier.py)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from array import array
from dataclasses import replace
from pathlib import Path

import pytest

from bot.measures.build_classifiers import (
    JUDGES_FROM,
    UNPRIMED,
    UNPRIMED_WEIGHT,
    Example,
    asked_out_of_fold,
    examples,
    fold_models,
    fold_of,
    quantised,
    train,
    train_measures,
)
from bot.measures.decline import FEATURES, answer_probability
from bot.measures.learnt import LearntModels, learnt_models, models_in_use, shipped_models
from bot.measures.measure_classifier import MeasureClassifier, load_measure_classifier
from bot.measures.measure_classifier import pack as pack_measures
from bot.measures.search import build_index, get_index
from bot.measures.topicality import BUCKETS_LOG2, Topicality, load_topicality, pack


@pytest.fixture(scope="module")
def zh_indexes() -> tuple[object, object]:
    return get_index("zh"), build_index("zh", disabled=frozenset({"topicality"}))


def test_the_shipped_model_is_whole() -> None:
    model = load_topicality()
    assert len(model.weights) == 1 << BUCKETS_LOG2
    assert math.isfinite(model.bias)
    assert all(math.isfinite(w) for w in model.weights[:1000])


def test_a_damaged_model_file_is_refused() -> None:
    data = pack(0.5, array("f", [0.0] * 8))
    assert Topicality(data).bias == 0.5
    with pytest.raises(ValueError):
        Topicality(data[:-4])
    with pytest.raises(ValueError):
        Topicality(b"XXXX" + data[4:])


def test_the_score_is_the_same_in_every_process() -> None:
    """The slots are crc32's, not Python's hash, which changes with PYTHONHASHSEED."""
    question = "组织生活会一年开几次"
    code = f"from bot.measures.topicality import load_topicality; print(repr(load_topicality().score({question!r})))"
    scores = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert scores == {repr(load_topicality().score(question))}


@pytest.mark.parametrize(
    "question", ["党费可以用来干什么", "第一议题学什么", "What must the first agenda item of a branch meeting be?"]
)
def test_questions_on_the_measures_score_as_such(question: str) -> None:
    assert load_topicality().score(question) > 0


@pytest.mark.parametrize("question", ["今天天气怎么样", "食堂几点开饭", "how do I reset my email password"])
def test_questions_on_other_things_score_as_such(question: str) -> None:
    assert load_topicality().score(question) < 0


def test_the_regression_reads_the_wording_model(zh_indexes: tuple) -> None:
    """Since session 23 the topicality score is a signal of the regression: the same question is likelier to be
    answered the more its wording says it is about the measures, and switched off the signal is 0."""
    with_it, without = zh_indexes
    question = "支委会可以请群众列席吗"
    signals = with_it.signals(with_it.analyzer.query(question), question)
    assert signals.topicality == load_topicality().score(question)
    assert without.signals(without.analyzer.query(question), question).topicality == 0.0
    at = FEATURES.index("topicality")
    assert signals.features()[at] == signals.topicality
    low = answer_probability(replace(signals, topicality=-2.0))
    high = answer_probability(replace(signals, topicality=2.0))
    assert low < high


def test_business_the_notice_does_not_settle_is_declined_for_its_wording(zh_indexes: tuple) -> None:
    """Who may sit in on a committee meeting: the measures name the meeting, the notice says nothing of who attends.
    Without the wording model it is answered; with it, declined (until session 22 measure 5 was named as nearest in
    subject; the regression that reads the wording model since session 23 is less sure of it than that).
    (Merging two meetings, this test's first example, is declined by ``unregulated.py`` since session 22.)"""
    with_it, without = zh_indexes
    question = "支委会可以请群众列席吗"
    assert without.answer(question).hits
    assert with_it.answer(question).hits == ()


def test_the_names_of_two_meetings_alone_lead_to_the_measure_of_the_three_meetings(zh_indexes: tuple) -> None:
    """Most questions people ask about the committee and group meetings are on what the notice does not settle (how
    often, who presides, whether they may be merged). Their names alone were declined from session 22, a measure naming
    三会一课 (5 or 10) named as nearest; since session 25's models (which learnt from batches 64-129) that measure
    answers them (the regression's probability 0.36, the bar 0.16). Either way the member is led to it; asked what is
    required of them, it answers."""
    with_it, without = zh_indexes
    assert [h.measure.number for h in without.answer("支委会和党小组会").hits][:1] in ([5], [10])
    names = with_it.answer("支委会和党小组会")
    led_to = names.hits[0].measure if names.hits else names.nearest
    assert led_to is not None and led_to.number in (5, 10)
    assert with_it.answer("支委会和党小组会有什么要求").hits[0].measure.number in (5, 10)


def test_questions_on_the_measures_are_still_answered(zh_indexes: tuple) -> None:
    with_it, _ = zh_indexes
    assert with_it.answer("第一议题学什么").hits[0].measure.number == 7
    assert with_it.answer("党费可以用来干什么").hits[0].measure.number == 16
    assert with_it.answer("支部书记出缺了多久要补上").hits


def test_the_judges_are_never_learnt_from() -> None:
    sources = {e.source for e in examples()}
    assert {"written", "tuning"} <= sources
    batches = {int(s) for s in sources if s.isdigit()}
    assert batches and max(batches) < JUDGES_FROM

    # Nor does any question learnt from equal a judge's: batches from 62 on were cut against the written, training,
    # tuning and earlier batches' questions.
    def judged(first: int) -> set[str]:
        return {
            json.loads(line)["q"].strip().lower()
            for path in Path("benchmarks").glob("measures_heldout_*.jsonl")
            if int(path.stem.rsplit("_", 1)[1]) >= first
            for line in path.read_text("utf-8").splitlines()
            if line.strip()
        }

    learnt = {e.q.strip().lower() for e in examples()}
    assert not learnt & judged(JUDGES_FROM)


def test_every_tuning_and_batch_question_has_a_fold() -> None:
    assert fold_of("written") is None and fold_of(UNPRIMED) is None
    assert {fold_of("tuning"), fold_of("42"), fold_of("43")} <= set(range(5))


def test_each_batch_is_asked_under_models_that_never_learnt_from_it() -> None:
    """The fits of the decision and the order read the learnt models' outputs: each read batch gets them from models
    trained without its group (batches by number mod the folds), the written questions and batches outside the range
    always training, and a judge is refused."""
    on_topic = {64: "甲乙丙丁说明", 65: "戊己庚辛说明", 66: "壬癸子丑说明"}
    rows = [Example(q, "zh", (16,), str(n)) for n, q in on_topic.items()]
    rows += [Example("党费怎么用", "zh", (16,), "written"), Example("食堂几点开", "zh", (), "63")]
    rows += [Example(q, "zh", (), "written") for q in ("食堂的菜单", "今天天气", "说明书在哪")]
    groups = list(fold_models(rows, 64, 66, folds=3))
    assert sorted(int(e.source) for _, held in groups for e in held) == [64, 65, 66]
    assert all(len(held) == 1 for _, held in groups)
    everything = LearntModels(
        Topicality(pack(*_as_shipped(train(rows)))),
        load_measure_classifier(),
    )
    for models, (held,) in groups:
        # Its own wording is new to the model that scores it: it is less sure the question is on the measures than a
        # model that learnt it, and the classifier points it to measure 16 less than the questions it learnt.
        assert models.topicality.score(held.q) < everything.topicality.score(held.q)
        learnt = [q for q in on_topic.values() if q != held.q]
        dues = [models.classifier.logits(q)[16 - 1] for q in (held.q, *learnt)]
        assert dues[0] < min(dues[1:])
    with pytest.raises(ValueError):
        next(fold_models(rows, 64, JUDGES_FROM, folds=3))


def test_each_question_is_asked_while_its_groups_models_are_read() -> None:
    on_topic = {64: "甲乙丙丁说明", 65: "戊己庚辛说明"}
    rows = [Example(q, "zh", (16,), str(n)) for n, q in on_topic.items()]
    rows += [Example("党费怎么用", "zh", (16,), "written"), Example("食堂几点开", "zh", (), "written")]
    seen = []
    for example in asked_out_of_fold(rows, 64, 65, folds=2):
        models = learnt_models()
        assert models is not shipped_models()
        seen.append((example.q, models.topicality.score(example.q)))
    assert [q for q, _ in seen] == list(on_topic.values())
    everything = Topicality(pack(*_as_shipped(train(rows))))
    assert all(score < everything.score(q) for q, score in seen)  # read by models that never learnt it
    assert learnt_models() is shipped_models()


def test_a_second_readers_label_is_learnt_and_never_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read batch's question is learnt once with its writer's label and once with its second reader's (session 25);
    the fits ask it once, with the writer's (as the judges are scored), and a group's models learn neither label."""
    writer = Example("甲乙丙丁说明", "zh", (16,), "64")
    rows = [writer, replace(writer, measures=(), second=True), Example("戊己庚辛说明", "zh", (16,), "65")]
    rows += [Example("党费怎么用", "zh", (16,), "written"), Example("食堂几点开", "zh", (), "written")]
    learnt: list[list[Example]] = []
    monkeypatch.setattr("bot.measures.build_classifiers.train", lambda r, *a, **k: learnt.append(r) or train(r))
    groups = list(fold_models(rows, 64, 65, folds=2))
    assert [[e.q for e in held] for _, held in groups] == [[writer.q], ["戊己庚辛说明"]]
    assert writer.q not in {e.q for e in learnt[0]}
    assert sum(e.second for e in learnt[1]) == 1  # the other group's models learn both readers' labels


def test_every_second_reading_of_a_read_batch_is_learnt() -> None:
    labelled = {
        n
        for n in range(JUDGES_FROM)
        if Path(f"benchmarks/measures_second_labels_{n}.jsonl").exists()
        and Path(f"benchmarks/measures_heldout_{n}.jsonl").exists()
    }
    read = [e for e in examples() if e.source.isdigit() and int(e.source) in labelled]
    seconds = [e for e in read if e.second]
    assert labelled and len(seconds) * 2 == len(read)
    assert [e.q for e in seconds] == [e.q for e in read if not e.second]


def _as_shipped(fitted: tuple) -> tuple[float, array]:
    bias, w = fitted
    return bias, array("f", w.astype("float32").tobytes())


def test_a_fit_sets_the_models_the_ranking_reads_for_a_while(zh_indexes: tuple) -> None:
    index, _ = zh_indexes
    question = "支委会可以请群众列席吗"
    other = LearntModels(Topicality(pack(1.5, array("f", [0.0] * 8))), shipped_models().classifier)
    with models_in_use(other):
        assert index.signals(index.analyzer.query(question), question).topicality == 1.5
    assert index.signals(index.analyzer.query(question), question).topicality == load_topicality().score(question)


def test_training_learns_the_labels() -> None:
    rows = [Example(q, "zh", (16,), "tuning") for q in ("党费怎么用", "党费的使用", "党费管理要求")] + [
        Example(q, "zh", (), "tuning") for q in ("食堂几点开", "食堂的菜单", "食堂在哪里")
    ]
    bias, w = train(rows, buckets_log2=10)
    model = Topicality(pack(bias, array("f", w.astype("float32").tobytes())))
    assert model.score("党费") > 0 > model.score("食堂")


def test_a_question_asked_as_people_ask_counts_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same wording labelled both ways: off-topic once by an unprimed writer (a training file, or a batch from 42
    on), answerable twice in the written questions. Counted alike, the written label wins; an unprimed question counts
    UNPRIMED_WEIGHT (3) times, and then its label wins."""
    wording = ("支部台账记什么", "台账要写哪些", "台账怎么记")

    def scores(source: str) -> list[float]:
        rows = [Example(q, "zh", (), source) for q in wording] + [
            Example(q, "zh", (15,), "written") for q in wording * 2
        ]
        rows += [Example(q, "zh", (16,), "written") for q in ("党费怎么用", "党费的使用")]
        rows += [Example(q, "zh", (), "written") for q in ("食堂几点开", "食堂的菜单")]
        assert [r.unprimed for r in rows] == [True] * 3 + [False] * (len(rows) - 3)
        bias, w = train(rows, buckets_log2=10)
        model = Topicality(pack(bias, array("f", w.astype("float32").tobytes())))
        return [model.score(q) for q in wording]

    assert UNPRIMED_WEIGHT == 3.0
    assert all(s < 0 for s in scores(UNPRIMED)) and all(s < 0 for s in scores("42"))
    monkeypatch.setattr("bot.measures.build_classifiers.UNPRIMED_WEIGHT", 1.0)
    assert all(s > 0 for s in scores(UNPRIMED))
    # Both unprimed writers' files are learnt from (data/unprimed_offtopic.jsonl, data/unprimed_questions.jsonl).
    assert sum(1 for e in examples() if e.source == UNPRIMED) == 1818 + 3068


def test_training_learns_which_measure() -> None:
    rows = [Example(q, "zh", (16,), "tuning") for q in ("党费怎么用", "党费的使用", "党费管理要求")] + [
        Example(q, "zh", (7,), "tuning") for q in ("第一议题学什么", "第一议题的内容", "会议第一议题")
    ]
    biases, w = train_measures(rows, buckets_log2=10)
    scales, weights = quantised(w)
    model = MeasureClassifier(pack_measures(list(biases), scales, weights, 10))
    dues, first_item = model.logits("党费"), model.logits("第一议题")
    assert dues[16 - 1] > dues[7 - 1]
    assert first_item[7 - 1] > first_item[16 - 1]


def test_the_shipped_measure_classifier_is_whole() -> None:
    model = load_measure_classifier()
    assert model.count == 32 and len(model.weights) == 32 << model.buckets_log2
    data = pack_measures([0.0] * 2, [1.0] * 2, bytes(2 << 4), 4)
    assert MeasureClassifier(data).logits("党费") == [0.0, 0.0]
    with pytest.raises(ValueError):
        MeasureClassifier(data[:-1])
    with pytest.raises(ValueError):
        pack_measures([0.0] * 2, [1.0], bytes(2 << 4), 4)


def test_the_wording_reorders_the_three_best() -> None:
    """Whether a cadre's promotion needs the Party organisation's view: the text's words (干部, 党组织) match measure 32
    (the team of Party workers) best; people who ask it mean measure 14 (机关党组织配合组织人事部门对机关领导干部进行考察),
    second in the ranking. Since session 23 the order weighs the ranking's own scores too (order.py)."""
    question = "干部提拔要听党组织意见吗"
    without = build_index("zh", disabled=frozenset({"classifier"})).answer(question)
    with_it = get_index("zh").answer(question)
    assert [h.measure.number for h in without.hits][:2] == [32, 14]
    assert with_it.hits[0].measure.number == 14
    assert 32 in {h.measure.number for h in with_it.hits}  # the ranking's first is still shown
    first = get_index("zh").answer("第一议题学什么")
    assert first.hits[0].measure.number == 7
