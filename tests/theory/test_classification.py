"""Tests of collective_jax.theory.classification: exact values, worst cases and every bound."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from collective_jax.theory import classification as cl
from tests.theory import tables

TABLES_PER_GROUP = 30  # 7 shapes × 5 kinds × 30 = 1,050 random tables per strategy
# Bisection compiles once per shape, so the critical-mass tests use two shapes.
CRITICAL_MASS_SIZES = ((3, 3), (8, 3))
# Every random table is padded to this shape for evaluation (see tables.pad_tables).
PADDED_SHAPE = (8, 4)


def _grid(function):
  """vmap `function(p0, g, target, alpha, epsilon)` over tables, α and ε."""
  over_epsilon = jax.vmap(function, in_axes=(None, None, None, None, 0))
  over_alpha = jax.vmap(over_epsilon, in_axes=(None, None, None, 0, None))
  return jax.vmap(over_alpha, in_axes=(0, 0, 0, None, None))


@functools.partial(jax.jit, static_argnames=("strategy",))
def _plant_quantities(p0, g, target, alphas, epsilons, strategy):
  def quantities(p0, g, target, alpha, epsilon):
    return {
        "exact": cl.plant_success(p0, g, target, alpha, strategy),
        "worst": cl.worst_case_plant_success(p0, g, target, alpha, epsilon, strategy),
        "greedy": cl.greedy_worst_case_plant_success(p0, g, target, alpha, epsilon, strategy),
        "bound": cl.plant_bound(p0, g, target, alpha, epsilon, strategy),
        "staircase": cl.staircase_plant_bound(p0, g, target, alpha, epsilon, strategy),
        "margin": cl.plant_margin(p0, g, target, alpha, strategy),
        **_uncorrected_plant_forms(p0, g, target, alpha, epsilon, strategy),
    }
  return _grid(quantities)(p0, g, target, alphas, epsilons)


def _uncorrected_plant_forms(p0, g, target, alpha, epsilon, strategy):
  """The forms before correction: ε enters as ε/(1 − ε), and feature-only is α → α·p."""
  strength = alpha * (1 if strategy == "feature_label" else cl.target_fraction(p0, target))
  gap = cl.signal_gap(p0, g, target) * cl.signal_uniqueness(p0, g)
  bound = 1 - ((1 - alpha) * gap + epsilon / (1 - epsilon)) / jnp.maximum(strength, 1e-300)
  margins = cl.plant_margin(p0, g, target, alpha, strategy)
  staircase = jnp.sum(jnp.where(margins > epsilon / (1 - epsilon), cl.signal_mass(p0, g), 0))
  return {"uncorrected_bound": jnp.clip(bound, 0, 1), "uncorrected_staircase": staircase}


@jax.jit
def _erase_quantities(p0, g, alphas, epsilons):
  def quantities(p0, g, target, alpha, epsilon):
    del target
    uncorrected = 1 - (1 - alpha) / alpha * cl.erasure_gap(p0, g)
    return {"exact": cl.erase_success(p0, g, alpha), "bound": cl.erase_bound(p0, g, alpha, epsilon),
            "uncorrected_bound": jnp.clip(uncorrected, 0, 1)}
  return _grid(quantities)(p0, g, jnp.zeros(p0.shape[0], int), alphas, epsilons)


def _describe(size, kind, p0, g, target, alpha, epsilon, bound, value):
  return (f"{kind} table of shape {size}: p0={np.round(p0, 4).tolist()}, g={g.tolist()}, "
          f"y*={target}, α={alpha}, ε={epsilon}: bound {bound:.6f} > {value:.6f}")


def _count_violations(groups, bound_key, value_key, epsilon_mask=None):
  """Return (tables tried, violations, first counterexample) of bound ≤ value over `groups`."""
  tried, violations, first = 0, 0, None
  for size, kind, p0, g, target, values in groups:
    bound, value = np.asarray(values[bound_key]), np.asarray(values[value_key])
    broken = bound > value + tables.TOLERANCE
    if epsilon_mask is not None:
      broken &= epsilon_mask[None, None, :]
    tried += p0.shape[0]
    violations += int(broken.any(axis=(1, 2)).sum())
    if first is None and broken.any():
      table, alpha, epsilon = np.argwhere(broken)[0]
      first = _describe(size, kind, p0[table], g[table], target[table], tables.ALPHAS[alpha],
                        tables.EPSILONS[epsilon], bound[table, alpha, epsilon],
                        value[table, alpha, epsilon])
  return tried, violations, first


def _evaluate_groups(seed, evaluate):
  """Evaluate every random group in one padded batch, so that each function compiles once."""
  groups = list(tables.all_table_groups(seed, TABLES_PER_GROUP))
  padded = [tables.pad_tables(p0, g, *PADDED_SHAPE) for _, _, p0, g, _ in groups]
  p0 = jnp.array(np.concatenate([table for table, _ in padded]))
  g = jnp.array(np.concatenate([maps for _, maps in padded]))
  target = jnp.array(np.concatenate([group[4] for group in groups]))
  values = jax.device_get(evaluate(p0, g, target, jnp.array(tables.ALPHAS), jnp.array(tables.EPSILONS)))
  results, start = [], 0
  for size, kind, p0_group, g_group, target_group in groups:
    stop = start + p0_group.shape[0]
    group_values = {key: value[start:stop] for key, value in values.items()}
    group_values["margin"] = group_values.get("margin", np.zeros(0))[..., :size[0]]
    results.append((size, kind, p0_group, g_group, target_group, group_values))
    start = stop
  return results


@pytest.fixture(scope="module", params=cl.PLANT_STRATEGIES)
def plant_groups(request):
  with jax.enable_x64(True):
    evaluate = functools.partial(_plant_quantities, strategy=request.param)
    return request.param, _evaluate_groups(1, evaluate)


@pytest.fixture(scope="module")
def erase_groups():
  with jax.enable_x64(True):
    return _evaluate_groups(2, lambda p0, g, target, alphas, epsilons: _erase_quantities(
        p0, g, alphas, epsilons))


def test_padding_preserves_values(plant_groups, erase_groups):
  """The padded batch gives the same values as the tables in their own shape."""
  strategy, groups = plant_groups
  alphas, epsilons = jnp.array(tables.ALPHAS), jnp.array(tables.EPSILONS)
  for (size, _, p0, g, target, values), erased in zip(groups, erase_groups):
    if size != (5, 3):
      continue
    small = _plant_quantities(p0, g, target, alphas, epsilons, strategy)
    for key in ("exact", "worst", "greedy", "bound", "staircase"):
      np.testing.assert_allclose(small[key], values[key], atol=1e-15, err_msg=key)
    _, _, p0, g, _, erase_values = erased
    small = _erase_quantities(p0, g, alphas, epsilons)
    for key in ("exact", "bound"):
      np.testing.assert_allclose(small[key], erase_values[key], atol=1e-15, err_msg=f"erasure {key}")


# Random tables: every bound against the exact or worst-case value.


def test_plant_bound_at_most_exact(plant_groups):
  _, groups = plant_groups
  at_zero = np.array(tables.EPSILONS) == 0
  tried, violations, first = _count_violations(groups, "bound", "exact", at_zero)
  assert tried >= 1000
  assert violations == 0, first


def test_plant_bound_at_most_worst_case(plant_groups):
  _, groups = plant_groups
  tried, violations, first = _count_violations(groups, "bound", "worst")
  assert tried >= 1000
  assert violations == 0, first


def test_staircase_bound_at_most_worst_case(plant_groups):
  _, groups = plant_groups
  tried, violations, first = _count_violations(groups, "staircase", "worst")
  assert tried >= 1000
  assert violations == 0, first


def test_worst_case_at_most_exact(plant_groups):
  _, groups = plant_groups
  tried, violations, first = _count_violations(groups, "worst", "exact")
  assert tried >= 1000
  assert violations == 0, first


def test_worst_case_at_zero_epsilon_is_exact(plant_groups):
  _, groups = plant_groups
  for _, _, _, _, _, values in groups:
    np.testing.assert_allclose(values["worst"][:, :, 0], values["exact"][:, :, 0], atol=1e-12)


def test_staircase_at_zero_epsilon_is_exact(plant_groups):
  _, groups = plant_groups
  for _, _, _, _, _, values in groups:
    np.testing.assert_allclose(values["staircase"][:, :, 0], values["exact"][:, :, 0], atol=1e-12)


def test_worst_case_matches_subset_enumeration(plant_groups):
  _, groups = plant_groups
  checked = 0
  for _, _, p0, g, _, values in groups[::3]:
    for table in range(0, p0.shape[0], 4):
      mass = tables.signal_mass(p0[table], g[table])
      for alpha in range(len(tables.ALPHAS)):
        for epsilon_index, epsilon in enumerate(tables.EPSILONS):
          margins = values["margin"][table, alpha, epsilon_index]
          hit = margins > 0
          removable = hit & (mass > 0)
          removed = tables.subset_knapsack(mass[removable], margins[removable] / 2, epsilon)
          expected = max(mass[hit].sum() - removed, 0)
          assert values["worst"][table, alpha, epsilon_index] == pytest.approx(expected, abs=1e-12)
          checked += 1
  assert checked > 1000


def test_greedy_at_least_worst_case(plant_groups):
  _, groups = plant_groups
  tried, violations, first = _count_violations(groups, "worst", "greedy")
  assert tried >= 1000
  assert violations == 0, first


def test_worst_case_matches_every_classifier(plant_groups):
  """The knapsack model equals a search over every classifier within the TV budget."""
  strategy, groups = plant_groups
  checked = 0
  for size, _, p0, g, target, values in groups:
    if size not in tables.SMALL_SIZES:
      continue
    classifiers = tables.all_classifiers(*size)
    for table in range(0, p0.shape[0], 5):
      for alpha_index, alpha in enumerate(tables.ALPHAS):
        expected = tables.plant_worst_case_by_classifiers(
            p0[table], g[table], target[table], alpha, tables.EPSILONS, strategy, classifiers)
        np.testing.assert_allclose(values["worst"][table, alpha_index], expected, atol=1e-12)
        checked += len(tables.EPSILONS)
  assert checked > 1000


def test_erase_bound_at_most_exact(erase_groups):
  at_zero = np.array(tables.EPSILONS) == 0
  tried, violations, first = _count_violations(erase_groups, "bound", "exact", at_zero)
  assert tried >= 1000
  assert violations == 0, first


def test_erase_bound_at_most_worst_case():
  """ε > 0: the erasure bound against the worst case over every classifier (small tables)."""
  tried, violations, first = 0, 0, None
  for size, kind, p0, g, _ in tables.all_table_groups(4, 40, tables.SMALL_SIZES):
    classifiers = tables.all_classifiers(*size)
    bounds = np.asarray(_erase_quantities(
        jnp.array(p0), jnp.array(g), jnp.array(tables.ALPHAS), jnp.array(tables.EPSILONS))["bound"])
    for table in range(p0.shape[0]):
      tried += 1
      broken = False
      worst = tables.erasure_worst_case(p0[table], g[table], tables.ALPHAS, tables.EPSILONS, classifiers)
      broken_at = np.argwhere(bounds[table] > worst + tables.TOLERANCE)
      if len(broken_at):
        broken = True
        alpha_index, epsilon_index = broken_at[0]
        first = first or _describe(size, kind, p0[table], g[table], 0, tables.ALPHAS[alpha_index],
                                   tables.EPSILONS[epsilon_index], bounds[table, alpha_index, epsilon_index],
                                   worst[alpha_index, epsilon_index])
      violations += broken
  assert tried >= 1000
  assert violations == 0, first


def test_erase_success_at_most_classifier_search(erase_groups):
  """Point-by-point adversarial ties never credit more than a global choice of ties."""
  for size, _, p0, g, _, values in erase_groups:
    if size not in tables.SMALL_SIZES:
      continue
    classifiers = tables.all_classifiers(*size)
    for table in range(0, p0.shape[0], 5):
      worst = tables.erasure_worst_case(p0[table], g[table], tables.ALPHAS, [0.0], classifiers)
      assert np.all(values["exact"][table, :, 0] <= worst[:, 0] + tables.TOLERANCE)


# Jitted entry points for the hand-computed tables: one compiled program per function and shape.
plant_success = jax.jit(cl.plant_success, static_argnames="strategy")
plant_margin = jax.jit(cl.plant_margin, static_argnames="strategy")
plant_bound = jax.jit(cl.plant_bound, static_argnames="strategy")
staircase_plant_bound = jax.jit(cl.staircase_plant_bound, static_argnames="strategy")
worst_case_plant_success = jax.jit(cl.worst_case_plant_success, static_argnames=("strategy", "max_items"))
greedy_worst_case_plant_success = jax.jit(cl.greedy_worst_case_plant_success, static_argnames="strategy")
erase_success = jax.jit(cl.erase_success)
erase_bound = jax.jit(cl.erase_bound)
critical_mass = jax.jit(cl.critical_mass, static_argnames=("strategy", "source", "num_steps"))
signal_uniqueness = jax.jit(cl.signal_uniqueness)
signal_gap = jax.jit(cl.signal_gap)
target_fraction = jax.jit(cl.target_fraction)
signal_mass = jax.jit(cl.signal_mass)
erasure_labels = jax.jit(cl.erasure_labels)
erasure_gap = jax.jit(cl.erasure_gap)
erasure_unstable_mass = jax.jit(cl.erasure_unstable_mass)
erasure_amplification = jax.jit(cl.erasure_amplification)
finite_sample_plant_bound = jax.jit(cl.finite_sample_plant_bound)
target_margin = jax.jit(cl.target_margin)


# The forms that the tests refuted: on the random tables, and on their smallest counterexamples.


def test_uncorrected_forms_fail_on_random_tables(plant_groups, erase_groups):
  strategy, groups = plant_groups
  at_zero = np.array(tables.EPSILONS) == 0
  _, bound_failures, _ = _count_violations(groups, "uncorrected_bound", "worst")
  _, staircase_failures, _ = _count_violations(groups, "uncorrected_staircase", "worst")
  _, erase_failures, _ = _count_violations(erase_groups, "uncorrected_bound", "exact", at_zero)
  assert bound_failures > 0
  assert staircase_failures > 0
  assert erase_failures > 0




def test_epsilon_term_of_paper_fails_on_one_row():
  p0, g, alpha, epsilon = jnp.array([[0.5, 0.5]]), jnp.array([0]), 0.25, 0.15
  worst = worst_case_plant_success(p0, g, 0, alpha, epsilon)
  xi, delta = signal_uniqueness(p0, g), signal_gap(p0, g, 0)
  paper_form = 1 - (1 - alpha) / alpha * delta * xi - epsilon / (alpha * (1 - epsilon))
  assert float(worst) == 0.0
  assert float(paper_form) == pytest.approx(0.2941, abs=1e-4)
  assert float(plant_bound(p0, g, 0, alpha, epsilon)) <= float(worst)


def test_staircase_threshold_of_paper_fails_on_one_row():
  p0, g, alpha, epsilon = jnp.array([[0.5, 0.5]]), jnp.array([0]), 0.25, 0.15
  margins = plant_margin(p0, g, 0, alpha)
  paper_form = jnp.sum(jnp.where(margins > epsilon / (1 - epsilon), signal_mass(p0, g), 0))
  assert float(paper_form) == 1.0
  assert float(staircase_plant_bound(p0, g, 0, alpha, epsilon)) == 0.0
  assert float(worst_case_plant_success(p0, g, 0, alpha, epsilon)) == 0.0


def test_naive_feature_only_bound_fails_on_one_row():
  p0, g, alpha = jnp.array([[0.4, 0.6]]), jnp.array([0]), 0.5
  p = target_fraction(p0, 0)
  naive = 1 - (1 - alpha) / (alpha * p) * signal_gap(p0, g, 0) * signal_uniqueness(p0, g)
  assert float(naive) == pytest.approx(0.5)
  assert float(plant_success(p0, g, 0, alpha, "feature_only")) == 0.0
  assert float(plant_bound(p0, g, 0, alpha, 0.0, "feature_only")) == 0.0


def test_erase_bound_of_paper_fails_on_unseen_signal():
  p0, g, alpha = jnp.array([[1.0, 0.0], [0.0, 0.0]]), jnp.array([1, 1]), 0.5
  paper_form = 1 - (1 - alpha) / alpha * erasure_gap(p0, g)
  assert float(paper_form) == 1.0
  assert float(erase_success(p0, g, alpha)) == 0.0
  assert float(erasure_unstable_mass(p0, g)) == 1.0
  assert float(erase_bound(p0, g, alpha)) == 0.0


def test_smaller_tables_cannot_break_a_bound():
  """A 1 × 1 table has no rival label, so every classifier plants and erases with success 1."""
  p0, g = jnp.array([[1.0]]), jnp.array([0])
  for alpha in (0.0, 0.3):
    assert float(worst_case_plant_success(p0, g, 0, alpha, 0.4)) == 1.0
    assert float(erase_success(p0, g, alpha)) == 1.0


def test_greedy_misses_worst_case_on_two_rows():
  p0, g, alpha, epsilon = jnp.array([[0.02, 0.08], [0.8, 0.1]]), jnp.array([0, 1]), 0.5, 0.405
  greedy = greedy_worst_case_plant_success(p0, g, 0, alpha, epsilon)
  worst = worst_case_plant_success(p0, g, 0, alpha, epsilon)
  assert float(greedy) == pytest.approx(0.9)
  assert float(worst) == pytest.approx(0.1)


def test_linear_relaxation_below_worst_case(plant_groups):
  """The LP relaxation of the knapsack (fractional flips) lower-bounds the worst case."""
  _, groups = plant_groups
  alpha_index, epsilon_index = tables.ALPHAS.index(0.1), 2
  checked = 0
  for _, _, p0, g, _, values in groups:
    for table in range(0, p0.shape[0], 4):
      mass = tables.signal_mass(p0[table], g[table])
      margins = values["margin"][table, alpha_index, epsilon_index]
      hit = margins > 0
      items = hit & (mass > 0)
      if not items.any():
        continue
      relaxed = optimize.linprog(-mass[items], A_ub=[margins[items] / 2],
                                 b_ub=[tables.EPSILONS[epsilon_index]], bounds=(0, 1),
                                 method="highs")
      worst = values["worst"][table, alpha_index, epsilon_index]
      assert mass[hit].sum() + relaxed.fun <= worst + 1e-9
      checked += 1
  assert checked > 200


def test_worst_case_flags_too_many_items():
  p0 = jnp.full((6, 2), 1 / 12)
  value = worst_case_plant_success(p0, jnp.arange(6), 0, 0.5, 0.01, max_items=4)
  assert bool(jnp.isnan(value))


# Hand-computed tables.

# 2 × 2: both rows map to row 1; P0(row 1) = ξ = 0.5 with P0(y|1) = (0.4, 0.6), so Δ = 0.2.
TABLE_2X2 = np.array([[0.4, 0.1], [0.2, 0.3]])
SIGNAL_2X2 = np.array([1, 1])
# 3 × 3 unique signal: rows 0 and 1 map to row 2, which has no clean mass (ξ = 0).
TABLE_3X3 = np.array([[0.3, 0.1, 0.1], [0.1, 0.2, 0.2], [0.0, 0.0, 0.0]])
SIGNAL_3X3 = np.array([2, 2, 2])
# 3 × 3 idempotent erasure: rows 1 and 2 are fixed points and row 0 maps to row 2.
ERASE_3X3 = np.array([[0.20, 0.05, 0.05], [0.10, 0.15, 0.05], [0.05, 0.05, 0.30]])
ERASE_SIGNAL_3X3 = np.array([2, 1, 2])


def test_quantities_2x2():
  assert float(signal_uniqueness(TABLE_2X2, SIGNAL_2X2)) == pytest.approx(0.5)
  assert float(signal_gap(TABLE_2X2, SIGNAL_2X2, 0)) == pytest.approx(0.2)
  assert float(target_fraction(TABLE_2X2, 0)) == pytest.approx(0.4)
  np.testing.assert_allclose(signal_mass(TABLE_2X2, SIGNAL_2X2), [0.0, 1.0])


def test_plant_success_2x2():
  # Row 1 is hit when α + 0.2(1 − α) > 0.3(1 − α), that is α > 1/11.
  assert float(plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.09)) == 0.0
  assert float(plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.1)) == 1.0
  # Feature-only: members move 0.6 of y* mass to row 1; hit when 0.2 + 0.4α > 0.3, α > 1/4.
  assert float(plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.24, "feature_only")) == 0.0
  assert float(plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.26, "feature_only")) == 1.0


def test_worst_case_2x2():
  # At α = 0.1 the margin is 0.1 + 0.18 − 0.27 = 0.01, so flipping row 1 costs 0.005.
  assert float(plant_margin(TABLE_2X2, SIGNAL_2X2, 0, 0.1)[1]) == pytest.approx(0.01)
  assert float(worst_case_plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.1, 0.004)) == 1.0
  assert float(worst_case_plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.1, 0.006)) == 0.0
  assert float(greedy_worst_case_plant_success(TABLE_2X2, SIGNAL_2X2, 0, 0.1, 0.006)) == 0.0
  # The staircase bound keeps row 1 only while its margin 0.01 exceeds 2ε.
  assert float(staircase_plant_bound(TABLE_2X2, SIGNAL_2X2, 0, 0.1, 0.004)) == 1.0
  assert float(staircase_plant_bound(TABLE_2X2, SIGNAL_2X2, 0, 0.1, 0.006)) == 0.0


def test_bounds_2x2():
  assert float(plant_bound(TABLE_2X2, SIGNAL_2X2, 0, 0.5)) == pytest.approx(0.9)
  assert float(plant_bound(TABLE_2X2, SIGNAL_2X2, 0, 0.1)) == pytest.approx(0.1)
  assert float(plant_bound(TABLE_2X2, SIGNAL_2X2, 0, 0.5, 0.01)) == pytest.approx(0.86)
  # Feature-only at α = 1: 1 − (0.2·0.5 + 1·0.2)/(1·0.4) = 0.25.
  assert float(plant_bound(TABLE_2X2, SIGNAL_2X2, 0, 1.0, 0.0, "feature_only")) == pytest.approx(0.25)


def test_erasure_2x2():
  # y_g = 1 for both rows; row 0 turns to label 1 when 0.1 + 0.4α > 0.4(1 − α), α > 3/8.
  np.testing.assert_array_equal(erasure_labels(TABLE_2X2, SIGNAL_2X2), [1, 1])
  assert float(erase_success(TABLE_2X2, SIGNAL_2X2, 0.37)) == pytest.approx(0.5)
  assert float(erase_success(TABLE_2X2, SIGNAL_2X2, 0.38)) == pytest.approx(1.0)
  assert float(erasure_gap(TABLE_2X2, SIGNAL_2X2)) == pytest.approx(0.3)
  assert float(erasure_unstable_mass(TABLE_2X2, SIGNAL_2X2)) == 0.0
  assert float(erasure_amplification(TABLE_2X2, SIGNAL_2X2)) == pytest.approx(2.0)
  assert float(erase_bound(TABLE_2X2, SIGNAL_2X2, 0.5)) == pytest.approx(0.7)
  assert float(erase_bound(TABLE_2X2, SIGNAL_2X2, 0.5, 0.01)) == pytest.approx(0.62)


def test_critical_mass_2x2():
  exact = critical_mass(TABLE_2X2, SIGNAL_2X2, 0.5, 0)
  assert float(exact) == pytest.approx(1 / 11, abs=1e-12)
  bound = critical_mass(TABLE_2X2, SIGNAL_2X2, 0.5, 0, source="bound")
  assert float(bound) == pytest.approx(1 / 6)
  feature_only = critical_mass(TABLE_2X2, SIGNAL_2X2, 0.5, 0, strategy="feature_only")
  assert float(feature_only) == pytest.approx(0.25, abs=1e-12)
  erasure = critical_mass(TABLE_2X2, SIGNAL_2X2, 0.9, strategy="erasure")
  assert float(erasure) == pytest.approx(0.375, abs=1e-12)
  erasure_bound = critical_mass(TABLE_2X2, SIGNAL_2X2, 0.9, strategy="erasure", source="bound")
  assert float(erasure_bound) == pytest.approx(0.75)


def test_plant_3x3_unique_signal():
  assert float(signal_uniqueness(TABLE_3X3, SIGNAL_3X3)) == 0.0
  assert float(signal_gap(TABLE_3X3, SIGNAL_3X3, 1)) == 0.0
  assert float(plant_success(TABLE_3X3, SIGNAL_3X3, 1, 0.0)) == 0.0
  assert float(plant_success(TABLE_3X3, SIGNAL_3X3, 1, 1e-6)) == 1.0
  assert float(plant_success(TABLE_3X3, SIGNAL_3X3, 1, 1e-6, "feature_only")) == 1.0
  # The margin at the signal row is α, so an ε-suboptimal learner flips it once ε ≥ α/2.
  assert float(worst_case_plant_success(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.04)) == 1.0
  assert float(worst_case_plant_success(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.06)) == 0.0
  assert float(greedy_worst_case_plant_success(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.04)) == 1.0
  assert float(greedy_worst_case_plant_success(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.06)) == 0.0
  assert float(plant_bound(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.04)) == pytest.approx(0.2)
  assert float(plant_bound(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.06)) == 0.0
  assert float(staircase_plant_bound(TABLE_3X3, SIGNAL_3X3, 1, 0.1, 0.04)) == 1.0
  # Feature-only: p = min(0.1/0.5, 0.2/0.5) = 0.2 and ξ = 0, so the bound is 1 − 2ε/(0.2α).
  assert float(plant_bound(TABLE_3X3, SIGNAL_3X3, 1, 0.5, 0.01, "feature_only")) == pytest.approx(0.8)


def test_critical_mass_3x3_unique_signal():
  assert float(critical_mass(TABLE_3X3, SIGNAL_3X3, 0.9, 1)) < 1e-15
  worst = critical_mass(TABLE_3X3, SIGNAL_3X3, 0.9, 1, source="worst_case", epsilon=0.01)
  assert float(worst) == pytest.approx(0.02, abs=1e-12)
  bound = critical_mass(TABLE_3X3, SIGNAL_3X3, 0.9, 1, source="bound", epsilon=0.01)
  assert float(bound) == pytest.approx(0.2)


def test_erasure_3x3():
  np.testing.assert_array_equal(erasure_labels(ERASE_3X3, ERASE_SIGNAL_3X3), [2, 1, 2])
  # Row 0 turns to label 2 when 0.05 + 0.25α > 0.2(1 − α), that is α > 1/3.
  assert float(erase_success(ERASE_3X3, ERASE_SIGNAL_3X3, 0.33)) == pytest.approx(0.7)
  assert float(erase_success(ERASE_3X3, ERASE_SIGNAL_3X3, 0.34)) == pytest.approx(1.0)
  assert float(erasure_gap(ERASE_3X3, ERASE_SIGNAL_3X3)) == pytest.approx(0.15)
  assert float(erasure_amplification(ERASE_3X3, ERASE_SIGNAL_3X3)) == pytest.approx(1.75)
  assert float(erase_bound(ERASE_3X3, ERASE_SIGNAL_3X3, 0.5)) == pytest.approx(0.85)
  assert float(erase_bound(ERASE_3X3, ERASE_SIGNAL_3X3, 0.5, 0.01)) == pytest.approx(0.78)
  exact = critical_mass(ERASE_3X3, ERASE_SIGNAL_3X3, 0.9, strategy="erasure")
  assert float(exact) == pytest.approx(1 / 3, abs=1e-12)
  bound = critical_mass(ERASE_3X3, ERASE_SIGNAL_3X3, 0.9, strategy="erasure", source="bound")
  assert float(bound) == pytest.approx(0.6)


# Critical mass on random tables.


def _threshold_critical_mass(p0, g, target, level):
  """The feature-label critical mass from the per-row thresholds α > Δ_x/(Pg(x) + Δ_x)."""
  mass = tables.signal_mass(p0, g)
  rivals = np.delete(p0, target, axis=1).max(axis=1)
  gap = rivals - p0[:, target]
  with np.errstate(divide="ignore", invalid="ignore"):
    threshold = np.where(gap >= 0, gap / (mass + gap), 0.0)
  rows = np.flatnonzero(mass > 0)
  order = rows[np.argsort(threshold[rows], kind="stable")]
  reached = np.cumsum(mass[order]) >= level - 1e-15
  return threshold[order][np.argmax(reached)] if reached.any() else np.inf


def test_bisection_matches_thresholds():
  solve = jax.jit(jax.vmap(lambda p0, g, t: critical_mass(p0, g, 0.75, t)))
  for _, kind, p0, g, target in tables.all_table_groups(7, 30, CRITICAL_MASS_SIZES):
    if kind == "ties":
      continue  # thresholds equal to 0 with zero gaps make the infimum sit on a tie
    found = np.asarray(solve(jnp.array(p0), jnp.array(g), jnp.array(target)))
    for table in range(p0.shape[0]):
      expected = _threshold_critical_mass(p0[table], g[table], target[table], 0.75)
      if np.isinf(expected):
        assert np.isinf(found[table])
      else:
        assert found[table] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("strategy", cl.CRITICAL_MASS_STRATEGIES)
def test_closed_form_critical_mass_matches_bisection(strategy):
  def both(p0, g, target):
    closed = critical_mass(p0, g, 0.8, target, strategy=strategy, epsilon=0.002, source="bound")
    if strategy == "erasure":
      bound = lambda alpha: erase_bound(p0, g, alpha, 0.002)
    else:
      bound = lambda alpha: plant_bound(p0, g, target, alpha, 0.002, strategy)
    return closed, cl.bisect_critical_mass(bound, 0.8)

  solve = jax.jit(jax.vmap(both))
  for _, _, p0, g, target in tables.all_table_groups(8, 30, CRITICAL_MASS_SIZES):
    closed, bisected = solve(jnp.array(p0), jnp.array(g), jnp.array(target))
    finite = np.isfinite(np.asarray(bisected))
    np.testing.assert_array_equal(np.isfinite(np.asarray(closed)), finite)
    np.testing.assert_allclose(np.asarray(closed)[finite], np.asarray(bisected)[finite], atol=1e-12)


def test_bound_critical_mass_at_least_exact():
  def both(p0, g, target):
    return (critical_mass(p0, g, 0.9, target, source="bound"),
            critical_mass(p0, g, 0.9, target))

  solve = jax.jit(jax.vmap(both))
  for _, _, p0, g, target in tables.all_table_groups(9, 30, CRITICAL_MASS_SIZES):
    bound, exact = solve(jnp.array(p0), jnp.array(g), jnp.array(target))
    assert np.all(np.asarray(bound) >= np.asarray(exact) - 1e-12)


def test_critical_mass_rejects_unknown_names():
  with pytest.raises(ValueError, match="strategy='feature'"):
    critical_mass(TABLE_2X2, SIGNAL_2X2, 0.5, strategy="feature")
  with pytest.raises(ValueError, match="source='simulation'"):
    critical_mass(TABLE_2X2, SIGNAL_2X2, 0.5, source="simulation")


# The finite-sample bound.


def test_finite_sample_bound_by_hand():
  # One unseen signal row (K = 1), Y = 2, n = N − n = 5,000, δ = 0.05, so δ' = 0.01.
  counts = jnp.array([[2500.0, 2500.0], [0.0, 0.0]])
  bound = finite_sample_plant_bound(counts, jnp.array([1, 1]), 0, 10_000, 0.0, 0.05)
  radius = np.sqrt(np.log(100) / 10_000)
  margin = 0.5 - 0.5 * (4 * radius)
  assert margin > 0
  expected = 1 - np.sqrt((np.log(2) + np.log(100)) / 10_000)
  assert float(bound) == pytest.approx(expected)


def test_finite_sample_bound_by_hand_3x3():
  # One unseen signal row (K = 1), Y = 3, δ = 0.07, so δ' = 0.07/(2·1·3 + 1) = 0.01 again.
  counts = jnp.array([[1500.0, 500.0, 500.0], [500.0, 1000.0, 1000.0], [0.0, 0.0, 0.0]])
  bound = finite_sample_plant_bound(counts, jnp.array([2, 2, 2]), 1, 10_000, 0.0, 0.07)
  expected = 1 - np.sqrt((np.log(2) + np.log(100)) / 10_000)
  assert float(bound) == pytest.approx(expected)
  # With ε = 0.25 the margin bound 0.5 − 0.5·4·R(5,000) ≈ 0.457 is below 2ε, so A is empty.
  assert float(finite_sample_plant_bound(counts, jnp.array([2, 2, 2]), 1, 10_000, 0.25, 0.07)) == 0.0


def test_finite_sample_bound_tends_to_staircase():
  p0 = jnp.array([[0.3, 0.2], [0.1, 0.1], [0.05, 0.1], [0.01, 0.14]])
  g = jnp.array([2, 3, 2, 3])
  n, num_train = 10**12, 4 * 10**12
  bound = finite_sample_plant_bound(p0 * n, g, 0, num_train, 0.001, 0.05)
  staircase = staircase_plant_bound(p0, g, 0, 0.25, 0.001)
  assert float(staircase) == pytest.approx(0.65)  # row 2 is planted, row 3 is not
  assert float(bound) == pytest.approx(float(staircase), abs=1e-4)


def test_finite_sample_bound_covers_worst_case():
  """Over 300 simulated training sets the bound exceeds the worst-case success at most δ·300 times.

  The margin of signal row 3 is 0.005, just above 2ε = 0.004, so sampling noise flips it in
  some training sets and the worst case is not always 1.
  """
  p0 = np.array([[0.25, 0.15], [0.2, 0.1], [0.02, 0.05], [0.03, 0.2]])
  g = np.array([2, 3, 2, 3])
  target, n, num_train, epsilon, delta, trials = 0, 3000, 12_000, 0.002, 0.1, 300
  rng = np.random.default_rng(10)
  member_counts = rng.multinomial(n, p0.ravel(), trials).reshape(trials, 4, 2).astype(float)
  other_counts = rng.multinomial(num_train - n, p0.ravel(), trials).reshape(trials, 4, 2)
  reports = np.zeros_like(member_counts)
  for trial in range(trials):
    np.add.at(reports[trial, :, target], g, member_counts[trial].sum(axis=1))
  training_table = (reports + other_counts) / num_train
  values = tables.signal_mass(p0, g)

  def bound_and_worst(members, table):
    bound = finite_sample_plant_bound(members, jnp.array(g), target, num_train, epsilon, delta)
    margins = target_margin(table, target)
    return bound, cl.worst_case_success_from_margins(jnp.array(values), margins, epsilon)

  bounds, worst = jax.jit(jax.vmap(bound_and_worst))(jnp.array(member_counts), jnp.array(training_table))
  bounds, worst = np.asarray(bounds), np.asarray(worst)
  assert np.mean(bounds > 0.3) > 0.9  # the bound is informative, not 0
  assert 0 < np.mean(worst < 1) < 1
  assert np.sum(bounds > worst + tables.TOLERANCE) <= delta * trials
