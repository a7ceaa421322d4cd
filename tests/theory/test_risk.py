"""Tests of gradient neutralisation (collective_jax.theory.risk) and its simplex solver."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from collective_jax.theory import linear_program
from collective_jax.theory import risk

# The two reference problems: θ ∈ R², a feature box, a label interval and a target θ*.
PROBLEMS = {
    "linear": dict(
        box=risk.Box(np.array([-1.0, -1.0]), np.array([1.0, 1.0]), -3.0, 3.0),
        theta_true=np.array([1.0, -0.5]), theta_star=np.array([0.3, 0.8]), ridge=0.0),
    # The second feature is a constant bias input, so its box is the single value 1.
    "logistic": dict(
        box=risk.Box(np.array([-2.0, 1.0]), np.array([2.0, 1.0]), 0.0, 1.0),
        theta_true=np.array([1.5, -0.3]), theta_star=np.array([-0.5, 0.4]), ridge=0.01),
}


# Collective sizes as multiples of α0, above and below the threshold.
ABOVE = (1 + 1e-3, 1.1)
BELOW = (1 - 1e-2, 0.7, 0.3, 0.05)


def _solve_problem(model):
  """The plan and the firm's minimisers θ̂(α) for every α of ABOVE and BELOW (and 0.999)."""
  setting = PROBLEMS[model]
  with jax.enable_x64(True):
    x, y = risk.sample_base_data(jax.random.key(0), 200, setting["box"], model,
                                 jnp.array(setting["theta_true"]))
    theta_star = jnp.array(setting["theta_star"])
    plan = risk.neutralising_plan(theta_star, x, y, setting["box"], model, setting["ridge"])
    alpha0 = float(plan.alpha0)
    above = [alpha0 * factor for factor in ABOVE] + [(alpha0 + 1) / 2, 0.999]
    below = [alpha0 * factor for factor in BELOW]
    solve = jax.jit(jax.vmap(lambda alpha: risk.firm_minimiser(plan, alpha, x, y, model, setting["ridge"])))
    thetas = np.asarray(solve(jnp.array(above + below)))
  return {**setting, "model": model, "x": x, "y": y, "theta_star": theta_star, "plan": plan,
          "above": (np.array(above), thetas[:len(above)]),
          "below": (np.array(below), thetas[len(above):])}


@pytest.fixture(scope="module")
def linear_problem():
  return _solve_problem("linear")


@pytest.fixture(scope="module")
def logistic_problem():
  return _solve_problem("logistic")


@pytest.fixture(params=sorted(PROBLEMS))
def problem(request):
  return request.getfixturevalue(f"{request.param}_problem")


def _smoothness(problem, alpha):
  """L ≥ the largest Hessian eigenvalue of L_P on the mixture at α (logistic: σ' ≤ 1/4)."""
  x, _, weights = risk.mixture_data(problem["plan"], alpha, problem["x"], problem["y"])
  curvature = 1.0 if problem["model"] == "linear" else 0.25
  return curvature * np.linalg.eigvalsh((x.T * weights) @ x)[-1] + problem["ridge"]


# The simplex solver.


def test_simplex_matches_scipy():
  rng = np.random.default_rng(0)
  num_rows, num_columns, count = 3, 8, 120
  constraints = rng.normal(size=(count, num_rows, num_columns))
  feasible_points = rng.exponential(size=(count, num_columns)) * (rng.random((count, num_columns)) < 0.7)
  rhs = np.einsum("kmn,kn->km", constraints, feasible_points)
  rhs[::4] = rng.normal(size=(len(rhs[::4]), num_rows))  # some infeasible systems
  costs = rng.normal(size=(count, num_columns))
  costs[::2] = np.abs(costs[::2])  # bounded below when feasible
  results = jax.jit(jax.vmap(linear_program.solve_standard_form))(
      jnp.array(costs), jnp.array(constraints), jnp.array(rhs))
  scipy_status = {0: linear_program.OPTIMAL, 2: linear_program.INFEASIBLE, 3: linear_program.UNBOUNDED}
  for index in range(count):
    reference = optimize.linprog(costs[index], A_eq=constraints[index], b_eq=rhs[index],
                                 bounds=(0, None), method="highs")
    assert int(results.status[index]) == scipy_status[reference.status], index
    if reference.status == 0:
      assert float(results.objective[index]) == pytest.approx(reference.fun, rel=1e-9, abs=1e-9)
      solution = np.asarray(results.solution[index])
      assert solution.min() >= 0
      np.testing.assert_allclose(constraints[index] @ solution, rhs[index], atol=1e-9)


