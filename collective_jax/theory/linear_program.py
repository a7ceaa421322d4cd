"""A small dense simplex solver in JAX for the convex-hull questions of the risk module.

The risk module asks two linear programs about a finite set of gradient vectors: how far a
ray from 0 stays inside their convex hull, and how to write a point of the hull as a convex
combination. Both have only d + 1 equality constraints (d is the parameter dimension), so a
dense two-phase tableau simplex with Bland's rule is exact up to rounding, short, and runs
under `jax.jit` without a host solver.
"""

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

OPTIMAL = 0
INFEASIBLE = 1
UNBOUNDED = 2
ITERATION_LIMIT = 3
_RUNNING = -1


class LinearProgramResult(NamedTuple):
  """Solution of min cᵀz subject to A·z = b, z ≥ 0.

  Attributes:
    solution: float[n], a basic optimal solution (at most m nonzero entries).
    objective: cᵀ·solution.
    status: OPTIMAL, INFEASIBLE, UNBOUNDED or ITERATION_LIMIT (int32 scalar).
  """
  solution: jax.Array
  objective: jax.Array
  status: jax.Array


def _pivot(tableau, row, column):
  pivot_row = tableau[row] / tableau[row, column]
  factors = tableau[:, column].at[row].set(0)
  tableau = tableau - factors[:, None] * pivot_row[None, :]
  return tableau.at[row].set(pivot_row)


def _run_phase(tableau, basis, can_enter, artificial, tolerance, max_pivots, force_artificial_out):
  """Pivot until no column may enter with negative reduced cost (the last tableau row).

  Bland's rule (smallest entering index, smallest leaving basic index on ties) rules out
  cycling. With `force_artificial_out`, a basic artificial variable (always at 0 in phase 2)
  whose row has a nonzero entry in the entering column leaves at step 0, so it never
  becomes positive again.
  """
  num_rows = basis.shape[0]
  num_columns = tableau.shape[1] - 1

  def keep_going(state):
    _, _, status, count = state
    return (status == _RUNNING) & (count < max_pivots)

  def step(state):
    tableau, basis, _, count = state
    reduced = tableau[num_rows, :-1]
    eligible = can_enter & (reduced < -tolerance)
    entering = jnp.argmax(eligible)
    column = tableau[:num_rows, entering]
    rhs = jnp.maximum(tableau[:num_rows, -1], 0)
    positive = column > tolerance
    ratio = jnp.where(positive, rhs / jnp.where(positive, column, 1), jnp.inf)
    if force_artificial_out:
      forced = artificial[basis] & (jnp.abs(column) > tolerance)
      ratio = jnp.where(forced, 0.0, ratio)
    best = jnp.min(ratio)
    leaving = jnp.argmin(jnp.where(ratio <= best, basis, num_columns + 1))

    optimal = ~jnp.any(eligible)
    unbounded = ~optimal & jnp.isinf(best)
    move = ~optimal & ~unbounded
    tableau = jnp.where(move, _pivot(tableau, leaving, entering), tableau)
    basis = jnp.where(move, basis.at[leaving].set(entering), basis)
    status = jnp.where(optimal, OPTIMAL, jnp.where(unbounded, UNBOUNDED, _RUNNING))
    return tableau, basis, status, count + 1

  state = (tableau, basis, jnp.array(_RUNNING), jnp.array(0))
  tableau, basis, status, _ = jax.lax.while_loop(keep_going, step, state)
  return tableau, basis, jnp.where(status == _RUNNING, ITERATION_LIMIT, status)


