"""Exact success, worst case, closed-form bounds and critical mass for planting or erasing a signal.

A finite data universe is a joint probability table `p0: float[X, Y]` (row x, column y, entries
summing to 1) and a signal is an index map `g: int[X]` with values in [0, X): row g[x] is the
transformed point g(x). The collective is a fraction α of the population. Its members report
h(x, y) instead of (x, y), so the firm trains on the mixture P = α·P* + (1 − α)·P0, where P* is
the law of h(z) for z ~ P0.

Notation used in the docstrings:
  P0(x) = Σ_y p0[x, y]                    row mass
  X* = {g(x) : x ∈ X}                     signal set
  Pg(x') = P0{x : g(x) = x'}              law of the transformed test point g(x), x ~ P0
  ξ = P0(X*)                              signal uniqueness (0 for a signal never seen in P0)
  Δ = max_{x' ∈ X*} [max_y P0(y|x') − P0(y*|x')]
  m(x') = P(x', y*) − max_{y ≠ y*} P(x', y)   the target margin of the mixture at x'

Ties count against the collective: f(x') = y* only when P(x', y*) is strictly larger than every
other P(x', y). An ε-suboptimal classifier is the Bayes classifier of some table P̃
with TV(P̃, P) = ½·Σ|P̃ − P| ≤ ε. Turning the prediction at x' away from y* needs an L1 change of
m(x') in row x', which moving m(x')/2 of mass from (x', y*) to the strongest rival achieves at a
TV cost of m(x')/2. That is why ε enters every bound below as 2ε.

Every function is written in jax.numpy, runs under `jax.jit`, and can be vmapped over α (and ε).
String arguments (`strategy`, `source`) and `max_items` are static. The functions compute in the
dtype of `p0`. Enable float64 (`jax.enable_x64(True)`) to compare a bound with the exact value,
because float32 rounding alone can flip such a comparison.
"""

import math

import jax
import jax.numpy as jnp

PLANT_STRATEGIES = ("feature_label", "feature_only")
CRITICAL_MASS_STRATEGIES = PLANT_STRATEGIES + ("erasure",)
CRITICAL_MASS_SOURCES = ("exact", "worst_case", "bound")


def _check_choice(name, value, choices):
  if value not in choices:
    raise ValueError(f"{name}={value!r} is not supported; use one of {', '.join(choices)}.")


# Quantities of the table and the signal.


def row_mass(p0):
  """Return P0(x) = Σ_y p0[x, y] as float[X]."""
  return p0.sum(axis=1)


def signal_set(g):
  """Return bool[X] marking the rows of the signal set X* = {g(x) : x ∈ X}."""
  return jnp.zeros(g.shape[0], dtype=bool).at[g].set(True)


def signal_mass(p0, g):
  """Return Pg(x') = P0{x : g(x) = x'} as float[X], the law of g(x) for x ~ P0."""
  return jax.ops.segment_sum(row_mass(p0), g, num_segments=p0.shape[0])


def _conditional(p0):
  """P0(y | x) as float[X, Y], with rows of zero mass set to 0 because they carry no weight."""
  mass = row_mass(p0)[:, None]
  return jnp.where(mass > 0, p0 / jnp.where(mass > 0, mass, 1), 0)


def signal_uniqueness(p0, g):
  """Return ξ = P0(X*), the clean mass that already lies in the signal set."""
  return jnp.sum(jnp.where(signal_set(g), row_mass(p0), 0))


def signal_gap(p0, g, target):
  """Return Δ = max_{x' ∈ X*} [max_y P0(y|x') − P0(y*|x')] ≥ 0 (0 when ξ = 0)."""
  conditional = _conditional(p0)
  gap = conditional.max(axis=1) - conditional[:, target]
  return jnp.max(jnp.where(signal_set(g), gap, 0))


def target_fraction(p0, target):
  """Return p = min_{x : P0(x) > 0} P0(y*|x), the smallest share of members who carry label y*.

  Under the feature-only strategy only members whose label is y* plant the signal.
  """
  mass = row_mass(p0)
  return jnp.min(jnp.where(mass > 0, _conditional(p0)[:, target], 1))


