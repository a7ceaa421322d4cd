"""Metrics of a collective's success and their confidence intervals."""

from collections.abc import Sequence

import jax.scipy.special
import numpy as np


def success_rate(planted_logits: np.ndarray, target: int) -> tuple[int, int]:
  """Return (hits, n): how many of n signal-planted documents have top-1 prediction y*.

  planted_logits: float[n, C] logits on test documents with g applied.
  """
  predictions = np.asarray(planted_logits).argmax(-1)
  return int((predictions == target).sum()), int(predictions.shape[0])


def top1_accuracy(logits: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
  """Return (hits, n): how many top-1 predictions lie in the document's true label set.

  logits: float[n, C]; labels: bool or {0, 1}[n, C] multi-hot label sets.
  """
  predictions = np.asarray(logits).argmax(-1)
  hits = np.asarray(labels)[np.arange(len(predictions)), predictions] > 0
  return int(hits.sum()), int(len(predictions))


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
  """Wilson score interval for a binomial proportion hits / n."""
  if n == 0:
    return float("nan"), float("nan")
  z = _normal_quantile(0.5 + confidence / 2)
  p = hits / n
  denominator = 1 + z * z / n
  centre = (p + z * z / (2 * n)) / denominator
  half_width = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
  low = 0.0 if hits == 0 else max(0.0, centre - half_width)
  high = 1.0 if hits == n else min(1.0, centre + half_width)
  return float(low), float(high)


def seed_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
  """Return (mean, low, high): a Student-t interval for the mean over seeds.

  With one seed the interval is undefined and low = high = NaN.
  """
  values = np.asarray(values, dtype=np.float64)
  mean = float(values.mean())
  if len(values) < 2:
    return mean, float("nan"), float("nan")
  half_width = _t_quantile(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(
      len(values))
  return mean, mean - float(half_width), mean + float(half_width)


def _normal_quantile(probability: float) -> float:
  return float(np.sqrt(2.0) * jax.scipy.special.erfinv(2.0 * probability - 1.0))


def _t_quantile(probability: float, dof: int) -> float:
  """Quantile of Student's t with `dof` degrees of freedom, by bisection on its CDF."""

  def upper_tail(t):
    # P(T > t) = I_{dof / (dof + t²)}(dof / 2, 1 / 2) / 2 for t ≥ 0.
    return 0.5 * float(jax.scipy.special.betainc(dof / 2, 0.5, dof / (dof + t * t)))

  low, high = 0.0, 1e3
  for _ in range(100):
    middle = (low + high) / 2
    if upper_tail(middle) > 1 - probability:
      low = middle
    else:
      high = middle
  return (low + high) / 2
