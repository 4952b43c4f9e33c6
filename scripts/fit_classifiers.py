"""Choose how much the two learnt models weigh (topicality.py in decline.py, measure_classifier.py's PLACE_COST).

    python scripts/fit_classifiers.py [--weights 0.5,0.75,1,1.25,1.5,1.75,2,2.5]

1. Every question of the tuning set and of the batches already read (build_classifiers.examples) is asked as the chat
   asks it, with both models switched off; for those the regression decides, its answer probability p is kept
   (computed whole: ``settled_probability``'s shortcut is replaced), the others keep their outcome; and the measures
   of its hits, best first.
2. Each is scored by models trained without its fold (``build_classifiers.out_of_fold``).
3. Topicality: for each weight W and bar T (by 0.1), a question is answered when logit(p) + W * score >= T. The
   choice: the most off-topic questions of the unprimed batches (42 on) declined, with no more answerable questions
   declined than without it, there and on the primed sets (the tuning set and batches 1-41) alike.
4. The measures: for each cost of a place (by 0.25), the first three hits reordered by place and logit together; the
   choice: the most answerable questions with a right first measure, both groups pooled.

It prints the figures of both groups for each and the chosen values to paste into decline.py and
measure_classifier.py.
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
from bot.measures.decline import answer_probability, needed_probabilities  # noqa: E402
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
    """Score, scan, choose, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="0.5,0.75,1,1.25,1.5,1.75,2,2.5")
    args = parser.parse_args()
    rows = examples()
    scores, logits = out_of_fold(rows)
    asked = [(i, r) for i, r in enumerate(rows) if fold_of(r.source) is not None]
    decided = probabilities([(r.q, r.lang) for _, r in asked])
    groups = {"primed": [], "unprimed": []}  # type: dict[str, list[tuple[float | None, bool, float, int]]]
    firsts = {"primed": [], "unprimed": []}  # type: dict[str, list[tuple[tuple[int, ...], list[float], set[int]]]]
    for (i, r), (p, declined, hits) in zip(asked, decided, strict=True):
        group = "unprimed" if r.unprimed else "primed"
        score, measure_logits = scores[i], logits[i]
        assert score is not None and measure_logits is not None
        groups[group].append((p, declined, score, r.answerable))
        if r.measures and hits:
            firsts[group].append((hits, measure_logits, set(r.measures)))

    def figures(weight: float | None, bar: float) -> dict[str, tuple[float, float]]:
        out = {}
        for name, items in groups.items():
            a = o = ad = od = 0
            for p, declined, score, answerable in items:
                if p is not None:
                    declined = p < needed_probabilities(None if weight is None else score, weight or 0.0, bar)[0]
                a += answerable
                o += 1 - answerable
                ad += declined and answerable
                od += declined and not answerable
            out[name] = (100 * ad / max(1, a), 100 * od / max(1, o))
        return out

    base = figures(None, 0.0)
    print("without the classifier:", "  ".join(f"{g} {a:.2f} / {o:.1f}" for g, (a, o) in base.items()))
    print("(answerable declined % / off-topic declined %)")
    chosen = None
    for weight in (float(w) for w in args.weights.split(",")):
        best = None
        for k in range(-40, 31):
            bar = k / 10
            f = figures(weight, bar)
            if all(f[g][0] <= base[g][0] for g in f) and (best is None or f["unprimed"][1] > best[1]["unprimed"][1]):
                best = (bar, f)
        if best is None:
            continue
        bar, f = best
        print(f"W {weight:<5} T {bar:+.1f}:", "  ".join(f"{g} {a:.2f} / {o:.1f}" for g, (a, o) in f.items()))
        if chosen is None or f["unprimed"][1] > chosen[2]["unprimed"][1]:
            chosen = (weight, bar, f)
    if chosen is not None:
        print(f"\nTOPICALITY_WEIGHT = {chosen[0]}\nTOPICALITY_LOGIT = {chosen[1]}")

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
