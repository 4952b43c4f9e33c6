"""The order of the three measures ranked best (bot/measures/order.py)."""

from __future__ import annotations

import pytest

from bot.measures.order import ORDER_FEATURES, ORDER_WEIGHTS, features, in_order
from bot.measures.search import get_index

QUESTION = "干部提拔要听党组织意见吗"


@pytest.fixture(scope="module")
def candidates() -> tuple[object, list[int]]:
    index = get_index("zh")
    signals = index.signals(index.analyzer.query(QUESTION), QUESTION)
    ranked = sorted(signals.fused, key=lambda i: (-signals.fused[i], i))[:3]
    return signals, ranked


def test_every_feature_has_a_weight(candidates: tuple) -> None:
    signals, ranked = candidates
    assert len(ORDER_WEIGHTS) == len(ORDER_FEATURES)
    for place in range(len(ranked)):
        row = features(signals, ranked, place)
        assert len(row) == len(ORDER_FEATURES)
        assert row[0] == -place
        assert row[1] == signals.wording[place]
    assert features(signals, ranked, 0)[2] == 1.0  # the first's fused score is its own share


def test_a_tie_keeps_the_ranking_order(candidates: tuple) -> None:
    signals, ranked = candidates
    assert in_order(signals, ranked, weights=(0.0,) * len(ORDER_FEATURES)) == [0, 1, 2]


def test_the_weights_decide(candidates: tuple) -> None:
    """With the wording alone, the highest logit first and the rest in the ranking's order; with the place alone,
    the ranking's order."""
    signals, ranked = candidates
    wording_only = (0.0, 1.0) + (0.0,) * (len(ORDER_FEATURES) - 2)
    top = max(range(3), key=lambda p: (signals.wording[p], -p))
    assert in_order(signals, ranked, weights=wording_only) == [top, *(p for p in range(3) if p != top)]
    place_only = (1.0,) + (0.0,) * (len(ORDER_FEATURES) - 1)
    assert in_order(signals, ranked, weights=place_only) == [0, 1, 2]


def test_the_shipped_order_puts_the_measure_people_mean_first(candidates: tuple) -> None:
    """The text's words (干部, 党组织) match measure 32 best; people who ask it mean measure 14."""
    signals, ranked = candidates
    assert [ranked[0] + 1, ranked[1] + 1] == [32, 14]
    assert ranked[in_order(signals, ranked)[0]] + 1 == 14
