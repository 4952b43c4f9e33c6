"""Choose how much the measure classifier weighs in the order of the three measures ranked best (PLACE_COST).

    python scripts/fit_classifiers.py

1. Every question of the tuning set and of the batches already read (build_classifiers.examples) is asked as the chat
   asks it, with both learnt models switched off, and the measures of its hits are kept, best first.
2. Each is scored by models trained without its fold (``build_classifiers.out_of_fold``).
3. For each cost of a place (by 0.25), the first three hits reordered by place and logit together; the choice: the
   most answerable questions with a right first measure, primed and unprimed sets pooled.

Sessions 17-22 also chose here how much the topicality model moved the decision's bar; since session 23 the
regression reads it as a signal (scripts/fit_measures_decline.py).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.measures import search  # noqa: E402
from bot.measures.build_classifiers import examples, fold_of, out_of_fold  # noqa: E402
from bot.measures.decline import answer_probability  # noqa: E402
from bot.measures.measure_classifier import by_place_and_logit  # noqa: E402

LEARNT = ("topicality", "classifier")


def probabilities(questions: list[tuple[str, str]]) -> list[tuple[float | None, bool, tuple[int, ...]]]:
    """Per (question, lang), with both learnt models switched off: the regression's whole answer probability (None
    if it did not decide), whether the build declined, and its hits' measures, best first."""
    caught: list[float] = []

    def whole(signals: search.Signals, thresholds: tuple[float, ...], offtopic: object) -> float:
        p = answer_probability(replace(signals, meaning_offtopic=offtopic()))  # type: ignore[operator]
        caught.append(p)
        return p

    search.DISABLED.update(LEARNT)
    search.reset_indexes()
    shortcut = search.settled_probability
    search.settled_probability = whole
    try:
        out = []
        for q, lang in questions:
            caught.clear()
            answer = search.ask(q, lang, top=3)
            out.append((caught[-1] if caught else None, not answer.hits, tuple(h.measure.number for h in answer.hits)))
    finally:
        search.settled_probability = shortcut
        search.DISABLED.difference_update(LEARNT)
        search.reset_indexes()
    return out


def main() -> None:
    """Score, choose, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    rows = examples()
    _, logits = out_of_fold(rows)
    asked = [(i, r) for i, r in enumerate(rows) if fold_of(r.source) is not None]
    decided = probabilities([(r.q, r.lang) for _, r in asked])
    firsts = {"primed": [], "unprimed": []}  # type: dict[str, list[tuple[tuple[int, ...], list[float], set[int]]]]
    for (i, r), (_, _, hits) in zip(asked, decided, strict=True):
        group = "unprimed" if r.unprimed else "primed"
        measure_logits = logits[i]
        assert measure_logits is not None
        if r.measures and hits:
            firsts[group].append((hits, measure_logits, set(r.measures)))

    def right_first(cost: float | None) -> dict[str, int]:
        out = {}
        for name, items in firsts.items():
            right = 0
            for hits, measure_logits, expected in items:
                first = hits[0]
                if cost is not None:
                    first = hits[by_place_and_logit([measure_logits[n - 1] for n in hits[: search.RERANKED]], cost)[0]]
                right += first in expected
            out[name] = right
        return out

    base_right = right_first(None)
    total = {name: len(items) for name, items in firsts.items()}
    print("\nanswered answerable questions with a right first measure, without the classifier:", base_right, total)
    best_cost = max((k / 4 for k in range(1, 17)), key=lambda c: (sum(right_first(c).values()), c))
    for cost in (k / 4 for k in range(1, 17)):
        print(f"  cost of a place {cost:.2f}: {right_first(cost)}{'  <- chosen' if cost == best_cost else ''}")
    print(f"\nPLACE_COST = {best_cost}")


if __name__ == "__main__":
    main()