def rival_max(table, target):
  """Return max_{y ≠ y*} table[x, y] as float[X] (−inf when Y = 1)."""
  is_target = jnp.arange(table.shape[1]) == target
  return jnp.max(jnp.where(is_target[None, :], -jnp.inf, table), axis=1)


def target_margin(table, target):
  """Return m(x) = table[x, y*] − max_{y ≠ y*} table[x, y] as float[X]."""
  return table[:, target] - rival_max(table, target)


# Planting a signal.


def planted_distribution(p0, g, target, strategy="feature_label"):
  """Return P*: float[X, Y], the law of the members' reports h(x, y) for (x, y) ~ P0.

  feature_label: h(x, y) = (g(x), y*), so P*(x', y) = 1[y = y*]·Pg(x').
  feature_only:  h(x, y) = (g(x), y) if y = y*, else (x, y), so
                 P*(x', y*) = Σ_{x : g(x) = x'} P0(x, y*) and P*(x', y) = P0(x', y) for y ≠ y*.
  """
  _check_choice("strategy", strategy, PLANT_STRATEGIES)
  p0 = jnp.asarray(p0)
  num_rows = p0.shape[0]
  if strategy == "feature_label":
    return jnp.zeros_like(p0).at[:, target].set(signal_mass(p0, g))
  moved = jax.ops.segment_sum(p0[:, target], g, num_segments=num_rows)
  return p0.at[:, target].set(moved)


def mixture(p0, g, target, alpha, strategy="feature_label"):
  """Return the firm's training distribution P = α·P* + (1 − α)·P0 as float[X, Y]."""
  return alpha * planted_distribution(p0, g, target, strategy) + (1 - alpha) * p0


def plant_margin(p0, g, target, alpha, strategy="feature_label"):
  """Return the mixture's target margin m(x') = P(x', y*) − max_{y ≠ y*} P(x', y) as float[X]."""
  return target_margin(mixture(p0, g, target, alpha, strategy), target)


def plant_success(p0, g, target, alpha, strategy="feature_label"):
  """Return the exact success S(α) = Σ_x P0(x)·1[f(g(x)) = y*] of the Bayes classifier f of P.

  Args:
    p0: float[X, Y] joint table of the clean data, summing to 1.
    g: int[X] signal map; g[x] is the row of g(x).
    target: the target label y*.
    alpha: the collective's fraction α ∈ [0, 1].
    strategy: "feature_label" or "feature_only".

  Returns:
    A scalar in [0, 1]: Σ_{x'} Pg(x')·1[m(x') > 0], since ties count against the collective.
  """
  hit = plant_margin(p0, g, target, alpha, strategy) > 0
  return jnp.sum(jnp.where(hit, signal_mass(p0, g), 0))


def worst_case_success_from_margins(values, margins, epsilon, max_items=24):
  """Return min over ε-suboptimal classifiers of Σ_{x'} values[x']·1[f(x') = y*].

  A classifier with TV budget ε can turn any set B of rows with positive margin away from y*
  as long as Σ_{x' ∈ B} m(x')/2 ≤ ε, and no cheaper way exists (see the module docstring), so
  the worst case is a 0/1 knapsack: remove the most value with total cost m/2 within ε. It is
  solved exactly by meet in the middle over the `max_items` most valuable rows with positive
  margin and value.

  Args:
    values: float[X] weight of each row in the success, Pg(x') for planting.
    margins: float[X] target margins m(x'); rows with m ≤ 0 already count as misses.
    epsilon: TV budget ε ≥ 0.
    max_items: static bound on the knapsack size; the cost is 2·2^(max_items/2) subset sums.

  Returns:
    The worst-case success, or NaN when more than `max_items` rows could be flipped, because
    the result would then not be exact.
  """
  hit = margins > 0
  success = jnp.sum(jnp.where(hit, values, 0))
  candidate = hit & (values > 0)
  costs = jnp.where(candidate, margins / 2, jnp.inf)
  item_values = jnp.where(candidate, values, 0)
  removed, exact = _max_knapsack_value(item_values, costs, epsilon, max_items)
  worst = jnp.maximum(success - removed, 0)
  return jnp.where(exact, worst, jnp.nan)


def _subset_sums(items):
  """Return the sums over all 2^n subsets of `items: float[n]`, in binary-counter order."""
  sums = jnp.zeros((1,), items.dtype)
  for index in range(items.shape[0]):
    sums = jnp.concatenate([sums, sums + items[index]])
  return sums


