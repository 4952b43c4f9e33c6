"""Helpers for the measures' tests."""

from __future__ import annotations

from bot.measures.search import ABLATABLE, MeasureIndex, build_index


def written_since(first_round: int) -> frozenset[str]:
    """The ablation's parts for the written questions of ``first_round`` and every later round ("written-r11" …).

    Tests that look at one part of the ranking alone switch these off: each round's questions find more by
    themselves, and listing the kinds by hand meant editing every such test once a round."""
    kinds = (part for part in ABLATABLE if part.startswith("written-r"))
    return frozenset(kind for kind in kinds if int(kind.removeprefix("written-r")) >= first_round)


def one_part_alone(kept: str, other: str) -> tuple[MeasureIndex, MeasureIndex]:
    """Two Chinese rankings without the written questions of round 11 on (they bring in words the semantic parts are
    tested on): one with ``kept`` and without ``other``, and one without either."""
    older = written_since(11)
    return build_index("zh", disabled=frozenset({other}) | older), build_index(
        "zh", disabled=frozenset({kept, other}) | older
    )


def ranked_first(index: MeasureIndex, question: str) -> int:
    """The number of the measure the ranking puts first (its fused score), whatever the decision to answer: with a
    part switched off the decision is not the one fitted and may decline."""
    fused = index.signals(index.analyzer.query(question), question).fused
    return min(fused, key=lambda i: (-fused[i], i)) + 1
