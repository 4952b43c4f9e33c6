"""Choose how much the topicality classifier weighs in the decision to answer (bot/measures/decline.py).

    python scripts/fit_topicality.py [--weights 0.5,0.75,1,1.25,1.5]

1. Every question of the tuning set and of the batches already read (build_topicality.examples) is asked as the chat
   asks it, with the classifier switched off; for those the regression decides, its answer probability p is kept
   (computed whole: ``settled_probability``'s shortcut is replaced), the others keep their outcome.
2. Each is scored by a classifier trained without its fold (``build_topicality.out_of_fold``).
3. For each weight W and bar T (by 0.1), a question is answered when logit(p) + W * score >= T. The choice: the most
   off-topic questions of the unprimed batches (42 on) declined, with no more answerable questions declined than
   without the classifier, there and on the primed sets (the tuning set and batches 1-41) alike.

It prints, per weight, the best bar and the figures of both groups, and the chosen pair to paste into decline.py.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.measures import search  # noqa: E402
from bot.measures.build_topicality import examples, out_of_fold  # noqa: E402
from bot.measures.decline import ANSWER_PROBABILITY, answer_probability  # noqa: E402

UNPRIMED_FROM = 42  # batches written before their writers read the notice (benchmarks/blind_brief.md)


def probabilities(questions: list[tuple[str, str]]) -> list[tuple[float | None, bool]]:
    """Per (question, lang): the regression's whole answer probability (None if it did not decide) and whether the
    build without the classifier declined."""
    caught: list[float] = []

    def whole(signals: search.Signals, thresholds: tuple[float, ...], offtopic: object) -> float:
        p = answer_probability(replace(signals, meaning_offtopic=offtopic()))  # type: ignore[operator]
        caught.append(p)
        return p

    search.DISABLED.add("topicality")
    search.reset_indexes()
    shortcut = search.settled_probability
    search.settled_probability = whole  # type: ignore[assignment]
    try:
        out = []
        for q, lang in questions:
            caught.clear()
            answer = search.ask(q, lang, top=3)
            out.append((caught[-1] if caught else None, not answer.hits))
    finally:
        search.settled_probability = shortcut
        search.DISABLED.discard("topicality")
        search.reset_indexes()
    return out


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def main() -> None:
    """Score, scan, choose, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default="0.5,0.75,1,1.25,1.5")
    args = parser.parse_args()
    rows = examples()
    scores = out_of_fold(rows)
    asked = [(i, r) for i, r in enumerate(rows) if r.source != "written"]
    decided = probabilities([(r.q, r.lang) for _, r in asked])
    groups = {"primed": [], "unprimed": []}  # type: dict[str, list[tuple[float | None, bool, float, int]]]
    for (i, r), (p, declined) in zip(asked, decided, strict=True):
        unprimed = r.source.isdigit() and int(r.source) >= UNPRIMED_FROM
        score = scores[i]
        assert score is not None
        groups["unprimed" if unprimed else "primed"].append((p, declined, score, r.answerable))

    def figures(weight: float | None, bar: float) -> dict[str, tuple[float, float]]:
        out = {}
        for name, items in groups.items():
            a = o = ad = od = 0
            for p, declined, score, answerable in items:
                if p is not None and weight is not None:
                    declined = logit(p) + weight * score < bar
                elif p is not None:
                    declined = p < ANSWER_PROBABILITY
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


if __name__ == "__main__":
    main()