def _max_knapsack_value(values, costs, budget, max_items):
  """Return (max Σ_B values subject to Σ_B costs ≤ budget, whether that maximum is exact).

  Rows with infinite cost are never chosen. The search keeps the `max_items` most valuable
  finite-cost rows, splits them into two halves and enumerates each half's subsets. Sorting
  the second half by cost, with a running maximum of value, finds for every subset of the
  first half the best affordable partner: Horowitz and Sahni's meet in the middle.
  """
  num_rows = values.shape[0]
  num_items = min(num_rows, max_items)
  finite = jnp.isfinite(costs)
  key = jnp.where(finite, values, -1.0)
  top_key, top_index = jax.lax.top_k(key, num_items)
  item_values = jnp.where(top_key >= 0, values[top_index], 0)
  item_costs = jnp.where(top_key >= 0, costs[top_index], jnp.inf)
  exact = jnp.sum(finite) <= num_items

  half = num_items // 2
  first_values = _subset_sums(item_values[:half])
  first_costs = _subset_sums(item_costs[:half])
  second_values = _subset_sums(item_values[half:])
  second_costs = _subset_sums(item_costs[half:])

  order = jnp.argsort(second_costs)
  sorted_costs = second_costs[order]
  best_second = jax.lax.cummax(second_values[order])
  affordable = jnp.searchsorted(sorted_costs, budget - first_costs, side="right")
  best_pair = jnp.where(
      affordable > 0, first_values + best_second[jnp.maximum(affordable - 1, 0)], -jnp.inf)
  return jnp.maximum(jnp.max(best_pair), 0), exact


def worst_case_plant_success(p0, g, target, alpha, epsilon, strategy="feature_label",
                             max_items=24):
  """Return the minimum success over all ε-suboptimal classifiers of the mixture P.

  S_ε(α) = S(α) − max{Pg(B) : B ⊆ {m > 0}, Σ_{x' ∈ B} m(x')/2 ≤ ε}, computed exactly as a
  0/1 knapsack (`worst_case_success_from_margins`). NaN when more than `max_items` signal rows
  have positive margin.
  """
  margins = plant_margin(p0, g, target, alpha, strategy)
  return worst_case_success_from_margins(signal_mass(p0, g), margins, epsilon, max_items)


def greedy_worst_case_plant_success(p0, g, target, alpha, epsilon, strategy="feature_label"):
  """Return the success left by the greedy attack: flip rows by Pg(x')/(m(x')/2), best first.

  Rows that no longer fit the budget are skipped. The greedy attack is one ε-suboptimal
  classifier, so its success is an upper bound on `worst_case_plant_success`, and it can be
  strictly larger because the knapsack is 0/1.
  """
  values = signal_mass(p0, g)
  margins = plant_margin(p0, g, target, alpha, strategy)
  hit = margins > 0
  candidate = hit & (values > 0)
  costs = jnp.where(candidate, margins / 2, jnp.inf)
  ratio = jnp.where(candidate, values / jnp.where(candidate, costs, 1), -1.0)
  order = jnp.argsort(-ratio)

  def take(spent, row):
    fits = candidate[row] & (spent + costs[row] <= epsilon)
    return spent + jnp.where(fits, costs[row], 0), jnp.where(fits, values[row], 0)

  _, removed = jax.lax.scan(take, jnp.zeros((), p0.dtype), order)
  success = jnp.sum(jnp.where(hit, values, 0))
  return jnp.maximum(success - removed.sum(), 0)


