"""Planting a signal on a finite universe: exact success, bounds and worst case against α.

Variants (`--config=configs/theory_classification.py:VARIANT`):
  (none)  a 32-row universe, 60 collective sizes, four signal uniquenesses ξ; seconds on a CPU.
  smoke   a 12-row universe and 8 collective sizes, for tests.
"""

import ml_collections


def get_config(variant: str | None = None) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.experiment = "theory_classification"
  # Seed of the random clean table.
  config.seed = 0

  # The universe: clean rows, signal rows and labels. Clean row x maps to signal row
  # x mod num_signal_rows, and signal rows map to themselves, so g is idempotent.
  config.num_clean_rows = 28
  config.num_signal_rows = 4
  config.num_labels = 5
  # Dirichlet concentration of the clean table's entries and of the signal rows' labels.
  config.concentration = 1.0
  # The target label y*.
  config.target = 0
  # Signal uniquenesses ξ = P0(X*): the clean mass placed on the signal rows (0: unique signal).
  config.uniquenesses = (0.0, 0.01, 0.05, 0.2)
  # "feature_label" or "feature_only".
  config.strategy = "feature_label"

  # Collective sizes: num_alphas values spaced evenly in log α over [alpha_min, alpha_max].
  config.alpha_min = 1e-4
  config.alpha_max = 0.9
  config.num_alphas = 60
  # TV suboptimality levels ε of the firm's classifier for the worst-case curves.
  config.epsilons = (0.001, 0.01)
  # Success level S* whose critical mass α* is reported.
  config.success_level = 0.9

  # Finite-sample bound: training-set size N, confidence 1 − δ, and the seed that draws the
  # collective's n = round(α·N) samples from P0.
  config.num_train = 25_000
  config.delta = 0.05
  config.sample_seed = 1

  if variant == "smoke":
    config.num_clean_rows = 8
    config.num_signal_rows = 2
    config.num_labels = 3
    config.uniquenesses = (0.0, 0.1)
    config.num_alphas = 8
    config.epsilons = (0.01,)
    config.num_train = 2_000
  elif variant:
    raise ValueError(f"Unknown variant {variant!r} of configs/theory_classification.py; use 'smoke' or none.")
  return config
