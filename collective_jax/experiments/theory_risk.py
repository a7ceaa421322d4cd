"""Gradient neutralisation: the threshold α0 and the firm's distance ‖θ̂ − θ*‖ against α.

For each model of the config the experiment draws a clean dataset and computes the attainable
gradients at θ*, the threshold α0 and the members' reports. It then solves the firm's problem
on the mixture with L-BFGS for a log grid of α around α0, and compares ‖θ̂ − θ*‖ with the
predicted bound (1 − α/α0)·‖∇L0(θ*)‖/μ. It writes config.json, results.jsonl and
theory_risk.png.
"""

from absl import logging
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from collective_jax.experiments import theory_common
from collective_jax.theory import linear_program
from collective_jax.theory import risk

FIGURE_NAME = "theory_risk.png"
# Distances below this are drawn at this value, because a log axis cannot show 0.
DISTANCE_FLOOR = 1e-16


def _validate_model(config, name) -> None:
  model = config[name]
  dimension = len(model.theta_star)
  for field in ("feature_low", "feature_high", "theta_true"):
    theory_common.require(len(model[field]) == dimension, f"{name}.{field}", model[field],
                          f"give {dimension} values, one per coordinate of theta_star.")
  for index, (low, high) in enumerate(zip(model.feature_low, model.feature_high)):
    theory_common.require(low <= high, f"{name}.feature_high[{index}]", high,
                          f"use a value of at least feature_low[{index}]={low}.")
  theory_common.require(model.label_low < model.label_high, f"{name}.label_high", model.label_high,
                        f"use a value above label_low={model.label_low}.")
  theory_common.require(model.ridge >= 0, f"{name}.ridge", model.ridge, "use λ ≥ 0.")
  if name == "logistic":
    theory_common.require(0 <= model.label_low and model.label_high <= 1, "logistic.label_high",
                          model.label_high, "keep logistic labels in [0, 1].")
    theory_common.require(model.ridge > 0, "logistic.ridge", model.ridge,
                          "use λ > 0: without it the logistic risk is not strongly convex.")


def validate_config(config) -> None:
  """Raise UserInputError for a config field that the experiment cannot use."""
  theory_common.require(len(config.models) > 0, "models", config.models,
                        f"list at least one of {', '.join(risk.MODELS)}.")
  for index, name in enumerate(config.models):
    theory_common.require_choice(f"models[{index}]", name, risk.MODELS)
    _validate_model(config, name)
  theory_common.require_positive_int("num_points", config.num_points)
  theory_common.require(config.noise >= 0, "noise", config.noise, "use a standard deviation ≥ 0.")
  theory_common.require(isinstance(config.grid_size, int) and config.grid_size >= 2, "grid_size",
                        config.grid_size, "use an integer of at least 2 (both ends of each coordinate).")
  theory_common.require_positive_int("num_alphas", config.num_alphas)
  theory_common.require_fraction("alpha_factor_min", config.alpha_factor_min, low_open=True)
  theory_common.require(config.alpha_factor_max > 1, "alpha_factor_max", config.alpha_factor_max,
                        "use a factor above 1, so that the grid reaches past α0.")


def _box(model):
  return risk.Box(np.array(model.feature_low, float), np.array(model.feature_high, float),
                  float(model.label_low), float(model.label_high))


def _alpha_grid(config, alpha0):
  high = min(config.alpha_factor_max * alpha0, 0.999)
  grid = np.geomspace(config.alpha_factor_min * alpha0, high, config.num_alphas)
  return np.unique(np.concatenate([grid, [alpha0 * (1 - 1e-3), alpha0 * (1 + 1e-3)]]))