def plant_bound(p0, g, target, alpha, epsilon=0.0, strategy="feature_label"):
  """Return the closed-form lower bound on the worst-case success S_ε(α), clipped to [0, 1].

  feature_label:
      S_ε(α) ≥ 1 − [(1 − α)·Δ·ξ + 2ε] / α.
    A missed or flipped x' ∈ X* has α·Pg(x') ≤ (1 − α)·(max_{y≠y*} P0(x', y) − P0(x', y*)) + c(x')
    ≤ (1 − α)·Δ·P0(x') + c(x'), where c is the L1 change spent on row x' (Σc ≤ 2ε). Summing
    over the missed set gives the bound. At ε = 0 this is the derived form 1 − ((1 − α)/α)·Δ·ξ.
    The term −ε/(α(1 − ε)) suggested for ε > 0 is too small: with p0 = [[½, ½]], g = [0],
    y* = 0, α = ¼, ε = 0.15 it gives 0.29 while the worst case is 0.

  feature_only:
      S_ε(α) ≥ 1 − [Δ·ξ + α·ξ_{y*} + 2ε] / (α·p),   ξ_{y*} = P0(X* × {y*}),  p = min_x P0(y*|x).
    A member at x carries y* with probability P0(y*|x) ≥ p, so the planted mass
    Q(x') = Σ_{g(x)=x'} P0(x, y*) is at least p·Pg(x'). Rivals keep their full mass, and members
    at a signal point who move away take α·P0(x', y*) with them. A missed or flipped x' has α·Q(x') ≤ (r − s) + α·s + c with
    r = max_{y≠y*} P0(x', y), s = P0(x', y*), and r − s ≤ Δ·P0(x'). The naive transfer
    1 − ((1 − α)/(α·p))·Δ·ξ fails: with p0 = [[0.4, 0.6]], g = [0], y* = 0 no member's report
    changes, the success is 0 for every α, and that form gives 0.5 at α = ½.
  """
  _check_choice("strategy", strategy, PLANT_STRATEGIES)
  xi = signal_uniqueness(p0, g)
  delta = signal_gap(p0, g, target)
  safe_alpha = jnp.where(alpha > 0, alpha, 1)
  if strategy == "feature_label":
    bound = 1 - ((1 - alpha) * delta * xi + 2 * epsilon) / safe_alpha
  else:
    p = target_fraction(p0, target)
    xi_target = jnp.sum(jnp.where(signal_set(g), p0[:, target], 0))
    strength = safe_alpha * p
    bound = jnp.where(
        strength > 0,
        1 - (delta * xi + alpha * xi_target + 2 * epsilon) / jnp.where(strength > 0, strength, 1),
        0)
  return jnp.where(alpha > 0, jnp.clip(bound, 0, 1), 0)


def staircase_plant_bound(p0, g, target, alpha, epsilon=0.0, strategy="feature_label"):
  """Return the staircase bound Pg{x' : m(x') > 2ε} ≤ S_ε(α).

  No ε-suboptimal classifier can flip a row whose margin exceeds 2ε. For feature_label,
  m(x') = α·Pg(x') − (1 − α)·Δ_{x'} with the per-point gap Δ_{x'} = max_{y≠y*} P0(x', y) −
  P0(x', y*), so this is the infinite-data limit of `finite_sample_plant_bound`; at ε = 0 it
  equals the exact success. Gauthier, Bach and Jordan (2025) use the threshold ε/(1 − ε). It is
  below 2ε for ε < ½ and fails under the TV definition used here, on the same 1 × 2 table as
  in `plant_bound`.
  """
  margins = plant_margin(p0, g, target, alpha, strategy)
  return jnp.sum(jnp.where(margins > 2 * epsilon, signal_mass(p0, g), 0))


# Finite-sample bound from the collective's own data.


def count_table(rows, labels, num_rows, num_labels):
  """Return the counts table float[num_rows, num_labels] of samples (rows[i], labels[i])."""
  counts = jnp.zeros((num_rows, num_labels))
  return counts.at[rows, labels].add(1.0)


