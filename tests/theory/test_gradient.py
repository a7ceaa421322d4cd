"""Tests of gradient control (collective_jax.theory.gradient) on logistic regression and an MLP."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from collective_jax.theory import gradient
from collective_jax.theory import risk

FEATURE_BOUND = 1.0
LEARNING_RATE = 1.0
NUM_STEPS = 60
ALPHAS = (0.1, 0.2, 0.3, 0.5, 0.8)


@pytest.fixture(scope="module")
def logistic():
  """Logistic regression: the firm starts at the labels' generating θ_0 and the target is θ*."""
  with jax.enable_x64(True):
    box = risk.Box(-FEATURE_BOUND * np.ones(2), FEATURE_BOUND * np.ones(2), 0.0, 1.0)
    theta0 = jnp.array([1.0, -0.5])
    x, y = risk.sample_base_data(jax.random.key(0), 400, box, "logistic", theta0)
    theta_star = jnp.array([-0.3, 0.4])
    clean_gradient, clean_example_gradient = gradient.logistic_problem(x, y)
    radius = gradient.logistic_ball_radius(theta0, theta_star, FEATURE_BOUND)
    bound = gradient.path_gradient_bound(clean_gradient, theta0, theta_star)
  return dict(x=x, y=y, theta0=theta0, theta_star=theta_star, clean_gradient=clean_gradient,
              clean_example_gradient=clean_example_gradient, radius=float(radius),
              gradient_bound=float(bound), report=gradient.logistic_report(FEATURE_BOUND))


