"""Which measures an answer shows, in what order: one linear score per candidate (排序: 先答哪条, 再列哪几条).

Sessions 17-22 reordered the three measures ranked best by place (1.25 a place) and the measure classifier's logit
alone; session 23 weighed the ranking's own scores for them too, and chose only the first that way.

Session 24: the measure classifier's two best measures (of all 32) join the ranking's three as candidates, and all of
them are shown in the order of one score. When none of the three is right, the measure people mean is often one
the classifier puts first or second (45 of the 69 such answered questions of batches 94-113), however far down the
ranking it is. The score weighs each candidate's place in the ranking, whether it is among the three, the classifier's
logit, the ranking's final score as a share of the first's, the n-gram model's cosine and the distilled model's
cosine with its centroid: a conditional logit fitted with ``scripts/fit_measures_order.py`` on batches 64-113,
which neither learnt model learnt from then (since session 25 they do, and the fit asks each batch under models
trained without it). Out of fold (folds by batch) on 64-113 it has a right measure first for
8,149 of the 8,530 answered questions with a measure and one among the three shown for 8,454, against 8,131 and
8,378 by the order of session 23 (fitted on 64-101, so in sample for most of them). On batches 114-121, written
for this step and read by none of it: top-1 92.6 -> 92.8 %, top-3 95.6 -> 96.5 % (docs/measures-history.md, session 24).
"""

from __future__ import annotations

from bot.measures.decline import Signals

RANKED = 3  # the ranking's best measures that are candidates
CLASSIFIED = 2  # the measure classifier's best measures that are candidates too (when not among those)
DEEPEST_PLACE = 8  # places further down the ranking count as this one

ORDER_FEATURES = (
    "place",  # 0 for the ranking's first, -1 for its second … (at most DEEPEST_PLACE down; unranked counts as that)
    "among the three",  # 1 for the ranking's RANKED best, 0 for a measure only the classifier put forward
    "wording",  # the measure classifier's logit (measure_classifier.py)
    "fused share",  # the ranking's final score, as a share of the first's
    "n-gram",  # the n-gram model's cosine (semantic.py)
    "meaning centroid",  # the distilled model's cosine with the measure's centroid (meaning.py)
)
# Fitted by scripts/fit_measures_order.py --batches 64-153 (L2 0.001), in the features' own units; since session 25 each
# batch asked under learnt models trained without its group (out of fold, session 27: 14,403 of 14,882 right first,
# 14,784 one among the three shown; session 26's: 14,465 and 14,870 of 14,972; session 25's weights on 64-129: 10,821
# and 11,144 of 11,217; session 24's on 64-113, on models that never learnt from them: 8,149 and 8,454 of 8,530).
ORDER_WEIGHTS = (-0.038, -0.128, 0.594, 1.347, 1.633, -0.946)


def candidates(signals: Signals, ranked: list[int]) -> list[int]:
    """The measures (indexes) an answer may show: the RANKED best of ``ranked`` (the ranking, best first), then those
    of the classifier's CLASSIFIED best that are not among them, best first."""
    best = ranked[:RANKED]
    logits = signals.logits
    by_wording = sorted(range(len(logits)), key=lambda i: (-logits[i], i))[:CLASSIFIED]
    return [*best, *(i for i in by_wording if i not in best)]


def features(signals: Signals, ranked: list[int], i: int) -> tuple[float, ...]:
    """The features of measure ``i`` as a candidate; ``ranked``: the ranking, best first (every measure it scored)."""
    fused, logits = signals.fused, signals.logits
    place = ranked.index(i) if i in ranked[:DEEPEST_PLACE] else DEEPEST_PLACE
    first = fused.get(ranked[0], 0.0) if ranked else 0.0
    return (
        -float(place),
        1.0 if place < RANKED else 0.0,
        logits[i] if i < len(logits) else 0.0,
        fused.get(i, 0.0) / first if first else 0.0,
        signals.sem.scores.get(i, 0.0) if signals.sem is not None else 0.0,
        signals.meaning.centroid.get(i, 0.0) if signals.meaning is not None else 0.0,
    )


def in_order(signals: Signals, ranked: list[int], weights: tuple[float, ...] = ORDER_WEIGHTS) -> list[int]:
    """The candidates (measure indexes), the best scoring first; a tie keeps the ranking's order, and the classifier's
    candidates come after the ranking's. With the classifier switched off, the ranking's three in its order."""
    found = candidates(signals, ranked)
    if not signals.logits:
        return found
    scores = {i: sum(w * x for w, x in zip(weights, features(signals, ranked, i), strict=True)) for i in found}
    return sorted(found, key=lambda i: (-scores[i], found.index(i)))