def finite_sample_plant_bound(member_counts, g, target, num_train, epsilon, delta):
  """Return a lower bound on the feature-label success that holds with probability ≥ 1 − δ.

  The form follows Gauthier, Bach and Jordan (2025, Algorithm 1): the collective pools its
  own n samples, knows the training-set size N, and plugs empirical quantities with Hoeffding
  radii R(k) = sqrt(log(1/δ')/(2k)) into the staircase bound. The version here is derived
  for this module's setting:

  * The firm trains on N points: the n members' reports (g(x), y*) and N − n non-members, all
    drawn i.i.d. from P0, and is ε-suboptimal for the empirical training table P̂_N.
  * Success is the population S = P0{x : f(g(x)) = y*}.
  * The empirical margin at x' ∈ X* is m̂(x') = (n/N)·P̂g(x') − ((N − n)/N)·Δ̂'_{x'}, where P̂g
    is the members' share with g(x) = x' (known to them exactly, since their reports are
    training points) and Δ̂'_{x'} is the gap max_{y≠y*} − (y*) in the non-members' table.
  * Two one-sided Hoeffding events per cell of X* × Y, one for each sample, give
    Δ̂'_{x'} ≤ Δ̂_{x'} + 2R(n) + 2R(N − n), where Δ̂_{x'} is the gap in the members' own table.
    So every x' in A = {x' : (n/N)·P̂g(x') − ((N − n)/N)·(Δ̂_{x'} + 2R(n) + 2R(N − n)) > 2ε}
    has m̂(x') > 2ε and is predicted y* by every ε-suboptimal classifier.
  * A depends on the members' sample, so Pg(A) ≥ P̂g(A) − sqrt((K·log 2 + log(1/δ'))/(2n))
    comes from Hoeffding's inequality with a union bound over all 2^K subsets of X* (K = |X*|).
  * A union bound over all 2K·|Y| + 1 events sets δ' = δ/(2K·|Y| + 1).

  The result is L = P̂g(A) − sqrt((K·log 2 + log(1/δ'))/(2n)), clipped below at 0. As n and N
  grow with n/N = α it tends to `staircase_plant_bound` (feature_label); Gauthier et al.'s
  threshold ε/(1 − ε) is replaced by 2ε for the reason given there.

  Args:
    member_counts: float[X, Y] counts of the members' true (x, y), summing to n ≥ 1.
    g: int[X] signal map.
    target: the target label y*.
    num_train: N, the size of the firm's training set (N ≥ n).
    epsilon: TV suboptimality ε of the firm's classifier.
    delta: failure probability δ ∈ (0, 1); the bound holds with confidence 1 − δ.
  """
  num_rows, num_labels = member_counts.shape
  n = member_counts.sum()
  others = num_train - n
  in_signal = signal_set(g)
  num_signal = jnp.sum(in_signal)
  delta_prime = delta / (2 * num_signal * num_labels + 1)

  member_signal_share = jax.ops.segment_sum(member_counts.sum(axis=1), g, num_segments=num_rows) / n
  member_gap = (rival_max(member_counts, target) - member_counts[:, target]) / n

  def radius(size):
    return jnp.sqrt(jnp.log(1 / delta_prime) / (2 * jnp.maximum(size, 1)))

  nonmember_term = jnp.where(
      others > 0, (others / num_train) * (member_gap + 2 * radius(n) + 2 * radius(others)), 0)
  margin_low = (n / num_train) * member_signal_share - nonmember_term
  chosen = in_signal & (margin_low > 2 * epsilon)
  subset_radius = jnp.sqrt((num_signal * math.log(2) + jnp.log(1 / delta_prime)) / (2 * n))
  bound = jnp.sum(jnp.where(chosen, member_signal_share, 0)) - subset_radius
  return jnp.maximum(bound, 0)


# Erasing a signal.


def erasure_labels(p0, g):
  """Return y_g: int[X], y_g(x) = argmax_y P0(y | g(x)) (first index on ties)."""
  return jnp.argmax(p0[g], axis=1)


def erasure_distribution(p0, g):
  """Return P*: float[X, Y] for the erasure strategy h(x, y) = (x, y_g(x))."""
  return jax.nn.one_hot(erasure_labels(p0, g), p0.shape[1], dtype=p0.dtype) * row_mass(p0)[:, None]


def erase_success(p0, g, alpha):
  """Return the exact erasure success S(α) = Pr_{x~P0}[f(g(x)) = f(x)] for the mixture's Bayes f.

  Ties count against the collective point by point: x counts as a success when g(x) = x, or
  when f(x) and f(g(x)) are both unique maxima of their rows and equal.
  """
  table = alpha * erasure_distribution(p0, g) + (1 - alpha) * p0
  top = jnp.argmax(table, axis=1)
  second = jnp.sort(table, axis=1)[:, -2] if table.shape[1] > 1 else jnp.full(table.shape[0], -jnp.inf)
  unique = table.max(axis=1) > second
  rows = jnp.arange(table.shape[0])
  agree = unique & unique[g] & (top == top[g])
  return jnp.sum(jnp.where((g == rows) | agree, row_mass(p0), 0))


