"""Gradient control against a firm that runs gradient descent or SGD on the mixture.

The firm updates θ_{t+1} = θ_t − η·∇L_P(θ_t) with L_P = α·L* + (1 − α)·L0. The collective
observes θ_t and reports points whose mean gradient is

    g*_t = [C·(θ_t − θ*) − (1 − α)·∇L0(θ_t)] / α,

so that ∇L_P(θ_t) = C·(θ_t − θ*) and ‖θ_T − θ*‖ = |1 − ηC|^T·‖θ_0 − θ*‖. When g*_t is not
attainable the members report the attainable gradient nearest to it on the ray through it.

Feasibility: if the attainable gradients contain a ball of radius B around 0 and
‖∇L0(θ)‖ ≤ G along the path, then ‖g*_t‖ ≤ (C·‖θ_t − θ*‖ + (1 − α)·G)/α ≤ B whenever
C ≤ (α·B − (1 − α)·G)/‖θ_0 − θ*‖ and 0 < ηC ≤ 1 (the distance then never grows). Progress thus
needs α·B > (1 − α)·G, and the admissible C, hence the rate, grows with α.

Two report models are provided:
* logistic regression with soft labels y ∈ [0, 1] and features in the box [−b, b]^d: a
  single point x = b·u (u a unit vector) with y = σ(θᵀx) − r has gradient r·b·u for every
  r ∈ [0, σ(b·θᵀu)], so the attainable gradients contain the ball of radius b·σ(−b·‖θ‖);
* a model whose members choose their mean gradient directly inside a ball of radius B, used
  for the MLP, because no closed form maps a target gradient back to one input for an MLP.

The simulations use `lax.scan` and can be vmapped over α, C or the SGD key.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from collective_jax.theory import risk


def control_target(theta, theta_star, clean_gradient, alpha, strength):
  """Return g*_t = [C·(θ_t − θ*) − (1 − α)·∇L0(θ_t)]/α as float[d] (needs α > 0)."""
  return (strength * (theta - theta_star) - (1 - alpha) * clean_gradient) / alpha


def clip_to_ball(vector, radius):
  """Return (the nearest point to `vector` in the ball of radius `radius`, whether it moved)."""
  norm = jnp.linalg.norm(vector)
  outside = norm > radius
  return jnp.where(outside, vector * radius / jnp.where(outside, norm, 1), vector), outside


def ball_report(radius):
  """Return report_gradient(θ, g*) for members who choose their mean gradient in a ball."""
  def report_gradient(theta, target):
    del theta
    return clip_to_ball(target, radius)
  return report_gradient


def logistic_report_point(theta, target, feature_bound):
  """Return (x, y, clipped): the logistic report whose gradient is `target`, or nearest to it.

  x = b·u with u = g*/‖g*‖ lies in the box [−b, b]^d because ‖u‖_∞ ≤ 1. The residual
  r = ‖g*‖/b is capped at σ(θᵀx) so that the soft label y = σ(θᵀx) − r stays in [0, 1];
  `clipped` is true when the cap binds.
  """
  norm = jnp.linalg.norm(target)
  unit = jnp.zeros_like(target).at[0].set(1)
  direction = jnp.where(norm > 0, target / jnp.where(norm > 0, norm, 1), unit)
  x = feature_bound * direction
  probability = jax.nn.sigmoid(x @ theta)
  needed_residual = norm / feature_bound
  residual = jnp.minimum(needed_residual, probability)
  return x, probability - residual, needed_residual > probability


def logistic_report(feature_bound):
  """Return report_gradient(θ, g*) that builds the logistic report and returns its gradient."""
  def report_gradient(theta, target):
    x, y, clipped = logistic_report_point(theta, target, feature_bound)
    return risk.example_gradient(theta, x, y, "logistic"), clipped
  return report_gradient


def logistic_ball_radius(theta0, theta_star, feature_bound):
  """Return B = b·σ(−b·max(‖θ_0‖, ‖θ*‖)), a ball radius attainable on the whole segment [θ_0, θ*].

  ‖θ‖ is convex, so its maximum on the segment is at an end.
  """
  largest = jnp.maximum(jnp.linalg.norm(theta0), jnp.linalg.norm(theta_star))
  return feature_bound * jax.nn.sigmoid(-feature_bound * largest)


def path_gradient_bound(clean_gradient, theta0, theta_star, num_points=257):
  """Return G = max ‖∇L0(θ)‖ over `num_points` evenly spaced θ on the segment [θ_0, θ*].

  With 0 < ηC ≤ 1 every iterate lies on that segment. NOTE: this is the maximum over a grid,
  not over the whole segment; `simulate` reports any step whose target was clipped.
  """
  fractions = jnp.linspace(0.0, 1.0, num_points)
  points = theta0[None, :] + fractions[:, None] * (theta_star - theta0)[None, :]
  return jnp.max(jnp.linalg.norm(jax.vmap(clean_gradient)(points), axis=1))


def feasible_strength(alpha, radius, gradient_bound, initial_distance):
  """Return C_max = (α·B − (1 − α)·G)/‖θ_0 − θ*‖; any 0 < C ≤ C_max (with ηC ≤ 1) is feasible."""
  return (alpha * radius - (1 - alpha) * gradient_bound) / initial_distance


def predicted_distances(strength, learning_rate, num_steps, initial_distance):
  """Return float[num_steps + 1] with ‖θ_t − θ*‖ = |1 − ηC|^t·‖θ_0 − θ*‖."""
  steps = jnp.arange(num_steps + 1)
  return jnp.abs(1 - learning_rate * strength) ** steps * initial_distance


class ControlTrajectory(NamedTuple):
  """A simulated run of gradient control.

  Attributes:
    distances: float[T + 1] with ‖θ_t − θ*‖ for t = 0..T.
    clipped: bool[T], true at steps where g*_t was not attainable.
    path: float[T + 1, d] the iterates θ_0, ..., θ_T.
  """
  distances: jax.Array
  clipped: jax.Array
  path: jax.Array


def simulate(clean_gradient, report_gradient, theta0, theta_star, alpha, strength, learning_rate,
             num_steps, *, clean_example_gradient=None, num_examples=0, batch_size=0, key=None):
  """Run the firm's gradient descent (or SGD) against the gradient-control strategy.

  Args:
    clean_gradient: θ ↦ ∇L0(θ), the full clean gradient that the collective uses for g*_t.
    report_gradient: (θ, g*) ↦ (the members' attained mean gradient, whether it was clipped).
    theta0: float[d] the firm's start θ_0.
    theta_star: float[d] the collective's target θ*.
    alpha: collective fraction α ∈ (0, 1).
    strength: the contraction C.
    learning_rate: the firm's step size η.
    num_steps: T (static).
    clean_example_gradient: (θ, i) ↦ ∇ℓ(θ; z_i); with `batch_size` > 0 the firm runs SGD.
    num_examples: number of clean examples i to sample from (SGD only).
    batch_size: SGD batch size; 0 runs full gradient descent on the mixture.
    key: PRNG key for SGD. Each batch slot is a member with probability α, else a uniformly
      drawn clean example, so the batch gradient's mean given θ_t is ∇L_P(θ_t).

  Returns:
    A ControlTrajectory.
  """
  def step(theta, t):
    clean = clean_gradient(theta)
    target = control_target(theta, theta_star, clean, alpha, strength)
    reported, clipped = report_gradient(theta, target)
    if batch_size:
      member_key, index_key = jax.random.split(jax.random.fold_in(key, t))
      is_member = jax.random.bernoulli(member_key, alpha, (batch_size,))
      index = jax.random.randint(index_key, (batch_size,), 0, num_examples)
      clean_batch = jax.vmap(clean_example_gradient, in_axes=(None, 0))(theta, index)
      firm_gradient = jnp.mean(jnp.where(is_member[:, None], reported[None, :], clean_batch), axis=0)
    else:
      firm_gradient = (1 - alpha) * clean + alpha * reported
    new_theta = theta - learning_rate * firm_gradient
    return new_theta, (new_theta, clipped)

  _, (path, clipped) = jax.lax.scan(step, theta0, jnp.arange(num_steps))
  path = jnp.concatenate([theta0[None, :], path])
  return ControlTrajectory(jnp.linalg.norm(path - theta_star, axis=1), clipped, path)


# Logistic regression on a clean dataset.


def logistic_problem(data_x, data_y, ridge=0.0):
  """Return (clean_gradient, clean_example_gradient) for logistic regression on the dataset."""
  weights = risk.uniform_weights(data_x.shape[0], data_x.dtype)

  def clean_gradient(theta):
    return risk.risk_gradient(theta, data_x, data_y, weights, "logistic", ridge)

  def clean_example_gradient(theta, index):
    return risk.example_gradient(theta, data_x[index], data_y[index], "logistic", ridge)

  return clean_gradient, clean_example_gradient


# A small MLP classifier, written with jax.numpy so that the theory imports no model code.


def mlp_init(key, sizes, dtype=jnp.float32):
  """Return MLP parameters [(W_l: float[n_l, n_{l+1}], b_l: float[n_{l+1}])] with LeCun-normal W."""
  params = []
  for layer_key, (fan_in, fan_out) in zip(jax.random.split(key, len(sizes) - 1),
                                          zip(sizes[:-1], sizes[1:])):
    weight = jax.random.normal(layer_key, (fan_in, fan_out), dtype) / jnp.sqrt(fan_in)
    params.append((weight, jnp.zeros(fan_out, dtype)))
  return params


def mlp_logits(params, x):
  """Return the logits float[n, classes] of a tanh MLP for inputs x: float[n, features]."""
  hidden = x
  for weight, bias in params[:-1]:
    hidden = jnp.tanh(hidden @ weight + bias)
  weight, bias = params[-1]
  return hidden @ weight + bias


def mlp_problem(params, data_x, data_y):
  """Flatten an MLP classification problem so that θ is one vector.

  Args:
    params: MLP parameters from `mlp_init`, fixing the layout of θ.
    data_x: float[n, features] inputs.
    data_y: int[n] class labels.

  Returns:
    (θ as float[d], unravel, clean_gradient, clean_example_gradient), where the loss is the
    mean cross-entropy over the dataset.
  """
  flat, unravel = ravel_pytree(params)

  def example_loss(theta, x, y):
    logits = mlp_logits(unravel(theta), x[None, :])[0]
    return jax.nn.logsumexp(logits) - logits[y]

  def clean_loss(theta):
    return jnp.mean(jax.vmap(example_loss, in_axes=(None, 0, 0))(theta, data_x, data_y))

  def clean_example_gradient(theta, index):
    return jax.grad(example_loss)(theta, data_x[index], data_y[index])

  return flat, unravel, jax.grad(clean_loss), clean_example_gradient