def test_ray_extent_matches_pair_search():
  points = np.random.default_rng(1).normal(size=(60, 2))
  direction = np.array([1.0, 0.5])
  extent, weights, status = jax.jit(linear_program.ray_extent)(jnp.array(points), jnp.array(direction))
  assert int(status) == linear_program.OPTIMAL
  # In the plane the ray leaves the hull through a segment between two of the points.
  best = 0.0
  for i in range(len(points)):
    for j in range(i + 1, len(points)):
      system = np.column_stack([points[i] - points[j], -direction])
      if abs(np.linalg.det(system)) < 1e-14:
        continue
      share, length = np.linalg.solve(system, -points[j])
      if 0 <= share <= 1:
        best = max(best, length)
  assert float(extent) == pytest.approx(best, rel=1e-12)
  np.testing.assert_allclose(np.asarray(weights) @ points, float(extent) * direction, atol=1e-12)
  assert float(weights.sum()) == pytest.approx(1.0)


def test_ray_extent_infeasible_without_zero():
  points = jnp.array([[1.0, 1.0], [2.0, 1.0], [1.0, 3.0]])
  _, _, status = jax.jit(linear_program.ray_extent)(points, jnp.array([1.0, 0.0]))
  assert int(status) == linear_program.INFEASIBLE


# The neutralising strategy.


def test_hand_computed_threshold():
  # d = 1, every clean point is (x, y) = (1, 0), so ∇L0(θ*) = θ* = 1. Reports (x, y) with
  # |x| ≤ 1, |y| ≤ 2 have gradient (x − y)·x ≥ −(2|x| − x²) ≥ −1, so ρ = 1 and α0 = 1/2.
  box = risk.Box(np.array([-1.0]), np.array([1.0]), -2.0, 2.0)
  plan = risk.neutralising_plan(jnp.array([1.0]), jnp.ones((5, 1)), jnp.zeros(5), box, "linear",
                                grid_size=5)
  assert int(plan.status) == linear_program.OPTIMAL
  assert float(plan.extent) == pytest.approx(1.0)
  assert float(plan.alpha0) == pytest.approx(0.5)
  theta = risk.firm_minimiser(plan, 0.6, jnp.ones((5, 1)), jnp.zeros(5), "linear")
  assert float(theta[0]) == pytest.approx(1.0, abs=1e-10)
  # Below α0 the firm solves (1 − α)·θ + α·(mean report gradient at θ) = 0 in closed form.
  theta = risk.firm_minimiser(plan, 0.25, jnp.ones((5, 1)), jnp.zeros(5), "linear")
  x, y, weights = risk.mixture_data(plan, 0.25, jnp.ones((5, 1)), jnp.zeros(5))
  expected = (weights * x[:, 0] * y).sum() / (weights * x[:, 0] ** 2).sum()
  assert float(theta[0]) == pytest.approx(float(expected), abs=1e-10)


def test_plan_status(problem):
  assert int(problem["plan"].status) == linear_program.OPTIMAL
  assert 0 < float(problem["plan"].alpha0) < 1


def test_reports_inside_box(problem):
  plan, box = problem["plan"], problem["box"]
  used = (plan.extreme_weights + plan.zero_weights) > 0
  report_x, report_y = np.asarray(plan.report_x)[used], np.asarray(plan.report_y)[used]
  assert np.all(report_x >= box.feature_low - 1e-12)
  assert np.all(report_x <= box.feature_high + 1e-12)
  assert np.all(report_y >= box.label_low)
  assert np.all(report_y <= box.label_high)


@pytest.mark.parametrize("factor", [1.001, 1.2, 2.0])
def test_report_gradient_cancels_base_gradient(problem, factor):
  plan, model, ridge = problem["plan"], problem["model"], problem["ridge"]
  alpha = min(float(plan.alpha0) * factor, 0.99)
  weights = risk.report_weights(plan, alpha)
  assert float(weights.sum()) == pytest.approx(1.0)
  gradients = risk.attainable_gradients(problem["theta_star"], plan.report_x, plan.report_y, model, ridge)
  mixture_gradient = alpha * (weights @ gradients) + (1 - alpha) * plan.base_gradient
  np.testing.assert_allclose(mixture_gradient, 0.0, atol=1e-13)


