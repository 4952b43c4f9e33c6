"""Fit the measures' decision to answer or decline (bot/measures/decline.py) and choose its threshold.

    python scripts/fit_measures_decline.py [--l2 0.3] [--max-declined 0.01] [--folds 5] [--also BATCH.jsonl …]

Round 5's fit: ``--max-declined 0.011 --also benchmarks/measures_heldout_1.jsonl --also …_2.jsonl --also …_3.jsonl
--also …_4.jsonl`` (those batches had been looked at by then; a batch nobody has looked at must never be passed).

1. A logistic regression over ``Signals.features`` is fitted by Newton's method with an L2 penalty (the intercept is
   not penalised) on the written questions of ``bot/measures/data/questions.jsonl``, each scored by the n-gram
   model without itself (leave-one-out), and on the TUNING set (``benchmarks/measures_eval.jsonl``): the written
   questions use the notice's words more than people do, the tuning set is nearer to how people ask.
2. Each tuning question gets its probability from a fit that left its fold out (``--folds``); the threshold is the
   probability halfway between the last of its answerable questions allowed to be declined (``--max-declined``)
   and the next one. The weights printed are then fitted on everything. A held-out batch is read only when named
   with ``--also`` (pooled with the tuning set).

Round 21's fit: ``--without-written --l2 0.3 --max-declined 0.011`` with every committed batch as ``--also``: the
vector models' signals (decline.py) see the written questions as their examples, so they are left out of the fit.

It prints the weights and the threshold to paste into decline.py, and the tuning set's declines at each threshold.
``UNANCHORED_ANSWER_PROBABILITY`` (a question without a word of the domain) is set by hand in decline.py (round 8).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.measures.decline import FEATURES, Signals  # noqa: E402
from bot.measures.numbers import find_measure_number  # noqa: E402
from bot.measures.search import UNKNOWN_COVERAGE, MeasureIndex, build_index, question_language  # noqa: E402
from bot.measures.semantic import load_questions  # noqa: E402

TUNING = ROOT / "benchmarks" / "measures_eval.jsonl"


def signals_of(index: MeasureIndex, question: str, leave_out: bool) -> Signals | None:
    """The signals of a question the regression decides (not one asking for a measure by number)."""
    if find_measure_number(question) is not None:
        return None
    q = index.analyzer.query(question)
    if not q.words and not q.grams:
        return None
    s = index.signals(q, question, leave_out=leave_out)
    if not s.anchored and s.coverage < UNKNOWN_COVERAGE:
        return None  # declined before the regression (see MeasureIndex._search)
    return s


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a small dense system)."""
    n = len(b)
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[col][col]:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(xs: list[tuple[float, ...]], ys: list[int], l2: float, iterations: int = 30) -> list[float]:
    """Logistic regression by Newton's method with an L2 penalty on every weight but the intercept."""
    k = len(xs[0])
    w = [0.0] * k
    for _ in range(iterations):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y in zip(xs, ys, strict=True):
            z = max(-30.0, min(30.0, sum(a * b for a, b in zip(w, x, strict=True))))
            p = 1.0 / (1.0 + math.exp(-z))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(1, k):
            grad[i] += l2 * w[i]
            hess[i][i] += l2
        step = solve(hess, grad)
        w = [a - b for a, b in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return w


def _probability(w: list[float], x: tuple[float, ...]) -> float:
    z = max(-30.0, min(30.0, sum(a * b for a, b in zip(w, x, strict=True))))
    return 1.0 / (1.0 + math.exp(-z))


def main() -> None:
    """Fit, choose the threshold, print both."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--l2", type=float, default=0.3)
    parser.add_argument("--max-declined", type=float, default=0.01)
    parser.add_argument("--folds", type=int, default=5, help="0: fit on the written questions only")
    parser.add_argument(
        "--without-written",
        action="store_true",
        help="fit on the evaluation sets alone (round 21: the vector models' signals see the written questions as "
        "their examples, so a written question would be scored against itself)",
    )
    parser.add_argument(
        "--also",
        action="append",
        type=Path,
        default=[],
        metavar="JSONL",
        help="another evaluation set to pool with the tuning set (a held-out batch once it has been looked at)",
    )
    args = parser.parse_args()

    indexes = {lang: build_index(lang, disabled=frozenset()) for lang in ("zh", "en")}
    xs: list[tuple[float, ...]] = []
    ys: list[int] = []
    for lang, index in indexes.items():
        for question, numbers in () if args.without_written else load_questions(lang):
            s = signals_of(index, question, leave_out=True)
            if s is not None:
                xs.append(s.features())
                ys.append(1 if numbers else 0)
    lines = [line for path in (TUNING, *args.also) for line in path.read_text("utf-8").splitlines()]
    tuning = [json.loads(line) for line in lines if line.strip()]
    xt: list[tuple[float, ...]] = []
    yt: list[int] = []
    for d in tuning:
        index = indexes[question_language(d["q"], d["lang"])]
        s = signals_of(index, d["q"], leave_out=False)
        if s is not None:
            xt.append(s.features())
            yt.append(1 if d.get("expect", d.get("measures")) else 0)
    if args.folds:
        # The tuning set joins the fit; its probabilities come from the fold that left it out.
        probability = [0.0] * len(xt)
        for k in range(args.folds):
            rest = [i for i in range(len(xt)) if i % args.folds != k]
            wk = fit(xs + [xt[i] for i in rest], ys + [yt[i] for i in rest], args.l2)
            for i in range(k, len(xt), args.folds):
                probability[i] = _probability(wk, xt[i])
        w = fit(xs + xt, ys + yt, args.l2)
        pooled = " and ".join(["the tuning set", *(p.name for p in args.also)])
        source = f"{len(xs)} written questions and {len(xt)} of {pooled}" if xs else f"{len(xt)} of {pooled}"
    else:
        w = fit(xs, ys, args.l2)
        probability = [_probability(w, x) for x in xt]
        source = f"{len(xs)} written questions"
    weights = tuple(round(v, 3) for v in w)
    print(f"fitted on {source}, L2 {args.l2}")
    for name, v in zip(FEATURES, weights, strict=True):
        print(f"  {name:<26} {v:+.3f}")
    answerable = [p for p, y in zip(probability, yt, strict=True) if y]
    offtopic = [p for p, y in zip(probability, yt, strict=True) if not y]
    allowed = int(args.max_declined * len(answerable))
    low = sorted(answerable)
    # Halfway between the last answerable question allowed to be declined and the first that must not be: the
    # threshold is not balanced on one question.
    chosen = (low[allowed - 1] + low[allowed]) / 2 if 0 < allowed < len(low) else 0.5
    threshold = math.floor(chosen * 100) / 100
    cv = f" ({args.folds}-fold: each question scored by a fit without it)" if args.folds else ""
    print(f"\ntuning pool: {len(answerable)} answerable, {len(offtopic)} off-topic (by the regression){cv}")
    for t in sorted({0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, threshold}):
        a = sum(p < t for p in answerable)
        o = sum(p < t for p in offtopic)
        mark = "  <- chosen" if t == threshold else ""
        print(f"  threshold {t:.3f}: answerable declined {a}, off-topic declined {o} of {len(offtopic)}{mark}")
    print(f"\nDECLINE_WEIGHTS = {weights}\nANSWER_PROBABILITY = {threshold}")


if __name__ == "__main__":
    main()
