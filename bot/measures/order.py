"""Which of the three measures ranked best comes first: one linear score per candidate (排序: 前三条谁排第一).

Sessions 17-22 reordered them by place (1.25 a place) and the measure classifier's logit alone.
Session 23: the scores the ranking already has for each candidate join them (its fused score and BM25's, as shares of
the first's; the n-gram model's cosine; the distilled model's and the word vectors' cosines with its nearest example
and its centroid), weighed by a conditional logit fitted with ``scripts/fit_measures_order.py`` on batches 64-93, which
neither learnt model learnt from. Out of fold (folds by batch) it puts a right measure first for 5,001 of the 5,227
answered answerable questions there, against 4,968 by place and logit (refitted, those two alone: 4,984); on 64-101,
6,220 of 6,517 against 6,180 (6,206).
"""

from __future__ import annotations

from bot.measures.decline import Signals

ORDER_FEATURES = (
    "place",  # 0 for the first, -1 for the second, -2 for the third
    "wording",  # the measure classifier's logit (measure_classifier.py)
    "fused share",  # the ranking's final score, as a share of the first's
    "BM25 share",  # BM25's score, as a share of the first's (0 when the first has none)
    "n-gram",  # the n-gram model's cosine (semantic.py)
    "meaning nearest",  # the distilled model's cosine with the measure's nearest example (meaning.py)
    "meaning centroid",  # … with its centroid
    "vectors nearest",  # the word vectors' cosine with its nearest example (vectors.py, Chinese only)
    "vectors centroid",  # … with its centroid
)
# Fitted by scripts/fit_measures_order.py --batches 64-101 (L2 0.001), in the features' own units (first on 64-93,
# judged by batches 98-101; this one by 102-109). Its questions are those the decision answered, and it was fitted
# while the decision's 64-93 weights were shipped; with the 64-101 decision the same command answers 6,513 of them
# and gives weights within 0.02 of these (6,218 right first out of fold).
ORDER_WEIGHTS = (-0.049, 0.552, 1.734, -0.138, 1.542, 2.592, -1.922, 0.209, -1.097)


def features(signals: Signals, ranked: list[int], place: int) -> tuple[float, ...]:
    """The features of the candidate at ``place`` among ``ranked`` (measure indexes, best first)."""
    i, first = ranked[place], ranked[0]
    fused, bm25 = signals.fused, signals.scores
    sem = signals.sem.scores.get(i, 0.0) if signals.sem is not None else 0.0
    meaning, vectors = signals.meaning, signals.vec
    return (
        -float(place),
        signals.wording[place] if place < len(signals.wording) else 0.0,
        fused.get(i, 0.0) / fused[first] if fused.get(first) else 0.0,
        bm25.get(i, 0.0) / bm25[first] if bm25.get(first) else 0.0,
        sem,
        meaning.nearest.get(i, 0.0) if meaning is not None else 0.0,
        meaning.centroid.get(i, 0.0) if meaning is not None else 0.0,
        vectors.nearest.get(i, 0.0) if vectors is not None else 0.0,
        vectors.centroid.get(i, 0.0) if vectors is not None else 0.0,
    )


def in_order(signals: Signals, ranked: list[int], weights: tuple[float, ...] = ORDER_WEIGHTS) -> list[int]:
    """The places of ``ranked`` (up to three): the best scoring first (a tie keeps the better place), the others in
    the ranking's order (the weights are fitted to choose the first, not to order the rest)."""
    scores = [
        sum(w * x for w, x in zip(weights, features(signals, ranked, place), strict=True))
        for place in range(len(ranked))
    ]
    first = min(range(len(ranked)), key=lambda p: (-scores[p], p))
    return [first, *(p for p in range(len(ranked)) if p != first)]
