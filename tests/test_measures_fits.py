"""The fitting scripts of the decision and the order (scripts/fit_measures_decline.py, fit_measures_order.py) recover
known weights from data drawn with them, in the signals' own units, and refuse the batches that judge."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from bot.measures.build_classifiers import JUDGES_FROM
from bot.measures.order import ORDER_FEATURES
from tests.scripts_support import load_script


def test_the_decision_is_fitted_in_the_signals_own_units() -> None:
    fit = load_script("fit_measures_decline").fit
    rng = np.random.default_rng(0)
    n = 40_000
    # An intercept and three signals on very different scales, one of them useless.
    x = np.column_stack([np.ones(n), rng.normal(5.0, 0.1, n), rng.normal(0.0, 30.0, n), rng.normal(2.0, 1.0, n)])
    true = np.array([-40.0, 8.0, 0.05, 0.0])
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(x @ true)))).astype(float)
    w = fit(x, y, l2=1e-6)
    assert w == pytest.approx(true, rel=0.05, abs=0.05)
    assert abs(w[3]) < 0.1 and w[2] == pytest.approx(0.05, abs=0.01)


def test_the_order_is_fitted_in_the_features_own_units() -> None:
    module = load_script("fit_measures_order")
    rng = np.random.default_rng(1)
    true = np.zeros(len(ORDER_FEATURES))
    true[2], true[3] = 0.8, 3.0  # the wording's logit and the fused share decide
    questions = []
    for i in range(4_000):
        x = rng.normal(0.0, 1.0, (5, len(ORDER_FEATURES)))  # the ranking's three, then the classifier's two
        x[:, 0] = [0.0, -1.0, -2.0, -5.0, -8.0]
        x[:, 1] = [1.0, 1.0, 1.0, 0.0, 0.0]
        x[:, 3] = rng.uniform(0.0, 1.0, 5)
        p = np.exp(x @ true)
        right = np.zeros(5)
        right[rng.choice(5, p=p / p.sum())] = 1.0
        questions.append((i % 10, x, right, np.ones(5, dtype=bool)))
    w = module.fit(questions, list(range(len(ORDER_FEATURES))), l2=1e-6)
    assert w[2] == pytest.approx(0.8, abs=0.15) and w[3] == pytest.approx(3.0, abs=0.5)
    assert np.abs(np.delete(w, [2, 3])).max() < 0.2
    fitted, unfitted = module.right_counts(questions, w), module.right_counts(questions, np.zeros(len(ORDER_FEATURES)))
    assert fitted[0] > unfitted[0] and fitted[1] > unfitted[1]


@pytest.mark.parametrize("name", ["fit_measures_decline", "fit_measures_order"])
def test_the_batches_that_judge_are_refused(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_script(name)
    monkeypatch.setattr(sys, "argv", [name, "--batches", f"{JUDGES_FROM - 1}-{JUDGES_FROM + 1}"])
    with pytest.raises(SystemExit) as refused:
        module.main()
    assert refused.value.code == 2