def test_minimiser_exact_above_threshold(problem):
  _, thetas = problem["above"]
  distances = np.linalg.norm(thetas - np.asarray(problem["theta_star"]), axis=1)
  relative = distances / np.linalg.norm(problem["theta_star"])
  assert np.all(relative <= 1e-4), relative


def test_minimiser_away_below_threshold(problem):
  plan = problem["plan"]
  alpha0 = float(plan.alpha0)
  alphas, thetas = problem["below"]
  distances = np.linalg.norm(thetas - np.asarray(problem["theta_star"]), axis=1)
  gradient_norm = np.linalg.norm(plan.base_gradient)
  for alpha, distance in zip(alphas, distances):
    # ‖∇L_P(θ*)‖ = (1 − α/α0)·‖v‖ and ‖∇L_P(θ*)‖ ≤ L·‖θ̂ − θ*‖ keep θ̂ away from θ*.
    floor = (1 - alpha / alpha0) * gradient_norm / _smoothness(problem, alpha)
    assert distance >= floor * (1 - 1e-9), (alpha, distance, floor)
    assert distance > 1e-4 * np.linalg.norm(problem["theta_star"])


def test_predicted_bound_below_threshold(problem):
  plan, model, ridge, x = problem["plan"], problem["model"], problem["ridge"], problem["x"]
  alphas, thetas = problem["below"]
  distances = np.linalg.norm(thetas - np.asarray(problem["theta_star"]), axis=1)
  for alpha, distance in zip(alphas, distances):
    mu = risk.strong_convexity(x, alpha, model, ridge)
    assert float(mu) > 0
    assert distance <= float(risk.neutralising_gap_bound(plan, alpha, mu)) * (1 + 1e-9)


def test_minimiser_is_stationary(problem):
  """L-BFGS reached the minimiser: the mixture gradient vanishes (and, for linear regression,
  θ̂ solves the weighted normal equations)."""
  plan, model, ridge = problem["plan"], problem["model"], problem["ridge"]
  for alphas, thetas in (problem["above"], problem["below"]):
    for alpha, theta in zip(alphas, thetas):
      x, y, weights = risk.mixture_data(plan, alpha, problem["x"], problem["y"])
      gradient = risk.risk_gradient(jnp.array(theta), x, y, weights, model, ridge)
      np.testing.assert_allclose(gradient, 0.0, atol=1e-11)
      if model == "linear":
        x, y, weights = np.asarray(x), np.asarray(y), np.asarray(weights)
        expected = np.linalg.solve((x.T * weights) @ x + ridge * np.eye(2), (x.T * weights) @ y)
        np.testing.assert_allclose(theta, expected, atol=1e-10)


def test_finer_grid_lowers_threshold(linear_problem):
  problem = linear_problem
  coarse = risk.neutralising_plan(problem["theta_star"], problem["x"], problem["y"], problem["box"],
                                  "linear", problem["ridge"], grid_size=5)
  # The grid of 5 points per coordinate is part of the default grid of 21, so the attainable
  # hull can only grow and α0 only fall.
  assert float(coarse.alpha0) >= float(problem["plan"].alpha0) - 1e-12


def test_plan_without_zero_gradient_reports():
  # All features and labels positive with θ* = 0: every report gradient −y·x is negative,
  # so 0 is not attainable and no α makes θ* the minimiser.
  box = risk.Box(np.array([1.0, 1.0]), np.array([2.0, 2.0]), 10.0, 11.0)
  x = jnp.array([[1.5, 1.5], [1.2, 1.8]])
  plan = risk.neutralising_plan(jnp.zeros(2), x, jnp.array([10.5, 10.2]), box, "linear", grid_size=3)
  assert int(plan.status) == linear_program.INFEASIBLE
  assert bool(jnp.isnan(plan.alpha0))


def test_unknown_model_rejected():
  with pytest.raises(ValueError, match="model='ridge'"):
    risk.example_loss(jnp.zeros(2), jnp.ones(2), 1.0, "ridge")