def erasure_gap(p0, g):
  """Return τ = E_{x~P0}[max_y P0(y|x) − P0(y_g(x)|x)] = Σ_x [max_y p0[x, y] − p0[x, y_g(x)]]."""
  labels = erasure_labels(p0, g)
  chosen = jnp.take_along_axis(p0, labels[:, None], axis=1)[:, 0]
  return jnp.sum(p0.max(axis=1) - chosen)


def erasure_unstable_mass(p0, g):
  """Return P0(U) for the points U whose transformed point the strategy cannot pin down.

  U = {x : g(x) ≠ x and (P0(g(x)) = 0 or y_g(g(x)) ≠ y_g(x))}. At such x' = g(x) the members
  either are absent (an unseen signal point ties every label) or relabel to a label other than
  y_g(x). U is empty when g is idempotent and every signal point occurs in P0.
  """
  labels = erasure_labels(p0, g)
  mass = row_mass(p0)
  rows = jnp.arange(p0.shape[0])
  unstable = (g != rows) & ((mass[g] <= 0) | (labels[g] != labels))
  return jnp.sum(jnp.where(unstable, mass, 0))


def erasure_amplification(p0, g):
  """Return κ = max over stable signal points x' of [Pg(x') + 1[g(x') ≠ x']·P0(x')] / P0(x').

  A signal point x' carries the test mass of all its preimages but costs only about α·P0(x')
  to flip, so κ measures how much an ε-suboptimal learner gains per unit of budget there.
  Stable signal points are the images of points outside U (see `erasure_unstable_mass`).
  """
  labels = erasure_labels(p0, g)
  mass = row_mass(p0)
  num_rows = p0.shape[0]
  rows = jnp.arange(num_rows)
  stable_source = (g == rows) | ((mass[g] > 0) & (labels[g] == labels))
  stable_signal = jnp.zeros(num_rows, bool).at[g].max(stable_source) & (mass > 0)
  preimage_mass = jax.ops.segment_sum(jnp.where(stable_source, mass, 0), g, num_segments=num_rows)
  ratio = (preimage_mass + jnp.where(g != rows, mass, 0)) / jnp.where(mass > 0, mass, 1)
  return jnp.max(jnp.where(stable_signal, ratio, 0))


def erase_bound(p0, g, alpha, epsilon=0.0):
  """Return the lower bound on the worst-case erasure success, clipped to [0, 1].

      S_ε(α) ≥ 1 − P0(U) − [(1 − α)·τ + 2·max(1, κ)·ε] / α.

  For x ∉ U with g(x) ≠ x, success needs f(x) = y_g(x) and f(g(x)) = y_g(x). The first fails
  only if α·P0(x) ≤ (1 − α)·(max_y p0[x, y] − p0[x, y_g(x)]) + c(x), which sums to at most
  (1 − α)·τ + Σc over the failed set. At a stable signal point the margin is at least α·P0(x'),
  so flipping it costs c(x') ≥ α·P0(x') and loses at most κ·P0(x') of test mass. The L1
  changes add up to Σc ≤ 2ε.

  With g idempotent, every signal point seen in P0 and ε = 0 this is the derived form
  1 − ((1 − α)/α)·τ. That form alone fails when a signal point has P0(g(x)) = 0: the smallest
  counterexample is p0 = [[1, 0], [0, 0]], g = [1, 1], where τ = 0 but the success is 0
  because every label ties at the unseen point.
  """
  tau = erasure_gap(p0, g)
  unstable = erasure_unstable_mass(p0, g)
  kappa = jnp.maximum(erasure_amplification(p0, g), 1)
  safe_alpha = jnp.where(alpha > 0, alpha, 1)
  bound = 1 - unstable - ((1 - alpha) * tau + 2 * kappa * epsilon) / safe_alpha
  return jnp.where(alpha > 0, jnp.clip(bound, 0, 1), 0)


# Critical mass.


