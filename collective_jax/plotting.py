"""Plots regenerated from a run folder's result records."""

import collections
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from collective_jax import metrics  # noqa: E402


def summarise_across_seeds(records: list[dict], key: str) -> list[dict]:
  """Group records by α: the mean of `key` over seeds and its 95% Student-t interval."""
  by_alpha = collections.defaultdict(list)
  for record in records:
    by_alpha[record["alpha"]].append(record[key])
  rows = []
  for alpha in sorted(by_alpha):
    mean, low, high = metrics.seed_interval(by_alpha[alpha])
    rows.append({"alpha": alpha, "mean": mean, "low": low, "high": high,
                 "num_seeds": len(by_alpha[alpha])})
  return rows


def summarise(records: list[dict], key: str) -> list[dict]:
  """Group records by α and return the mean of `key` with a 95% interval per α.

  With several seeds the interval is the Student-t interval across seeds; with one seed it is
  that run's Wilson interval (`{key}_ci_low`, `{key}_ci_high`).
  """
  by_alpha = collections.defaultdict(list)
  for record in records:
    by_alpha[record["alpha"]].append(record)
  rows = []
  for alpha in sorted(by_alpha):
    group = by_alpha[alpha]
    values = [r[key] for r in group]
    if len(group) > 1:
      mean, low, high = metrics.seed_interval(values)
    else:
      mean, low, high = values[0], group[0].get(f"{key}_ci_low"), group[0].get(f"{key}_ci_high")
    rows.append({"alpha": alpha, "mean": mean, "low": low, "high": high, "num_seeds": len(group)})
  return rows


def plot_success_vs_alpha(records: list[dict], path: pathlib.Path, title: str = "") -> None:
  """Plot success and clean accuracy against α on a log axis, with 95% bands.

  α = 0 cannot sit on a log axis, so its values are drawn as dashed horizontal lines.
  """
  figure, axis = plt.subplots(figsize=(6.4, 4.2))
  series = (("success", "success S(α)", "C0"),
            ("success_non_target", "success, non-target resumes", "C1"),
            ("clean_accuracy", "clean top-1 accuracy", "C2"))
  for key, label, colour in series:
    if not all(key in r for r in records):
      continue
    rows = summarise(records, key)
    positive = [r for r in rows if r["alpha"] > 0]
    alphas = np.array([r["alpha"] for r in positive])
    means = np.array([r["mean"] for r in positive])
    axis.plot(alphas, means, "o-", color=colour, label=label)
    lows = np.array([np.nan if r["low"] is None else r["low"] for r in positive], dtype=float)
    highs = np.array([np.nan if r["high"] is None else r["high"] for r in positive], dtype=float)
    if np.isfinite(lows).all() and np.isfinite(highs).all():
      axis.fill_between(alphas, lows, highs, color=colour, alpha=0.2, linewidth=0)
    for r in rows:
      if r["alpha"] == 0:
        axis.axhline(r["mean"], color=colour, linestyle="--", linewidth=1)
  axis.set_xscale("log")
  axis.set_xlabel("α (fraction of training documents in the collective)")
  axis.set_ylabel("fraction of test documents")
  axis.set_ylim(-0.02, 1.02)
  axis.grid(True, which="both", alpha=0.3)
  axis.set_title(title or "Planting a signal: success vs collective size", fontsize="medium")
  axis.plot([], [], "--", color="0.4", linewidth=1, label="same metric at α = 0")
  axis.legend(loc="best", fontsize="small")
  figure.tight_layout()
  figure.savefig(path, dpi=120)
  plt.close(figure)
