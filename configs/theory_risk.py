"""Gradient neutralisation against linear and logistic regression: α0 and ‖θ̂ − θ*‖ against α.

Variants (`--config=configs/theory_risk.py:VARIANT`):
  (none)  both models, a 21-point report grid per coordinate, 40 collective sizes; seconds.
  smoke   a 5-point grid and 6 collective sizes, for tests.
"""

import ml_collections


def _model(feature_low, feature_high, label_low, label_high, theta_true, theta_star, ridge):
  model = ml_collections.ConfigDict()
  # The box where members place reports: features in [feature_low, feature_high] per coordinate
  # (equal ends fix a coordinate, such as a bias input of 1) and labels in [label_low, label_high].
  model.feature_low = feature_low
  model.feature_high = feature_high
  model.label_low = label_low
  model.label_high = label_high
  # Parameters that generate the clean labels, and the collective's target θ*.
  model.theta_true = theta_true
  model.theta_star = theta_star
  # Ridge term λ of the firm's loss; the logistic risk needs λ > 0 to be strongly convex.
  model.ridge = ridge
  return model


def get_config(variant: str | None = None) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.experiment = "theory_risk"
  # Seed of the clean dataset.
  config.seed = 0
  # Models to run, from collective_jax.theory.risk.MODELS.
  config.models = ("linear", "logistic")
  # Clean examples drawn uniformly in the feature box; they define P0.
  config.num_points = 200
  # Standard deviation of the Gaussian label noise of linear regression.
  config.noise = 0.1
  # Candidate reports per free feature coordinate (each with both label ends).
  config.grid_size = 21
  # Collective sizes: num_alphas values spaced evenly in log α over
  # [alpha_factor_min·α0, min(alpha_factor_max·α0, 0.999)], plus α0·(1 ± 10⁻³).
  config.num_alphas = 40
  config.alpha_factor_min = 0.02
  config.alpha_factor_max = 3.0

  config.linear = _model((-1.0, -1.0), (1.0, 1.0), -3.0, 3.0, (1.0, -0.5), (0.3, 0.8), 0.0)
  config.logistic = _model((-2.0, 1.0), (2.0, 1.0), 0.0, 1.0, (1.5, -0.3), (-0.5, 0.4), 0.01)

  if variant == "smoke":
    config.grid_size = 5
    config.num_alphas = 6
  elif variant:
    raise ValueError(f"Unknown variant {variant!r} of configs/theory_risk.py; use 'smoke' or none.")
  return config
