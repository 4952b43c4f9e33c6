"""Fit the order of the measures an answer shows (bot/measures/order.py).

    python scripts/fit_measures_order.py --batches 64-153 [--l2 0.001] [--folds 5]

Fitted as the decision is (scripts/fit_measures_decline.py): on read held-out batches before
build_classifiers.JUDGES_FROM, each asked under learnt models trained without its group of batches (sessions 23-24:
on the batches neither model learnt from). Every answered question with a measure is asked as the chat asks
it; its candidates are ``order.candidates`` (the ranking's three best and the measure classifier's two best), each
with ``order.features``. A conditional logit (a softmax over a question's candidates, the right ones sharing the
target) is fitted by Newton's method on the features scaled to unit variance, with an L2 penalty. It prints, for the
shipped weights, the ranking's own order, and place and wording alone and all features refitted out of fold (folds by
batch), how many questions get a right measure first and how many one among the three shown (the best scoring first,
then those scoring at least ``RELATIVE_CUTOFF`` of the ranking's best); then the weights in the features' own units
(a shift common to a question's candidates changes no order, so the scaling's means drop out). numpy, a development
dependency, only here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.measures import order, search  # noqa: E402
from bot.measures.build_classifiers import Example, asked_out_of_fold, examples, fitting_arguments  # noqa: E402
from bot.measures.decline import Signals  # noqa: E402

# batch, candidates' features, whether each is right, whether each may be shown after the first
Question = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def candidates(lo: int, hi: int, folds: int) -> list[Question]:
    """The answered questions with a measure of batches lo..hi, with their candidates, each asked under learnt models
    trained without its batch's group."""
    caught: list[Signals] = []
    signals_of = search.MeasureIndex.signals

    def spy(self: search.MeasureIndex, *args: object, **kwargs: object) -> Signals:
        caught.append(signals_of(self, *args, **kwargs))  # type: ignore[arg-type]
        return caught[-1]

    search.MeasureIndex.signals = spy  # type: ignore[method-assign]
    out: list[Question] = []
    try:
        for example in asked_out_of_fold(examples(), lo, hi, folds):
            caught.clear()
            if example.measures and search.ask(example.q, example.lang, top=3).hits and caught:
                out += [_candidates(example, caught[-1])] if caught[-1].logits else []
    finally:
        search.MeasureIndex.signals = signals_of  # type: ignore[method-assign]
    return out


def _candidates(example: Example, s: Signals) -> Question:
    ranked = s.ranked
    found = order.candidates(s, ranked)
    x = np.array([order.features(s, ranked, i) for i in found])
    right = np.array([1.0 if i + 1 in example.measures else 0.0 for i in found])
    shown = np.array([s.fused.get(i, 0.0) >= s.fused[ranked[0]] * search.RELATIVE_CUTOFF for i in found])
    return int(example.source), x, right, shown


def fit(questions: list[Question], columns: list[int], l2: float, iterations: int = 60) -> np.ndarray:
    """The conditional logit's weights over ``columns`` (zero elsewhere), in the features' units."""
    usable = [(x[:, columns], y / y.sum()) for _, x, y, _ in questions if y.any() and len(y) > 1]
    stacked = np.vstack([x for x, _ in usable])
    sd = stacked.std(axis=0)
    sd[sd == 0] = 1.0
    b = np.zeros(len(columns))
    for _ in range(iterations):
        grad = l2 * b
        hess = l2 * np.eye(len(columns))
        for x, target in usable:
            z = x / sd
            e = np.exp(z @ b - (z @ b).max())
            p = e / e.sum()
            mean = p @ z
            grad = grad + (z.T @ (p - target)) / len(usable)
            hess = hess + ((z * p[:, None]).T @ z - np.outer(mean, mean)) / len(usable)
        step = np.linalg.solve(hess, grad)
        b -= step
        if np.abs(step).max() < 1e-8:
            break
    w = np.zeros(len(order.ORDER_FEATURES))
    w[columns] = b / sd
    return w


def right_counts(questions: list[Question], weights: np.ndarray) -> tuple[int, int]:
    """How many questions get a right measure first by these weights (a tie keeps the better place), and how many
    one among the three shown."""
    first = among = 0
    for _, x, y, shown in questions:
        by_score = sorted(range(len(y)), key=lambda k: (-float(x[k] @ weights), k))
        kept = [by_score[0], *(k for k in by_score[1:] if shown[k])][:3]
        first += int(y[kept[0]])
        among += int(any(y[k] for k in kept))
    return first, among


def main() -> None:
    """Collect, fit out of fold, fit on all, print."""
    args, lo, hi = fitting_arguments(__doc__)
    questions = candidates(lo, hi, args.folds)
    numbers = sorted({q[0] for q in questions})
    every = list(range(len(order.ORDER_FEATURES)))
    print(f"{len(questions)} answered questions with a measure, batches {lo}-{hi}")
    print("(right first, right among the three shown)")
    print(f"  shipped weights: {right_counts(questions, np.array(order.ORDER_WEIGHTS))}")
    by_place = np.zeros(len(order.ORDER_FEATURES))
    by_place[0] = 1.0
    print(f"  the ranking's order: {right_counts(questions, by_place)}")
    for name, columns in (("place and wording", [0, 2]), ("all features", every)):
        right = np.zeros(2, dtype=int)
        for k in range(args.folds):
            held = set(numbers[k :: args.folds])
            w = fit([q for q in questions if q[0] not in held], columns, args.l2)
            right += right_counts([q for q in questions if q[0] in held], w)
        print(f"  {name}, out of fold: {tuple(int(n) for n in right)}")
    w = fit(questions, every, args.l2)
    for name, v in zip(order.ORDER_FEATURES, w, strict=True):
        print(f"  {name:<18} {v:+.3f}")
    print(f"\nORDER_WEIGHTS = ({', '.join(f'{v:.3f}' for v in w)})")


if __name__ == "__main__":
    main()
