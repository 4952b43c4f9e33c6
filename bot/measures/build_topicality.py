"""Train ``data/topicality.bin`` offline (topicality.py): whether a question has a measure that answers it.

    python -m bot.measures.build_topicality

The examples are labelled questions: the written ones (``data/questions.jsonl``), the tuning set and every held-out
batch already read (numbered below ``JUDGES_FROM``); a batch from ``JUDGES_FROM`` on judges the round and is never
read here. Each is 1 when it has a measure, 0 when off-topic. A logistic regression on the hashed grams of
``topicality.hashed``, by stochastic gradient descent with the two classes weighted to count equally, a fixed seed
and a small L2 penalty; numpy (a development dependency) only here.

``out_of_fold`` scores each tuning or batch question with a model trained without its fold (batches by number, the
tuning set as one fold; the written questions always train): ``scripts/fit_topicality.py`` chooses how much the
score weighs in the decision from those, as the regression's threshold was chosen (decline.py).
"""

from __future__ import annotations

import json
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.measures.topicality import BUCKETS_LOG2, hashed, pack

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
OUT = DATA / "topicality.bin"
# Batches 60-63 judge session 17's round: none of them is read here.
JUDGES_FROM = 60
EPOCHS = 12
RATE = 0.5  # divided by the epoch's number
L2 = 1e-6
FOLDS = 5


@dataclass(frozen=True)
class Example:
    """One labelled question, its language and where it comes from (``written``, ``tuning`` or a batch's number)."""

    q: str
    lang: str
    answerable: int
    source: str


def _read(path: Path, source: str) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [Example(r["q"], r["lang"], 1 if r.get("expect", r.get("measures")) else 0, source) for r in rows]


def examples(root: Path = ROOT) -> list[Example]:
    """Every labelled question the classifier may learn from."""
    out = _read(DATA / "questions.jsonl", "written") + _read(root / "benchmarks" / "measures_eval.jsonl", "tuning")
    for path in sorted((root / "benchmarks").glob("measures_heldout_*.jsonl")):
        number = int(path.stem.rsplit("_", 1)[1])
        if number < JUDGES_FROM:
            out += _read(path, str(number))
    return out


def train(rows: list[Example], buckets_log2: int = BUCKETS_LOG2, seed: int = 0) -> tuple[float, np.ndarray]:
    """The bias and the slots' weights, fitted on ``rows``."""
    import numpy as np  # a development dependency (through rank-bm25), offline only

    data = []
    for r in rows:
        slots = hashed(r.q, buckets_log2)
        keys = np.fromiter(slots.keys(), dtype=np.int64, count=len(slots))
        values = np.fromiter(slots.values(), dtype=np.float64, count=len(slots))
        data.append((keys, values, r.answerable))
    positive = sum(r.answerable for r in rows)
    share = {1: len(rows) / (2 * max(1, positive)), 0: len(rows) / (2 * max(1, len(rows) - positive))}
    w = np.zeros(1 << buckets_log2)
    bias = 0.0
    rng = np.random.default_rng(seed)
    for epoch in range(EPOCHS):
        rate = RATE / (1 + epoch)
        for i in rng.permutation(len(data)):
            keys, values, y = data[i]
            z = bias + float(w[keys] @ values)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = (p - y) * share[y]
            w[keys] -= rate * (g * values + L2 * w[keys])
            bias -= rate * g
    return bias, w


def fold_of(source: str, folds: int = FOLDS) -> int | None:
    """The fold a question is scored in (None: the written questions, which always train)."""
    if source == "written":
        return None
    return folds - 1 if source == "tuning" else int(source) % folds


def out_of_fold(rows: list[Example], folds: int = FOLDS) -> list[float | None]:
    """Each tuning or batch question's score from a model trained without its fold (None for written ones)."""
    scores: list[float | None] = [None] * len(rows)
    for k in range(folds):
        bias, w = train([r for r in rows if fold_of(r.source, folds) != k])
        for i, r in enumerate(rows):
            if fold_of(r.source, folds) == k:
                scores[i] = bias + sum(float(w[s]) * v for s, v in hashed(r.q).items())
    return scores


def main() -> None:
    """Train on every example and write the model."""
    rows = examples()
    bias, w = train(rows)
    OUT.write_bytes(pack(bias, array("f", w.astype("float32").tobytes())))
    answerable = sum(r.answerable for r in rows)
    size = OUT.stat().st_size
    print(f"{len(rows)} questions ({answerable} answerable, {len(rows) - answerable} off-topic): {size:,} B")


if __name__ == "__main__":
    main()