@pytest.fixture(scope="module")
def mlp():
  """A 2-16-2 tanh MLP on XOR-like data; members choose their mean gradient in a ball."""
  with jax.enable_x64(True):
    input_key, start_key, target_key = jax.random.split(jax.random.key(3), 3)
    x = jax.random.normal(input_key, (256, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(jnp.int32)
    start = gradient.mlp_init(start_key, (2, 16, 2), jnp.float64)
    theta0, _, clean_gradient, clean_example_gradient = gradient.mlp_problem(start, x, y)
    theta_star = jax.flatten_util.ravel_pytree(gradient.mlp_init(target_key, (2, 16, 2), jnp.float64))[0]
    bound = gradient.path_gradient_bound(clean_gradient, theta0, theta_star)
  radius = 2.0
  return dict(theta0=theta0, theta_star=theta_star, clean_gradient=clean_gradient,
              clean_example_gradient=clean_example_gradient, radius=radius,
              gradient_bound=float(bound), report=gradient.ball_report(radius), num_examples=256)


def _strengths(problem, alphas):
  """C(α) = min(C_max(α), 1/(2η)) for the feasible α, NaN where α·B ≤ (1 − α)·G."""
  distance = float(jnp.linalg.norm(problem["theta0"] - problem["theta_star"]))
  strengths = []
  for alpha in alphas:
    limit = gradient.feasible_strength(alpha, problem["radius"], problem["gradient_bound"], distance)
    strengths.append(min(float(limit), 0.5 / LEARNING_RATE) if limit > 0 else np.nan)
  return np.array(strengths)


def _simulate(problem, alphas, strengths, num_steps=NUM_STEPS):
  def run(alpha, strength):
    return gradient.simulate(problem["clean_gradient"], problem["report"], problem["theta0"],
                             problem["theta_star"], alpha, strength, LEARNING_RATE, num_steps)
  return jax.jit(jax.vmap(run))(jnp.array(alphas), jnp.array(strengths))


@pytest.fixture(scope="module", params=["logistic", "mlp"])
def controlled(request, logistic, mlp):
  """Gradient-descent runs at every feasible α of ALPHAS, with C at the feasibility limit."""
  problem = {"logistic": logistic, "mlp": mlp}[request.param]
  with jax.enable_x64(True):
    strengths = _strengths(problem, ALPHAS)
    feasible = np.isfinite(strengths)
    alphas = np.array(ALPHAS)[feasible]
    runs = _simulate(problem, alphas, strengths[feasible])
  return problem, alphas, strengths[feasible], runs


def test_some_alphas_feasible_and_some_not(controlled):
  problem, alphas, _, _ = controlled
  assert 0 < len(alphas) < len(ALPHAS)
  threshold = problem["gradient_bound"] / (problem["radius"] + problem["gradient_bound"])
  # α·B > (1 − α)·G is the same as α > G/(B + G).
  assert np.all(alphas > threshold)
  assert np.all(np.setdiff1d(ALPHAS, alphas) <= threshold)


def test_feasible_runs_never_clip(controlled):
  _, _, _, runs = controlled
  assert not bool(runs.clipped.any())


def test_distance_follows_predicted_rate(controlled):
  problem, _, strengths, runs = controlled
  distance = float(jnp.linalg.norm(problem["theta0"] - problem["theta_star"]))
  for strength, distances in zip(strengths, np.asarray(runs.distances)):
    predicted = np.asarray(gradient.predicted_distances(strength, LEARNING_RATE, NUM_STEPS, distance))
    np.testing.assert_allclose(distances, predicted, rtol=1e-9)


def test_rate_improves_with_alpha(controlled):
  problem, _, _, _ = controlled
  distance = float(jnp.linalg.norm(problem["theta0"] - problem["theta_star"]))
  limits = [float(gradient.feasible_strength(alpha, problem["radius"], problem["gradient_bound"], distance))
            for alpha in ALPHAS]
  assert all(later > earlier for earlier, later in zip(limits, limits[1:]))


def test_infeasible_alpha_misses_rate(controlled):
  """Below the condition, asking for the rate that the smallest feasible α gets fails."""
  problem, alphas, strengths, _ = controlled
  small_alpha = 0.02
  runs = _simulate(problem, [small_alpha], [strengths[0]])
  distance = float(jnp.linalg.norm(problem["theta0"] - problem["theta_star"]))
  predicted = np.asarray(gradient.predicted_distances(strengths[0], LEARNING_RATE, NUM_STEPS, distance))
  assert bool(runs.clipped.any())
  assert float(runs.distances[0, -1]) > 1.1 * predicted[-1]


def test_sgd_mean_follows_rate(logistic):
  """With SGD the mean of θ_t − θ* over runs contracts by (1 − ηC) per step."""
  alpha, learning_rate, num_steps, num_runs, batch_size = 0.8, 0.5, 40, 128, 16
  strength = 0.5 * _strengths(logistic, [alpha])[0]

  def run(key):
    return gradient.simulate(
        logistic["clean_gradient"], logistic["report"], logistic["theta0"], logistic["theta_star"],
        alpha, strength, learning_rate, num_steps,
        clean_example_gradient=logistic["clean_example_gradient"], num_examples=400,
        batch_size=batch_size, key=key)

  runs = jax.jit(jax.vmap(run))(jax.random.split(jax.random.key(7), num_runs))
  assert not bool(runs.clipped.any())
  offsets = np.asarray(runs.path[:, -1] - logistic["theta_star"])  # θ_T − θ* for each run
  predicted = (1 - learning_rate * strength) ** num_steps * np.asarray(logistic["theta0"] - logistic["theta_star"])
  standard_error = offsets.std(axis=0, ddof=1) / np.sqrt(num_runs)
  assert np.all(np.abs(offsets.mean(axis=0) - predicted) <= 5 * standard_error + 1e-12)
  # The noise keeps single runs away from the exact rate, so SGD is really stochastic here.
  assert offsets.std(axis=0).max() > 1e-4


def test_logistic_report_realises_target():
  theta = jnp.array([0.7, -1.2])
  rng = np.random.default_rng(0)
  for _ in range(20):
    target = jnp.array(rng.normal(size=2)) * 0.1
    x, y, clipped = gradient.logistic_report_point(theta, target, FEATURE_BOUND)
    assert np.all(np.abs(np.asarray(x)) <= FEATURE_BOUND + 1e-12)
    assert 0.0 <= float(y) <= 1.0
    achieved = risk.example_gradient(theta, x, y, "logistic")
    if not bool(clipped):
      np.testing.assert_allclose(achieved, target, atol=1e-14)
    else:
      # The nearest attainable point on the ray through the target: same direction, shorter.
      assert float(jnp.linalg.norm(achieved)) < float(jnp.linalg.norm(target))
      np.testing.assert_allclose(achieved / jnp.linalg.norm(achieved), target / jnp.linalg.norm(target),
                                 atol=1e-12)


def test_logistic_ball_is_attainable():
  """Every gradient of norm ≤ B = b·σ(−b‖θ‖) is realised exactly by one report."""
  theta = jnp.array([0.7, -1.2])
  radius = float(gradient.logistic_ball_radius(theta, theta, FEATURE_BOUND))
  angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
  for angle in angles:
    target = radius * (1 - 1e-12) * jnp.array([np.cos(angle), np.sin(angle)])
    _, _, clipped = gradient.logistic_report_point(theta, target, FEATURE_BOUND)
    assert not bool(clipped)


def test_clip_to_ball():
  clipped, moved = gradient.clip_to_ball(jnp.array([3.0, 4.0]), 2.0)
  np.testing.assert_allclose(clipped, [1.2, 1.6])
  assert bool(moved)
  unchanged, moved = gradient.clip_to_ball(jnp.array([0.3, 0.4]), 2.0)
  np.testing.assert_allclose(unchanged, [0.3, 0.4])
  assert not bool(moved)