def bisect_critical_mass(success_fn, level, num_steps=64):
  """Return the smallest α ∈ [0, 1] with success_fn(α) ≥ level, by bisection.

  Assumes success_fn is non-decreasing in α. That is true of the exact and worst-case
  feature-label success and of every closed-form bound. Otherwise the result is some α where
  the success crosses `level`. Returns 0 if the level is reached at α = 0 and inf if it is not
  reached at α = 1. The result is the upper end of the final bracket, within 2^-num_steps of
  the infimum.
  """
  reached_at_zero = success_fn(0.0) >= level
  reachable = success_fn(1.0) >= level

  def halve(_, bracket):
    low, high = bracket
    middle = (low + high) / 2
    reached = success_fn(middle) >= level
    return jnp.where(reached, low, middle), jnp.where(reached, middle, high)

  dtype = jnp.result_type(float)
  _, high = jax.lax.fori_loop(0, num_steps, halve, (jnp.zeros((), dtype), jnp.ones((), dtype)))
  return jnp.where(reached_at_zero, 0.0, jnp.where(reachable, high, jnp.inf))


def critical_mass_bound(p0, g, level, target=0, *, strategy="feature_label", epsilon=0.0):
  """Return the smallest α at which the closed-form bound reaches `level`, in closed form.

  Solving the bounds of `plant_bound` and `erase_bound` for α:
    feature_label:  α* = (Δξ + 2ε) / (1 − S* + Δξ)             (ε = 0: the derived Δξ/(1 − S* + Δξ))
    feature_only:   α* = (Δξ + 2ε) / (p·(1 − S*) − ξ_{y*})
    erasure:        α* = (τ + 2·max(1, κ)·ε) / (1 − S* − P0(U) + τ)
  Returns inf when the bound cannot reach `level` for any α ≤ 1, and 0 when level ≤ 0.
  """
  _check_choice("strategy", strategy, CRITICAL_MASS_STRATEGIES)
  if strategy == "erasure":
    tau = erasure_gap(p0, g)
    numerator = tau + 2 * jnp.maximum(erasure_amplification(p0, g), 1) * epsilon
    denominator = 1 - level - erasure_unstable_mass(p0, g) + tau
  else:
    delta_xi = signal_gap(p0, g, target) * signal_uniqueness(p0, g)
    numerator = delta_xi + 2 * epsilon
    if strategy == "feature_label":
      denominator = 1 - level + delta_xi
    else:
      xi_target = jnp.sum(jnp.where(signal_set(g), p0[:, target], 0))
      denominator = target_fraction(p0, target) * (1 - level) - xi_target
  alpha = jnp.where(denominator > 0, numerator / jnp.where(denominator > 0, denominator, 1), jnp.inf)
  alpha = jnp.where((numerator <= 0) & (denominator > 0), 0.0, alpha)
  alpha = jnp.where(alpha > 1, jnp.inf, alpha)
  return jnp.where(level <= 0, 0.0, alpha)


def critical_mass(p0, g, level, target=0, *, strategy="feature_label", epsilon=0.0,
                  source="exact", num_steps=64):
  """Return the critical mass α*(S*): the smallest α whose success reaches `level` = S*.

  Args:
    p0: float[X, Y] clean joint table.
    g: int[X] signal map.
    level: the success level S*.
    target: the target label y* (ignored for "erasure").
    strategy: "feature_label", "feature_only" or "erasure".
    epsilon: TV suboptimality ε of the firm's classifier (used by "worst_case" and "bound").
    source: "exact" bisects the exact success (ε = 0); "worst_case" bisects the worst case over
      ε-suboptimal classifiers (planting only); "bound" solves the closed-form bound.
    num_steps: bisection steps.

  Returns:
    α* ∈ [0, 1], or inf when the level is not reached at α = 1.
  """
  _check_choice("strategy", strategy, CRITICAL_MASS_STRATEGIES)
  _check_choice("source", source, CRITICAL_MASS_SOURCES)
  if source == "bound":
    return critical_mass_bound(p0, g, level, target, strategy=strategy, epsilon=epsilon)
  if strategy == "erasure":
    if source == "worst_case":
      raise ValueError("source='worst_case' is only available for planting; use 'exact' or 'bound'.")
    return bisect_critical_mass(lambda alpha: erase_success(p0, g, alpha), level, num_steps)
  if source == "exact":
    return bisect_critical_mass(
        lambda alpha: plant_success(p0, g, target, alpha, strategy), level, num_steps)
  return bisect_critical_mass(
      lambda alpha: worst_case_plant_success(p0, g, target, alpha, epsilon, strategy),
      level, num_steps)