def run_model(config, name):
  """Return (records, plot data) for one model."""
  model = config[name]
  box = _box(model)
  key = jax.random.fold_in(jax.random.key(config.seed), risk.MODELS.index(name))
  x, y = risk.sample_base_data(key, config.num_points, box, name, jnp.array(model.theta_true), config.noise)
  theta_star = jnp.array(model.theta_star, dtype=x.dtype)
  plan = risk.neutralising_plan(theta_star, x, y, box, name, model.ridge, config.grid_size)
  if int(plan.status) != linear_program.OPTIMAL:
    logging.warning("%s: no α makes θ* the minimiser (linear program status %d): 0 is not an "
                    "attainable report gradient in this box.", name, int(plan.status))
    return [], None
  alpha0 = float(plan.alpha0)
  alphas = _alpha_grid(config, alpha0)

  solve = jax.jit(jax.vmap(lambda alpha: risk.firm_minimiser(plan, alpha, x, y, name, model.ridge)))
  thetas = np.asarray(solve(jnp.array(alphas)))
  distances = np.linalg.norm(thetas - np.asarray(theta_star), axis=1)
  mus = np.array([float(risk.strong_convexity(x, alpha, name, model.ridge)) for alpha in alphas])
  bounds = np.array([float(risk.neutralising_gap_bound(plan, alpha, mu)) for alpha, mu in zip(alphas, mus)])
  logging.info("%s: α0 = %.4g, ‖∇L0(θ*)‖ = %.4g, ray extent ρ = %.4g; ‖θ̂ − θ*‖ at α0(1 + 10⁻³) = %.2e.",
               name, alpha0, float(jnp.linalg.norm(plan.base_gradient)), float(plan.extent),
               distances[np.searchsorted(alphas, alpha0 * (1 + 1e-3))])

  used = np.asarray(plan.extreme_weights + plan.zero_weights) > 0
  records = [{
      "record": "plan", "model": name, "alpha0": alpha0, "extent": float(plan.extent),
      "base_gradient": np.asarray(plan.base_gradient).tolist(), "ridge": model.ridge,
      "report_x": np.asarray(plan.report_x)[used].tolist(),
      "report_y": np.asarray(plan.report_y)[used].tolist(),
      "extreme_weights": np.asarray(plan.extreme_weights)[used].tolist(),
      "zero_weights": np.asarray(plan.zero_weights)[used].tolist(),
  }]
  norm_star = float(np.linalg.norm(model.theta_star))
  for alpha, theta, distance, mu, bound in zip(alphas, thetas, distances, mus, bounds):
    records.append({"record": "minimiser", "model": name, "alpha": float(alpha), "alpha0": alpha0,
                    "theta_hat": theta.tolist(), "distance": float(distance),
                    "relative_distance": float(distance) / norm_star, "mu": float(mu),
                    "predicted_bound": float(bound)})

  candidates_x, candidates_y = risk.candidate_reports(box, config.grid_size)
  gradients = np.asarray(risk.attainable_gradients(
      theta_star, candidates_x.astype(x.dtype), candidates_y.astype(x.dtype), name, model.ridge))
  plot = {"alphas": alphas, "distances": distances, "bounds": bounds, "alpha0": alpha0,
          "gradients": gradients, "base_gradient": np.asarray(plan.base_gradient),
          "extent": float(plan.extent)}
  return records, plot


def _plot(plots):
  figure, axes = plt.subplots(2, len(plots), figsize=(6 * len(plots), 9), squeeze=False)
  for column, (name, plot) in enumerate(plots):
    axis = axes[0, column]
    axis.plot(plot["alphas"], np.maximum(plot["distances"], DISTANCE_FLOOR), marker="o", markersize=3,
              label="‖θ̂ − θ*‖ (L-BFGS on the mixture)")
    below = plot["alphas"] < plot["alpha0"]
    axis.plot(plot["alphas"][below], plot["bounds"][below], linestyle="--",
              label="(1 − α/α0)·‖∇L0(θ*)‖/μ")
    axis.axvline(plot["alpha0"], color="grey", linestyle=":", label=f"α0 = {plot['alpha0']:.4f}")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("collective size α")
    axis.set_ylabel("‖θ̂ − θ*‖")
    axis.set_title(f"{name} regression")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)

    axis = axes[1, column]
    gradients = plot["gradients"]
    axis.scatter(gradients[:, 0], gradients[:, 1], s=4, alpha=0.4, label="∇ℓ(θ*; z) of candidate reports")
    direction = -plot["base_gradient"] / np.linalg.norm(plot["base_gradient"])
    end = plot["extent"] * direction
    axis.plot([0, end[0]], [0, end[1]], color="C1", linewidth=2,
              label="−t·∇L0(θ*)/‖∇L0(θ*)‖, 0 ≤ t ≤ ρ")
    axis.scatter([end[0]], [end[1]], color="C1", zorder=3)
    axis.scatter([0], [0], color="black", marker="+", zorder=3)
    axis.set_xlabel("gradient, coordinate 1")
    axis.set_ylabel("gradient, coordinate 2")
    axis.set_title(f"{name}: attainable gradients G(θ*) and the needed ray")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
  figure.suptitle("Gradient neutralisation: the firm returns θ* exactly for α ≥ α0")
  figure.tight_layout()
  return figure


def run(config, workdir: str) -> list[dict]:
  """Run every model of `config`, write the outputs and return the records."""
  validate_config(config)
  records, plots = [], []
  with jax.enable_x64(True):
    for name in config.models:
      model_records, plot = run_model(config, name)
      records += model_records
      if plot is not None and len(plot["gradients"][0]) == 2:
        plots.append((name, plot))
      elif plot is not None:
        logging.info("%s: θ has %d coordinates, so its gradient set is not drawn.", name,
                     len(plot["gradients"][0]))
  figure = _plot(plots) if plots else plt.figure()
  theory_common.write_outputs(workdir, config, records, figure, FIGURE_NAME)
  return records
