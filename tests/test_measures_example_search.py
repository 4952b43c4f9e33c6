"""The nearest-example search (bot/measures/example_search.py) finds bit for bit what the plain search finds.

Its fields hold rounded dot products; only the examples the rounding cannot tell from the best are measured exactly.
Here: random examples in both models' ranges, many near-ties around the question, duplicates, empty groups, a
question outside the range the columns were sized for, and the real index's examples on real questions.
"""

from __future__ import annotations

import math
import random

import pytest

from bot.measures.example_search import ExampleIndex, brute_force
from bot.measures.search import get_index
from bot.measures.vectors import EXAMPLE_SCALE, EXAMPLE_SHIFT, in_example_space, packed_example

LOW, HIGH = EXAMPLE_SHIFT - EXAMPLE_SCALE, EXAMPLE_SHIFT + EXAMPLE_SCALE


def _unit(rng: random.Random, dims: int) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(c * c for c in v))
    return [c / norm for c in v]


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("dims", [1, 3, 64, 100])
def test_the_nearest_distance_is_the_plain_searchs(dims: int, compact: bool) -> None:
    rng = random.Random(dims * 2 + compact)
    groups = [[packed_example(_unit(rng, dims), compact) for _ in range(rng.randint(1, 60))] for _ in range(4)]
    groups[1].append(groups[1][0])  # a duplicate: two examples at the same distance
    groups.append([])
    index = ExampleIndex(groups, LOW, HIGH)
    for _ in range(50):
        point = in_example_space(_unit(rng, dims))
        placed = index.place(point)
        assert placed.rounded is not None  # the fast path, not the fallback
        for g, group in enumerate(groups):
            assert index.nearest_distance(g, placed) == brute_force(group, point)
    assert index.nearest_distance(4, index.place(in_example_space(_unit(rng, dims)))) is None


def test_near_ties_around_the_question_are_settled_exactly() -> None:
    """Examples one step from the question in every component: the rounding alone cannot order them."""
    rng = random.Random(7)
    for _ in range(100):
        point = in_example_space(_unit(rng, 100))
        group = [bytes(min(255, max(0, round(c) + rng.choice((-1, 0, 0, 1)))) for c in point) for _ in range(80)]
        index = ExampleIndex([group], LOW, HIGH)
        assert index.nearest_distance(0, index.place(point)) == brute_force(group, point)


def test_a_question_outside_the_sized_range_is_searched_plainly() -> None:
    group = [(0, 255), (128, 128), (-5, 256)]
    index = ExampleIndex([group], LOW, HIGH)
    point = (HIGH + 50.0, LOW - 50.0)  # not a unit vector: beyond what the columns hold
    placed = index.place(point)
    assert placed.rounded is None
    assert index.nearest_distance(0, placed) == min(math.dist(e, point) for e in group)


def test_an_empty_index() -> None:
    index = ExampleIndex([[]], LOW, HIGH)
    assert index.nearest_distance(0, index.place(())) is None


@pytest.mark.parametrize(
    ("lang", "question"),
    [
        ("zh", "那间屋子平时空着没人用"),
        ("zh", "开会第一件事学什么"),
        ("zh", "我刚当上支部书记，年底要交什么"),
        ("en", "Who fills a vacancy in the branch committee?"),
    ],
)
def test_the_indexs_examples_give_the_plain_searchs_cosines(lang: str, question: str) -> None:
    index = get_index(lang)
    for model in (index._vectors, index._meaning):
        if model is None:
            continue
        v = model.vector(question)
        assert v is not None
        examples = model._examples
        point = in_example_space(v)
        placed = examples.place(point)
        assert placed.rounded is not None
        for g, group in enumerate(examples._groups):
            plain = brute_force(group.examples(range(group.count)), point)
            assert examples.nearest_distance(g, placed) == plain
