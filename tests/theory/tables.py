"""Random joint tables with signal maps, and brute-force oracles written in NumPy.

The oracles enumerate every subset or every classifier, so they share no code with
collective_jax.theory and can check it independently on small tables.
"""

import itertools

import numpy as np

# (X, Y) shapes of the random tables; X = 1 is the smallest table with a signal.
SIZES = ((1, 2), (2, 2), (3, 3), (4, 2), (5, 3), (6, 4), (8, 3))
# Shapes small enough for enumerating every classifier (Y^X of them).
SMALL_SIZES = ((1, 2), (2, 2), (3, 3), (4, 2), (5, 3))
# unique: the signal rows have no clean mass (ξ = 0).
# seen: the signal rows have a little clean mass (0 < ξ ≤ 0.2).
# idempotent: g maps every row into a set of fixed points (ξ > 0).
# random: g is any map (ξ > 0, g not idempotent in general).
# ties: a random map and probabilities on a grid of 1/10, so that many entries tie.
KINDS = ("unique", "seen", "idempotent", "random", "ties")
ALPHAS = (0.001, 0.01, 0.05, 0.1, 0.3, 0.6, 0.9)
# Off the 1/10 grid of the tie tables, so that no flip cost equals ε up to rounding.
EPSILONS = (0.0, 0.0013, 0.0107, 0.0531)
TOLERANCE = 1e-12


