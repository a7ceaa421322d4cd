"""Gradient neutralisation against a risk minimiser: linear and logistic regression in a box.

The firm minimises the mixture risk L_P(θ) = α·L*(θ) + (1 − α)·L0(θ) with the per-example loss

  linear:    ℓ(θ; x, y) = ½·(θᵀx − y)²                                  + (λ/2)·‖θ‖²
  logistic:  ℓ(θ; x, y) = −y·log σ(θᵀx) − (1 − y)·log(1 − σ(θᵀx))       + (λ/2)·‖θ‖²

Both gradients are ∇ℓ(θ; x, y) = (link(θᵀx) − y)·x + λ·θ with link = identity or σ. The ridge
term λ makes the logistic risk λ-strongly convex, which the logistic loss alone is not on
separable data. The linear risk is strongly convex without it when E[xxᵀ] ≻ 0.
The base distribution P0 is the empirical distribution of a dataset, so L0 and ∇L0 are exact.

The collective wants the firm's minimiser to be θ*. Members may report any (x, y) with x in a
feature box and y in a label interval (soft labels in [0, 1] for logistic regression). If the
members' mean gradient at θ* is −((1 − α)/α)·∇L0(θ*), then ∇L_P(θ*) = 0 and strong convexity
makes θ* the unique minimiser. The attainable mean gradients form conv G(θ*),
G(θ*) = {∇ℓ(θ*; z) : z a candidate report}; the needed gradients form a ray from 0 in the
direction −∇L0(θ*), so α works exactly when (1 − α)/α·‖∇L0(θ*)‖ ≤ ρ, the ray's extent
inside conv G(θ*). Hence α0 = ‖∇L0(θ*)‖ / (‖∇L0(θ*)‖ + ρ).

Candidate reports are a grid over the feature box with both label endpoints; since the
gradient is affine in y the label endpoints generate the same hull as the whole interval.
NOTE: the feature grid is an inner approximation of the box, so α0 here is exact for members
who report grid points and an upper bound on the threshold for the full box; it decreases as
`grid_size` grows.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from collective_jax.theory import linear_program

MODELS = ("linear", "logistic")


def _check_model(model):
  if model not in MODELS:
    raise ValueError(f"model={model!r} is not supported; use one of {', '.join(MODELS)}.")


class Box(NamedTuple):
  """Box of the members' reports: a range per feature coordinate and a label range.

  Attributes:
    feature_low: float[d] lower corner of the feature box.
    feature_high: float[d] upper corner (equal to `feature_low` for a fixed coordinate,
      such as a constant bias feature).
    label_low: smallest label (0 for logistic regression).
    label_high: largest label (1 for logistic regression).
  """
  feature_low: jax.Array
  feature_high: jax.Array
  label_low: float
  label_high: float


def link(logits, model):
  """Return the prediction link(θᵀx): the logits for "linear", σ(logits) for "logistic"."""
  _check_model(model)
  return logits if model == "linear" else jax.nn.sigmoid(logits)


def example_loss(theta, x, y, model, ridge=0.0):
  """Return ℓ(θ; x, y) + (λ/2)‖θ‖² for one example (x: float[d], y: scalar)."""
  _check_model(model)
  logits = x @ theta
  if model == "linear":
    loss = 0.5 * (logits - y) ** 2
  else:
    loss = jax.nn.softplus(logits) - y * logits
  return loss + 0.5 * ridge * theta @ theta


def example_gradient(theta, x, y, model, ridge=0.0):
  """Return ∇ℓ(θ; x, y) = (link(θᵀx) − y)·x + λ·θ as float[d]."""
  return (link(x @ theta, model) - y) * x + ridge * theta


def risk(theta, x, y, weights, model, ridge=0.0):
  """Return the weighted risk Σ_i w_i·ℓ(θ; x_i, y_i) (weights: float[n], summing to 1)."""
  losses = jax.vmap(example_loss, in_axes=(None, 0, 0, None, None))(theta, x, y, model, ridge)
  return weights @ losses


def risk_gradient(theta, x, y, weights, model, ridge=0.0):
  """Return Σ_i w_i·∇ℓ(θ; x_i, y_i) as float[d]."""
  gradients = jax.vmap(example_gradient, in_axes=(None, 0, 0, None, None))(theta, x, y, model, ridge)
  return weights @ gradients


def uniform_weights(num_points, dtype=None):
  """Return float[num_points] with every entry 1/num_points: the empirical distribution."""
  return jnp.full(num_points, 1.0 / num_points, dtype=dtype)


def sample_base_data(key, num_points, box, model, theta_true, noise=0.1):
  """Draw a clean dataset (x: float[n, d], y: float[n]) with features uniform in the box.

  Linear labels are θ_trueᵀx plus Gaussian noise of scale `noise`, clipped to the label
  interval; logistic labels are Bernoulli(σ(θ_trueᵀx)) draws in {0, 1}.
  """
  _check_model(model)
  feature_key, label_key = jax.random.split(key)
  low, high = jnp.asarray(box.feature_low), jnp.asarray(box.feature_high)
  x = low + (high - low) * jax.random.uniform(feature_key, (num_points, low.shape[0]))
  logits = x @ theta_true
  if model == "linear":
    y = jnp.clip(logits + noise * jax.random.normal(label_key, (num_points,)),
                 box.label_low, box.label_high)
  else:
    y = jax.random.bernoulli(label_key, jax.nn.sigmoid(logits)).astype(x.dtype)
  return x, y


def candidate_reports(box, grid_size):
  """Return the members' candidate reports (x: float[K, d], y: float[K]).

  The features run over a grid with `grid_size` points per coordinate (one point for a fixed
  coordinate) and each grid point appears with label_low and with label_high, so
  K = 2·grid_size^(number of free coordinates).
  """
  low = np.asarray(box.feature_low, dtype=float)
  high = np.asarray(box.feature_high, dtype=float)
  axes = [np.linspace(lo, hi, grid_size) if hi > lo else np.array([lo]) for lo, hi in zip(low, high)]
  grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
  x = np.concatenate([grid, grid])
  y = np.concatenate([np.full(len(grid), box.label_low), np.full(len(grid), box.label_high)])
  return jnp.asarray(x), jnp.asarray(y)


def attainable_gradients(theta, report_x, report_y, model, ridge=0.0):
  """Return G(θ) = {∇ℓ(θ; z_k)} as float[K, d]; the members' mean gradients fill conv G(θ)."""
  return jax.vmap(example_gradient, in_axes=(None, 0, 0, None, None))(
      theta, report_x, report_y, model, ridge)