def solve_standard_form(costs, constraints, rhs, max_pivots=None, tolerance=None):
  """Minimize cᵀz subject to A·z = b and z ≥ 0 by the two-phase simplex method.

  Args:
    costs: float[n] objective c.
    constraints: float[m, n] matrix A.
    rhs: float[m] right-hand side b (any signs).
    max_pivots: pivot limit for each phase; default 20·(m + n).
    tolerance: threshold below which reduced costs and pivot entries count as 0; default
      sqrt(machine epsilon)/10 of the dtype.

  Returns:
    A LinearProgramResult. On INFEASIBLE or UNBOUNDED the solution is not meaningful.
  """
  num_rows, num_columns = constraints.shape
  dtype = jnp.result_type(constraints.dtype, costs.dtype, rhs.dtype)
  if tolerance is None:
    tolerance = math.sqrt(float(jnp.finfo(dtype).eps)) / 10
  if max_pivots is None:
    max_pivots = 20 * (num_rows + num_columns)

  sign = jnp.where(rhs < 0, -1, 1).astype(dtype)
  matrix = constraints.astype(dtype) * sign[:, None]
  rhs = rhs.astype(dtype) * sign
  total = num_columns + num_rows
  artificial = jnp.arange(total) >= num_columns

  # Phase 1 minimises the sum of one artificial variable per row, starting from the
  # artificial basis. Its reduced costs are −Σ_i A[i, j] for the original columns.
  tableau = jnp.zeros((num_rows + 1, total + 1), dtype)
  tableau = tableau.at[:num_rows, :num_columns].set(matrix)
  tableau = tableau.at[:num_rows, num_columns:total].set(jnp.eye(num_rows, dtype=dtype))
  tableau = tableau.at[:num_rows, -1].set(rhs)
  tableau = tableau.at[num_rows, :num_columns].set(-matrix.sum(axis=0))
  tableau = tableau.at[num_rows, -1].set(-rhs.sum())
  basis = jnp.arange(num_columns, total)
  tableau, basis, status = _run_phase(
      tableau, basis, ~artificial, artificial, tolerance, max_pivots, force_artificial_out=False)
  infeasibility = -tableau[num_rows, -1]
  feasible = (status == OPTIMAL) & (infeasibility <= tolerance * (1 + jnp.abs(rhs).sum()))

  full_costs = jnp.concatenate([costs.astype(dtype), jnp.zeros(num_rows, dtype)])
  basic_costs = full_costs[basis]
  reduced = full_costs - basic_costs @ tableau[:num_rows, :-1]
  tableau = tableau.at[num_rows, :-1].set(reduced)
  tableau = tableau.at[num_rows, -1].set(-basic_costs @ tableau[:num_rows, -1])
  tableau, basis, phase_two = _run_phase(
      tableau, basis, ~artificial, artificial, tolerance, max_pivots, force_artificial_out=True)

  values = jnp.maximum(tableau[:num_rows, -1], 0)
  solution = jnp.zeros(total, dtype).at[basis].set(values)[:num_columns]
  status = jnp.where(status == ITERATION_LIMIT, ITERATION_LIMIT,
                     jnp.where(feasible, phase_two, INFEASIBLE))
  return LinearProgramResult(solution, costs.astype(dtype) @ solution, status.astype(jnp.int32))


def ray_extent(points, direction, **solver_options):
  """Return (ρ, λ, status): the largest ρ with ρ·u ∈ conv(points), and λ with Σλ_k·points_k = ρ·u.

  Solves max ρ subject to Σ_k λ_k·p_k − ρ·u = 0, Σ_k λ_k = 1, λ ≥ 0, ρ ≥ 0. INFEASIBLE means
  that the ray {ρ·u : ρ ≥ 0} misses the hull, because 0 is not in it.

  Args:
    points: float[K, d] the points p_k.
    direction: float[d] the ray direction u (any positive length; ρ is in units of ‖u‖).
  """
  num_points = points.shape[0]
  constraints = jnp.concatenate([
      jnp.concatenate([points.T, -direction[:, None]], axis=1),
      jnp.concatenate([jnp.ones((1, num_points)), jnp.zeros((1, 1))], axis=1),
  ])
  rhs = jnp.zeros(constraints.shape[0]).at[-1].set(1.0)
  costs = jnp.zeros(num_points + 1).at[-1].set(-1.0)
  result = solve_standard_form(costs, constraints, rhs, **solver_options)
  return result.solution[-1], result.solution[:-1], result.status


def convex_combination(points, target, **solver_options):
  """Return (λ, status) with λ ≥ 0, Σλ = 1 and Σ_k λ_k·points_k = target, if one exists.

  Args:
    points: float[K, d].
    target: float[d].
  """
  num_points = points.shape[0]
  constraints = jnp.concatenate([points.T, jnp.ones((1, num_points))])
  rhs = jnp.concatenate([target, jnp.ones(1)])
  result = solve_standard_form(jnp.zeros(num_points), constraints, rhs, **solver_options)
  return result.solution, result.status
