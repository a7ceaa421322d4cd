"""Metrics on hand-made logits, and the confidence intervals."""

import numpy as np
import pytest

from collective_jax import seed_interval, success_rate, top1_accuracy, wilson_interval


def test_success_rate_counts_target_top1():
  logits = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.0, 0.2, 0.1], [0.3, 0.3, 0.9]])
  assert success_rate(logits, target=1) == (2, 4)
  assert success_rate(logits, target=2) == (1, 4)


def test_top1_accuracy_uses_label_sets():
  logits = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.0, 0.2, 0.1]])
  labels = np.array([[0, 1, 1], [0, 1, 1], [1, 1, 0]], bool)
  assert top1_accuracy(logits, labels) == (2, 3)


def test_wilson_interval_known_values():
  low, high = wilson_interval(5, 10)
  assert low == pytest.approx(0.2366, abs=1e-4)
  assert high == pytest.approx(0.7634, abs=1e-4)
  low, high = wilson_interval(0, 20)
  assert low == pytest.approx(0.0, abs=1e-12)
  assert high == pytest.approx(0.1611, abs=1e-4)


def test_seed_interval_student_t():
  mean, low, high = seed_interval([0.2, 0.4, 0.6])
  # t_{0.975, 2} = 4.3027, standard error 0.2 / sqrt(3).
  assert mean == pytest.approx(0.4)
  assert high - mean == pytest.approx(4.3027 * 0.2 / np.sqrt(3), rel=1e-4)
  assert mean - low == pytest.approx(high - mean)


def test_seed_interval_single_seed_is_undefined():
  mean, low, high = seed_interval([0.7])
  assert mean == 0.7
  assert np.isnan(low)
  assert np.isnan(high)


def test_summary_over_seeds():
  from collective_jax.experiments.signal import summarise_over_seeds
  records = [
      {"alpha": 0.0, "seed": s, "success": v, "success_non_target": v, "clean_accuracy": 0.9}
      for s, v in enumerate([0.1, 0.2, 0.3])
  ] + [{"alpha": 0.01, "seed": 0, "success": 0.8, "success_non_target": 0.7,
        "clean_accuracy": 0.9}]
  rows = summarise_over_seeds(records)
  assert [row["alpha"] for row in rows] == [0.0, 0.01]
  assert rows[0]["num_seeds"] == 3
  assert rows[0]["success_mean"] == pytest.approx(0.2)
  assert rows[0]["success_seed_ci_high"] - 0.2 == pytest.approx(4.3027 * 0.1 / np.sqrt(3), rel=1e-4)
  assert rows[0]["clean_accuracy_seed_ci_low"] == pytest.approx(0.9)
  assert np.isnan(rows[1]["success_seed_ci_low"])