class NeutralisingPlan(NamedTuple):
  """The gradient-neutralising strategy at θ*.

  Attributes:
    alpha0: the threshold α0 = ‖v‖/(‖v‖ + ρ); NaN when status is not OPTIMAL.
    extent: ρ, the largest t with −t·v/‖v‖ ∈ conv G(θ*).
    base_gradient: v = ∇L0(θ*) including the ridge term, float[d].
    report_x: float[R, d] the report points that members use (R = 2(d + 1)).
    report_y: float[R] their labels.
    extreme_weights: float[R] a mixture of reports with mean gradient −ρ·v/‖v‖.
    zero_weights: float[R] a mixture of reports with mean gradient 0.
    status: linear_program.OPTIMAL, or the status of the linear program that failed.
  """
  alpha0: jax.Array
  extent: jax.Array
  base_gradient: jax.Array
  report_x: jax.Array
  report_y: jax.Array
  extreme_weights: jax.Array
  zero_weights: jax.Array
  status: jax.Array


def neutralising_plan(theta_star, data_x, data_y, box, model, ridge=0.0, grid_size=21):
  """Compute α0 and the reports that make θ* the firm's minimiser for every α ≥ α0.

  Two linear programs over the candidate gradients G(θ*) give the ray's far end −ρ·v̂ and a
  mixture with mean 0 (v̂ = v/‖v‖). For α ≥ α0 the needed gradient −((1 − α)/α)·v is the
  point s·(−ρ·v̂) + (1 − s)·0 with s = (1 − α)‖v‖/(αρ) ≤ 1, so the members' mixture is
  s·extreme_weights + (1 − s)·zero_weights (`report_weights`).

  Args:
    theta_star: float[d] the collective's target θ*.
    data_x, data_y: the clean dataset defining P0.
    box: the report Box.
    model: "linear" or "logistic".
    ridge: λ ≥ 0.
    grid_size: feature grid points per free coordinate (static).
  """
  candidates_x, candidates_y = candidate_reports(box, grid_size)
  return _neutralising_plan(theta_star, data_x, data_y, candidates_x.astype(data_x.dtype),
                            candidates_y.astype(data_x.dtype), model, ridge)


@functools.partial(jax.jit, static_argnames=("model",))
def _neutralising_plan(theta_star, data_x, data_y, candidates_x, candidates_y, model, ridge):
  weights = uniform_weights(data_x.shape[0], data_x.dtype)
  base_gradient = risk_gradient(theta_star, data_x, data_y, weights, model, ridge)
  gradients = attainable_gradients(theta_star, candidates_x, candidates_y, model, ridge)

  norm = jnp.linalg.norm(base_gradient)
  direction = -base_gradient / jnp.where(norm > 0, norm, 1)
  extent, extreme, extreme_status = linear_program.ray_extent(gradients, direction)
  zero, zero_status = linear_program.convex_combination(gradients, jnp.zeros_like(theta_star))

  # A basic solution has at most d + 1 nonzero weights, so keeping the d + 1 largest of each
  # mixture loses nothing and gives every α the same report shapes.
  num_kept = theta_star.shape[0] + 1
  extreme_top, extreme_index = jax.lax.top_k(extreme, num_kept)
  zero_top, zero_index = jax.lax.top_k(zero, num_kept)
  index = jnp.concatenate([extreme_index, zero_index])
  padding = jnp.zeros(num_kept, extreme_top.dtype)

  status = jnp.where(extreme_status != linear_program.OPTIMAL, extreme_status, zero_status)
  alpha0 = jnp.where(status == linear_program.OPTIMAL, norm / (norm + extent), jnp.nan)
  return NeutralisingPlan(
      alpha0=alpha0,
      extent=extent,
      base_gradient=base_gradient,
      report_x=candidates_x[index],
      report_y=candidates_y[index],
      extreme_weights=jnp.concatenate([extreme_top, padding]),
      zero_weights=jnp.concatenate([padding, zero_top]),
      status=status,
  )


