"""Fit the measures' decision to answer or decline (bot/measures/decline.py) and choose its threshold.

    python scripts/fit_measures_decline.py --batches 64-153 [--l2 0.001] [--max-declined 0.018] [--folds 5]

Session 23's fit. The regression reads the two learnt models (topicality.py, measure_classifier.py) as signals, so
each question must get what a question the models never learnt from gets. Sessions 23-24 fitted it on the batches
the models did not learn from; since session 25 the models learn from every batch read, and each batch is asked
under models trained without its group (``build_classifiers.fold_models``: the same ``--folds`` groups as step 3).
``--batches`` must end before ``JUDGES_FROM``: a batch that judges is never read.

1. Every question of those batches is asked as the chat asks it; for each the regression decides (not declined
   before it by a rule, not asked by number) its signals are kept whole (``settled_probability``'s shortcut is
   replaced by the full computation).
2. A logistic regression over ``Signals.features``: each signal scaled to unit variance, Newton's method on the mean
   log-loss with an L2 penalty on every weight but the intercept; the weights are then given back in the signals'
   own units.
3. The batches are split into ``--folds`` groups (a batch whole in one group); each question gets its probability
   from a fit without its group, so from writers the fit never saw. The threshold is halfway between the last of the
   answerable questions allowed to be declined (``--max-declined`` of those the regression decides) and the next.
   The weights printed are fitted on all of them.

It prints the weights and threshold to paste into decline.py and the declines at a few thresholds. Rounds 5-21 fitted
the signals of then on the written questions and the tuning set with earlier batches (``git log`` of this file);
numpy, a development dependency, only here.
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.measures import search  # noqa: E402
from bot.measures.build_classifiers import Example, asked_out_of_fold, examples, fitting_arguments  # noqa: E402
from bot.measures.decline import FEATURES, Signals, answer_probability  # noqa: E402


def decided(lo: int, hi: int, folds: int) -> list[tuple[Example, tuple[float, ...]]]:
    """The questions of batches lo..hi the regression decides, each with the features of its signals, asked under
    learnt models trained without its batch's group."""
    caught: list[Signals] = []

    def whole(signals: Signals, thresholds: tuple[float, ...], offtopic: object) -> float:
        full = replace(signals, meaning_offtopic=offtopic())  # type: ignore[operator]
        caught.append(full)
        return answer_probability(full)

    shortcut = search.settled_probability
    search.settled_probability = whole
    try:
        out: list[tuple[Example, tuple[float, ...]]] = []
        for example in asked_out_of_fold(examples(), lo, hi, folds):
            caught.clear()
            search.ask(example.q, example.lang, top=3)
            out += [(example, caught[-1].features())] if caught else []
    finally:
        search.settled_probability = shortcut
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 50) -> np.ndarray:
    """Logistic regression (column 0 the intercept) on standardised signals, weights in the signals' units."""
    mean, sd = x.mean(axis=0), x.std(axis=0)
    mean[0], sd[0] = 0.0, 1.0
    sd[sd == 0] = 1.0
    z = (x - mean) / sd
    b = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ b, -30, 30)))
        grad = z.T @ (p - y) / len(y) + penalty * b
        hess = (z * (p * (1 - p))[:, None]).T @ z / len(y) + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        b -= step
        if np.abs(step).max() < 1e-8:
            break
    w = b / sd
    w[0] = b[0] - float((b[1:] * mean[1:] / sd[1:]).sum())
    return w


def main() -> None:
    """Ask, fit out of fold, choose the threshold, fit on all, print."""
    args, lo, hi = fitting_arguments(__doc__, max_declined=0.018)
    kept = decided(lo, hi, args.folds)
    x = np.array([f for _, f in kept])
    y = np.array([float(r.answerable) for r, _ in kept])
    batch = np.array([int(r.source) for r, _ in kept])

    numbers = sorted(set(batch.tolist()))
    oof = np.zeros(len(y))
    for k in range(args.folds):
        held = np.isin(batch, numbers[k :: args.folds])
        oof[held] = x[held] @ fit(x[~held], y[~held], args.l2)
    probability = 1.0 / (1.0 + np.exp(-oof))
    w = fit(x, y, args.l2)

    print(f"fitted on {len(y)} questions of batches {lo}-{hi} the regression decides, L2 {args.l2}")
    for name, v in zip(FEATURES, w, strict=True):
        print(f"  {name:<28} {v:+.3f}")
    answerable, offtopic = np.sort(probability[y == 1]), probability[y == 0]
    allowed = int(args.max_declined * len(answerable))
    threshold = math.floor((answerable[allowed - 1] + answerable[allowed]) / 2 * 100) / 100
    print(f"\n{len(answerable)} answerable, {len(offtopic)} off-topic; each scored by a fit without its batch")
    for t in sorted({0.1, 0.2, 0.3, 0.4, 0.5, threshold}):
        a, o = int((answerable < t).sum()), int((offtopic < t).sum())
        mark = "  <- chosen" if t == threshold else ""
        print(f"  threshold {t:.2f}: answerable declined {a}, off-topic declined {o} of {len(offtopic)}{mark}")
    weights = ", ".join(f"{v:.3f}" for v in w)
    print(f"\nDECLINE_WEIGHTS = ({weights})\nANSWER_PROBABILITY = {threshold}")


if __name__ == "__main__":
    main()
