"""Gradient control against gradient descent: ‖θ_t − θ*‖ against t for several α.

Variants (`--config=configs/theory_gradient.py:VARIANT`):
  (none)  logistic regression and a 2-16-2 MLP, 80 steps, four collective sizes; seconds.
  sgd     the same with SGD (batch 16), averaged over 32 runs.
  smoke   20 steps and two collective sizes, for tests.
"""

import ml_collections


def get_config(variant: str | None = None) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.experiment = "theory_gradient"
  # Seed of the clean data, the MLP initialisations and the SGD batches.
  config.seed = 0
  # Problems to run: "logistic" (members report real points) and "mlp" (members choose their
  # mean gradient inside a ball of radius mlp.radius).
  config.problems = ("logistic", "mlp")
  # Collective sizes α.
  config.alphas = (0.2, 0.35, 0.5, 0.8)
  # The firm's step size η and number of steps T.
  config.learning_rate = 1.0
  config.num_steps = 80
  # The contraction C of a feasible α is min(C_max(α), strength_cap/η). A strength_cap ≤ 1
  # keeps ηC ≤ 1, so the iterates stay on the segment [θ_0, θ*]. Infeasible α reuse the C of
  # the smallest feasible α, to show the predicted rate failing.
  config.strength_cap = 0.5
  # SGD batch size; 0 runs full gradient descent on the mixture.
  config.batch_size = 0
  # SGD only: independent runs whose mean iterate is compared with the predicted rate. With
  # SGD, a record's "distances" are those of the mean iterate.
  config.num_sgd_runs = 32

  config.logistic = ml_collections.ConfigDict()
  # Clean examples with features uniform in [−b, b]² and Bernoulli(σ(θ_trueᵀx)) labels; the
  # firm starts at θ_0 = θ_true, the model that generated the clean labels.
  config.logistic.num_points = 400
  config.logistic.feature_bound = 1.0
  config.logistic.theta_true = (1.0, -0.5)
  config.logistic.theta_star = (-0.3, 0.4)

  config.mlp = ml_collections.ConfigDict()
  # Layer widths; the inputs are 2-D standard normal points labelled by the sign of x₁·x₂.
  config.mlp.sizes = (2, 16, 2)
  config.mlp.num_points = 256
  # Radius B of the ball of mean gradients that members can report.
  config.mlp.radius = 2.0

  if variant == "sgd":
    config.batch_size = 16
    config.learning_rate = 0.5
  elif variant == "smoke":
    config.alphas = (0.2, 0.8)
    config.num_steps = 20
  elif variant:
    raise ValueError(f"Unknown variant {variant!r} of configs/theory_gradient.py; use 'sgd', 'smoke' or none.")
  return config
