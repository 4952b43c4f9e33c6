"""Helpers for the measures' tests."""

from __future__ import annotations

from bot.measures.search import ABLATABLE


def written_since(first_round: int) -> frozenset[str]:
    """The ablation's parts for the written questions of ``first_round`` and every later round ("written-r11" …).

    Tests that look at one part of the ranking alone switch these off: each round's questions find more by
    themselves, and listing the kinds by hand meant editing every such test once a round."""
    kinds = (part for part in ABLATABLE if part.startswith("written-r"))
    return frozenset(kind for kind in kinds if int(kind.removeprefix("written-r")) >= first_round)
