"""Which measures an answer shows, in what order (bot/measures/order.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.measures.decline import Signals
from bot.measures.order import CLASSIFIED, ORDER_FEATURES, ORDER_WEIGHTS, RANKED, candidates, features, in_order
from bot.measures.search import MeasureIndex, build_index, get_index

QUESTION = "干部提拔要听党组织意见吗"


def signals_of(index: MeasureIndex, question: str) -> tuple[Signals, list[int]]:
    signals = index.signals(index.analyzer.query(question), question)
    return signals, sorted(signals.fused, key=lambda i: (-signals.fused[i], i))


@pytest.fixture(scope="module")
def asked() -> tuple[Signals, list[int]]:
    return signals_of(get_index("zh"), QUESTION)


def test_the_candidates_are_the_rankings_three_and_the_classifiers_two_best(asked: tuple) -> None:
    signals, ranked = asked
    logits = signals.logits
    assert len(logits) == 32
    by_wording = sorted(range(32), key=lambda i: -logits[i])[:CLASSIFIED]
    found = candidates(signals, ranked)
    assert found[:RANKED] == ranked[:RANKED]
    assert found[RANKED:] == [i for i in by_wording if i not in ranked[:RANKED]]
    assert signals.wording == tuple(logits[i] for i in ranked[:RANKED])  # what the decision reads


def test_every_feature_has_a_weight(asked: tuple) -> None:
    signals, ranked = asked
    assert len(ORDER_WEIGHTS) == len(ORDER_FEATURES)
    for i in candidates(signals, ranked):
        row = features(signals, ranked, i)
        assert len(row) == len(ORDER_FEATURES)
        place = ranked.index(i) if i in ranked else 8
        assert row[0] == -min(place, 8) and row[1] == (1.0 if place < RANKED else 0.0)
        assert row[2] == signals.logits[i]
    assert features(signals, ranked, ranked[0])[3] == 1.0  # the first's fused score is its own share


def test_a_tie_keeps_the_ranking_order(asked: tuple) -> None:
    signals, ranked = asked
    assert in_order(signals, ranked, weights=(0.0,) * len(ORDER_FEATURES)) == candidates(signals, ranked)


def test_the_weights_decide(asked: tuple) -> None:
    """With the wording alone, the candidates by their logits; with the place alone, the ranking's order."""
    signals, ranked = asked
    found = candidates(signals, ranked)
    wording_only = tuple(1.0 if name == "wording" else 0.0 for name in ORDER_FEATURES)
    assert in_order(signals, ranked, weights=wording_only) == sorted(found, key=lambda i: -signals.logits[i])
    place_only = tuple(1.0 if name == "place" else 0.0 for name in ORDER_FEATURES)
    assert in_order(signals, ranked, weights=place_only) == found


def test_a_measure_only_the_classifier_puts_forward_can_come_first(asked: tuple) -> None:
    signals, ranked = asked
    outsider = next(i for i in range(32) if i not in ranked[:RANKED])
    logits = [0.0] * 32
    logits[outsider] = 9.0
    wording_only = tuple(1.0 if name == "wording" else 0.0 for name in ORDER_FEATURES)
    assert in_order(replace(signals, logits=tuple(logits)), ranked, weights=wording_only)[0] == outsider


def test_with_the_classifier_off_the_rankings_three_in_its_order(asked: tuple) -> None:
    signals, ranked = asked
    assert in_order(replace(signals, logits=()), ranked) == ranked[:RANKED]
    plain = build_index("zh", disabled=frozenset({"classifier"}))
    off, off_ranked = signals_of(plain, QUESTION)
    assert off.logits == () and in_order(off, off_ranked) == off_ranked[:RANKED]


def test_the_shipped_order_puts_the_measure_people_mean_first(asked: tuple) -> None:
    """The text's words (干部, 党组织) match measure 32 best; people who ask it mean measure 14."""
    signals, ranked = asked
    assert [ranked[0] + 1, ranked[1] + 1] == [32, 14]
    assert in_order(signals, ranked)[0] + 1 == 14


def test_the_answer_shows_a_measure_the_ranking_put_fourth_or_lower() -> None:
    """A Party lesson (党课) is one of the 三会一课 that measure 10 has carried out; the ranking's three for this
    question are 5, 20 and 30, and the classifier puts 10 forward (since session 25 second, before 20)."""
    index = get_index("zh")
    question = "领导带头讲党课一年几次"
    _, ranked = signals_of(index, question)
    assert 10 - 1 not in ranked[:RANKED]
    shown = [h.measure.number for h in index.answer(question).hits]
    assert shown[0] == 5 and 10 in shown