def report_weights(plan, alpha):
  """Return the members' mixture over `plan.report_x` at collective size α, float[R].

  For α ≥ α0 the mixture's mean gradient is exactly −((1 − α)/α)·∇L0(θ*); below α0 it is the
  attainable gradient farthest along that ray, −ρ·v̂.
  """
  norm = jnp.linalg.norm(plan.base_gradient)
  needed = (1 - alpha) * norm / jnp.where(alpha > 0, alpha, 1)
  share = jnp.where((alpha > 0) & (plan.extent > 0), needed / jnp.where(plan.extent > 0, plan.extent, 1), 1)
  share = jnp.where(alpha >= plan.alpha0, jnp.minimum(share, 1), 1)
  return share * plan.extreme_weights + (1 - share) * plan.zero_weights


def mixture_data(plan, alpha, data_x, data_y):
  """Return (x, y, weights) of the firm's training distribution P = α·P* + (1 − α)·P0."""
  clean = (1 - alpha) * uniform_weights(data_x.shape[0], data_x.dtype)
  members = alpha * report_weights(plan, alpha)
  x = jnp.concatenate([data_x, plan.report_x])
  y = jnp.concatenate([data_y, plan.report_y])
  return x, y, jnp.concatenate([clean, members])


@functools.partial(jax.jit, static_argnames=("model", "max_steps"))
def fit_firm(x, y, weights, model, ridge, theta_init, max_steps=200, gradient_tolerance=1e-12):
  """Return θ̂ = argmin_θ Σ_i w_i·ℓ(θ; x_i, y_i), found with optax's L-BFGS.

  Stops when ‖∇‖ ≤ gradient_tolerance or after `max_steps` steps. The tolerance is meant for
  float64; in float32 the loop usually runs to `max_steps`.
  """
  def objective(theta):
    return risk(theta, x, y, weights, model, ridge)

  solver = optax.lbfgs()
  value_and_grad = optax.value_and_grad_from_state(objective)

  def keep_going(carry):
    _, state, step = carry
    # The initial state stores a zero gradient, so the first step always runs.
    gradient = optax.tree.get(state, "grad")
    return (step < max_steps) & ((step == 0) | (optax.tree.norm(gradient) > gradient_tolerance))

  def step(carry):
    theta, state, count = carry
    value, gradient = value_and_grad(theta, state=state)
    updates, state = solver.update(
        gradient, state, theta, value=value, grad=gradient, value_fn=objective)
    return optax.apply_updates(theta, updates), state, count + 1

  state = solver.init(theta_init)
  theta, _, _ = jax.lax.while_loop(keep_going, step, (theta_init, state, jnp.array(0)))
  return theta


def firm_minimiser(plan, alpha, data_x, data_y, model, ridge=0.0, max_steps=200):
  """Return the firm's minimiser θ̂(α) on the mixture that `plan` produces (vmappable over α)."""
  x, y, weights = mixture_data(plan, alpha, data_x, data_y)
  theta_init = jnp.zeros(data_x.shape[1], data_x.dtype)
  return fit_firm(x, y, weights, model, ridge, theta_init, max_steps)


def strong_convexity(data_x, alpha, model, ridge=0.0):
  """Return μ, a strong-convexity constant of L_P valid for any members' reports.

  linear: μ = λ + (1 − α)·λ_min(E_P0[xxᵀ]), because the reports only add a PSD term.
  logistic: μ = λ, because the logistic Hessian can be arbitrarily small far from 0.
  """
  _check_model(model)
  if model == "logistic":
    return jnp.asarray(ridge, data_x.dtype)
  second_moment = data_x.T @ data_x / data_x.shape[0]
  return ridge + (1 - alpha) * jnp.linalg.eigvalsh(second_moment)[0]


def neutralising_gap_bound(plan, alpha, mu):
  """Return the predicted bound ‖θ̂ − θ*‖ ≤ max(0, 1 − α/α0)·‖∇L0(θ*)‖/μ.

  Below α0 the members push the mixture gradient at θ* to (1 − α)·v − α·ρ·v̂, whose norm is
  (1 − α/α0)·‖v‖; μ-strong convexity turns a gradient norm into a distance.
  """
  factor = jnp.maximum(1 - alpha / plan.alpha0, 0)
  return factor * jnp.linalg.norm(plan.base_gradient) / mu