def random_tables(seed, num_rows, num_labels, kind, count):
  """Return (p0: float[count, X, Y], g: int[count, X], target: int[count]) drawn with `seed`."""
  rng = np.random.default_rng(seed)
  tables = np.zeros((count, num_rows, num_labels))
  maps = np.zeros((count, num_rows), dtype=np.int64)
  num_signal = max(1, num_rows // 3)
  num_clean = num_rows - num_signal
  for index in range(count):
    concentration = rng.choice([0.2, 1.0, 5.0])
    if kind in ("unique", "seen") and num_clean > 0:
      clean = rng.dirichlet(np.full(num_clean * num_labels, concentration))
      signal = rng.dirichlet(np.full(num_signal * num_labels, concentration))
      xi = 0.0 if kind == "unique" else rng.uniform(0.001, 0.2)
      table = np.concatenate([(1 - xi) * clean, xi * signal]).reshape(num_rows, num_labels)
      g = np.concatenate([rng.integers(num_clean, num_rows, num_clean),
                          np.arange(num_clean, num_rows)])
    elif kind == "idempotent":
      table = rng.dirichlet(np.full(num_rows * num_labels, concentration)).reshape(num_rows, -1)
      fixed = rng.permutation(num_rows)[:rng.integers(1, num_rows + 1)]
      g = rng.choice(fixed, num_rows)
      g[fixed] = fixed
    elif kind == "ties":
      counts = rng.multinomial(10, rng.dirichlet(np.full(num_rows * num_labels, concentration)))
      table = (counts / 10).reshape(num_rows, num_labels)
      g = rng.integers(0, num_rows, num_rows)
    else:
      table = rng.dirichlet(np.full(num_rows * num_labels, concentration)).reshape(num_rows, -1)
      g = rng.integers(0, num_rows, num_rows)
    tables[index] = table
    maps[index] = g
  targets = rng.integers(0, num_labels, count)
  return tables, maps, targets


def all_table_groups(seed, count, sizes=SIZES):
  """Yield (size, kind, p0, g, target) for every shape and kind, `count` tables each."""
  for size_index, (num_rows, num_labels) in enumerate(sizes):
    for kind_index, kind in enumerate(KINDS):
      group_seed = seed * 1000 + size_index * 10 + kind_index
      p0, g, target = random_tables(group_seed, num_rows, num_labels, kind, count)
      yield (num_rows, num_labels), kind, p0, g, target


def pad_tables(p0, g, num_rows, num_labels):
  """Embed tables in a larger shape without changing any success, margin or bound.

  Padded rows have no mass and map to themselves; padded labels have probability 0. The
  random tables have at least two labels, so a padded label never becomes a row's only
  rival or its unique maximum.
  """
  count, rows, labels = p0.shape
  padded = np.zeros((count, num_rows, num_labels))
  padded[:, :rows, :labels] = p0
  maps = np.tile(np.arange(num_rows), (count, 1))
  maps[:, :rows] = g
  return padded, maps


def signal_mass(p0, g):
  """Pg(x') = P0{x : g(x) = x'} for one table."""
  mass = np.zeros(p0.shape[0])
  np.add.at(mass, g, p0.sum(axis=1))
  return mass


def subset_knapsack(values, costs, budget):
  """Return max Σ_B values over subsets B with Σ_B costs ≤ budget, by enumerating every B."""
  best = 0.0
  for size in range(1, len(values) + 1):
    for subset in itertools.combinations(range(len(values)), size):
      subset = list(subset)
      if costs[subset].sum() <= budget:
        best = max(best, values[subset].sum())
  return best


def weak_argmax_costs(table):
  """Return c: float[X, Y], the least L1 change of row x that makes y a (weak) maximum.

  Raising y by u and lowering every other label to P(x, y) + u costs
  u + Σ_{y'} (P(x, y') − P(x, y) − u)_+, a convex piecewise-linear function of u ≥ 0 whose
  minimum lies at u = 0 or at one of the gaps P(x, y') − P(x, y).
  """
  gaps = table[:, None, :] - table[:, :, None]  # [x, y, y'] = P(x, y') − P(x, y)
  steps = np.concatenate([np.zeros(gaps.shape[:2] + (1,)), np.maximum(gaps, 0)], axis=2)
  totals = steps + np.maximum(gaps[:, :, None, :] - steps[..., None], 0).sum(axis=3)
  return totals.min(axis=2)


def all_classifiers(num_rows, num_labels):
  """Return int[Y^X, X]: every map f from rows to labels, one per row."""
  return np.array(list(itertools.product(range(num_labels), repeat=num_rows)), dtype=np.int64)


def classifier_worst_case(table, budgets, successes, classifiers):
  """Return, for each ε in `budgets`, the least success over classifiers with Σ_x c(x, f(x)) ≤ 2ε.

  Args:
    table: the mixture P: float[X, Y].
    budgets: float[B] TV budgets ε.
    successes: float[num_classifiers], the success of each classifier.
    classifiers: int[num_classifiers, X] from `all_classifiers`.
  """
  costs = weak_argmax_costs(table)
  spent = costs[np.arange(table.shape[0])[None, :], classifiers].sum(axis=1)
  allowed = spent[None, :] <= 2 * np.asarray(budgets)[:, None]
  return np.where(allowed, successes[None, :], np.inf).min(axis=1)


def erasure_mixture(p0, g, alpha):
  """The erasure mixture α·P* + (1 − α)·P0 for h(x, y) = (x, argmax_y P0(y | g(x)))."""
  labels = np.argmax(p0[g], axis=1)
  planted = np.zeros_like(p0)
  planted[np.arange(p0.shape[0]), labels] = p0.sum(axis=1)
  return alpha * planted + (1 - alpha) * p0


def erasure_worst_case(p0, g, alphas, budgets, classifiers):
  """Worst erasure success float[A, B] for each α in `alphas` and ε in `budgets`.

  The minimum runs over every classifier within the L1 budget 2ε. Ties are adversarial: any
  label that is a weak maximum of its row costs nothing.
  """
  fixed = g == np.arange(p0.shape[0])
  successes = ((classifiers[:, g] == classifiers) | fixed[None, :]) @ p0.sum(axis=1)
  return np.stack([classifier_worst_case(erasure_mixture(p0, g, alpha), budgets, successes, classifiers)
                   for alpha in alphas])


def plant_mixture(p0, g, target, alpha, strategy):
  """The planting mixture α·P* + (1 − α)·P0 for "feature_label" or "feature_only"."""
  if strategy == "feature_label":
    planted = np.zeros_like(p0)
    planted[:, target] = signal_mass(p0, g)
  else:
    planted = p0.copy()
    planted[:, target] = 0
    np.add.at(planted[:, target], g, p0[:, target])
  return alpha * planted + (1 - alpha) * p0


def plant_worst_case_by_classifiers(p0, g, target, alpha, budgets, strategy, classifiers):
  """Worst planting success for each ε in `budgets`, over every classifier within L1 budget 2ε."""
  successes = (classifiers == target) @ signal_mass(p0, g)
  table = plant_mixture(p0, g, target, alpha, strategy)
  return classifier_worst_case(table, budgets, successes, classifiers)
