"""Gradient control: simulated ‖θ_t − θ*‖ against the predicted rate |1 − ηC|^t, for several α.

For logistic regression the members report real points (x, y) in a box; for a small MLP they
choose their mean gradient inside a ball. For each α the experiment computes the ball radius B,
the path bound G, the largest feasible contraction C_max(α) = (α·B − (1 − α)·G)/‖θ_0 − θ*‖,
simulates the firm's gradient descent (or SGD) with `lax.scan`, and writes config.json,
results.jsonl and theory_gradient.png into the workdir.
"""

from absl import logging
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from collective_jax.experiments import theory_common
from collective_jax.theory import gradient
from collective_jax.theory import risk

FIGURE_NAME = "theory_gradient.png"
PROBLEMS = ("logistic", "mlp")


def validate_config(config) -> None:
  """Raise UserInputError for a config field that the experiment cannot use."""
  theory_common.require(len(config.problems) > 0, "problems", config.problems,
                        f"list at least one of {', '.join(PROBLEMS)}.")
  for index, name in enumerate(config.problems):
    theory_common.require_choice(f"problems[{index}]", name, PROBLEMS)
  theory_common.require(len(config.alphas) > 0, "alphas", config.alphas, "list at least one α in (0, 1).")
  for index, alpha in enumerate(config.alphas):
    theory_common.require_fraction(f"alphas[{index}]", alpha, low_open=True)
  theory_common.require(config.learning_rate > 0, "learning_rate", config.learning_rate,
                        "use a positive step size η.")
  theory_common.require_positive_int("num_steps", config.num_steps)
  theory_common.require(0 < config.strength_cap <= 1, "strength_cap", config.strength_cap,
                        "use a value in (0, 1], so that ηC ≤ 1.")
  theory_common.require(isinstance(config.batch_size, int) and config.batch_size >= 0, "batch_size",
                        config.batch_size, "use 0 for gradient descent or a positive SGD batch size.")
  theory_common.require_positive_int("num_sgd_runs", config.num_sgd_runs)
  theory_common.require_positive_int("logistic.num_points", config.logistic.num_points)
  theory_common.require(config.logistic.feature_bound > 0, "logistic.feature_bound",
                        config.logistic.feature_bound, "use a positive box half-width b.")
  for field in ("theta_true", "theta_star"):
    theory_common.require(len(config.logistic[field]) == 2, f"logistic.{field}", config.logistic[field],
                          "give 2 values: the features are 2-D.")
  sizes = config.mlp.sizes
  theory_common.require(len(sizes) >= 2 and sizes[0] == 2 and sizes[-1] == 2, "mlp.sizes", sizes,
                        "start with 2 inputs and end with 2 classes, e.g. (2, 16, 2).")
  theory_common.require_positive_int("mlp.num_points", config.mlp.num_points)
  theory_common.require(config.mlp.radius > 0, "mlp.radius", config.mlp.radius, "use a positive radius B.")


def logistic_problem(config, key):
  """Return the simulation inputs for logistic regression with real reported points."""
  setting = config.logistic
  bound = setting.feature_bound
  box = risk.Box(-bound * np.ones(2), bound * np.ones(2), 0.0, 1.0)
  theta0 = jnp.array(setting.theta_true)
  x, y = risk.sample_base_data(key, setting.num_points, box, "logistic", theta0)
  theta_star = jnp.array(setting.theta_star, dtype=x.dtype)
  clean_gradient, clean_example_gradient = gradient.logistic_problem(x, y)
  return dict(theta0=theta0, theta_star=theta_star, clean_gradient=clean_gradient,
              clean_example_gradient=clean_example_gradient, num_examples=setting.num_points,
              report=gradient.logistic_report(bound),
              radius=float(gradient.logistic_ball_radius(theta0, theta_star, bound)))


def mlp_problem(config, key):
  """Return the simulation inputs for the MLP, whose members report gradients in a ball."""
  setting = config.mlp
  input_key, start_key, target_key = jax.random.split(key, 3)
  x = jax.random.normal(input_key, (setting.num_points, 2), jnp.float64)
  y = (x[:, 0] * x[:, 1] > 0).astype(jnp.int32)
  start = gradient.mlp_init(start_key, tuple(setting.sizes), jnp.float64)
  theta0, _, clean_gradient, clean_example_gradient = gradient.mlp_problem(start, x, y)
  theta_star, _ = jax.flatten_util.ravel_pytree(gradient.mlp_init(target_key, tuple(setting.sizes), jnp.float64))
  return dict(theta0=theta0, theta_star=theta_star, clean_gradient=clean_gradient,
              clean_example_gradient=clean_example_gradient, num_examples=setting.num_points,
              report=gradient.ball_report(setting.radius), radius=float(setting.radius))


def _strengths(config, problem, distance):
  """Return (C per α, C_max per α); infeasible α get the C of the smallest feasible α."""
  limits = np.array([float(gradient.feasible_strength(alpha, problem["radius"], problem["gradient_bound"],
                                                      distance)) for alpha in config.alphas])
  cap = config.strength_cap / config.learning_rate
  feasible = limits > 0
  fallback = min(limits[feasible].min(), cap) if feasible.any() else 0.1 * cap
  return np.where(feasible, np.minimum(limits, cap), fallback), limits


def simulate_problem(config, name, problem, key):
  """Simulate every α of the config and return (records, plot data)."""
  problem["gradient_bound"] = float(gradient.path_gradient_bound(
      problem["clean_gradient"], problem["theta0"], problem["theta_star"]))
  distance = float(jnp.linalg.norm(problem["theta0"] - problem["theta_star"]))
  strengths, limits = _strengths(config, problem, distance)
  alphas = np.array(config.alphas)

  def run(alpha, strength, run_key):
    return gradient.simulate(
        problem["clean_gradient"], problem["report"], problem["theta0"], problem["theta_star"],
        alpha, strength, config.learning_rate, config.num_steps,
        clean_example_gradient=problem["clean_example_gradient"],
        num_examples=problem["num_examples"], batch_size=config.batch_size, key=run_key)

  if config.batch_size:
    keys = jax.random.split(key, config.num_sgd_runs)
    over_runs = jax.vmap(run, in_axes=(None, None, 0))
    runs = jax.jit(jax.vmap(over_runs, in_axes=(0, 0, None)))(jnp.array(alphas), jnp.array(strengths), keys)
    # In expectation the iterates contract at the predicted rate, so the mean iterate over runs
    # follows it up to sampling error. Each run's own distance stalls at an SGD noise floor.
    mean_iterates = np.asarray(runs.path).mean(axis=1)
    tracked_distances = np.linalg.norm(mean_iterates - np.asarray(problem["theta_star"]), axis=2)
    run_distances = np.asarray(runs.distances).mean(axis=1)
    clipped_steps = np.asarray(runs.clipped).sum(axis=(1, 2))
  else:
    runs = jax.jit(jax.vmap(run, in_axes=(0, 0, None)))(jnp.array(alphas), jnp.array(strengths), key)
    tracked_distances = run_distances = np.asarray(runs.distances)
    clipped_steps = np.asarray(runs.clipped).sum(axis=1)

  logging.info("%s: ‖θ_0 − θ*‖ = %.3g, ball radius B = %.3g, path bound G = %.3g, feasible for α > %.3g.",
               name, distance, problem["radius"], problem["gradient_bound"],
               problem["gradient_bound"] / (problem["radius"] + problem["gradient_bound"]))
  records, curves = [], []
  for index, alpha in enumerate(alphas):
    predicted = np.asarray(gradient.predicted_distances(strengths[index], config.learning_rate,
                                                        config.num_steps, distance))
    records.append({
        "problem": name, "alpha": float(alpha), "strength": float(strengths[index]),
        "feasible_strength": float(limits[index]), "feasible": bool(limits[index] > 0),
        "radius": problem["radius"], "gradient_bound": problem["gradient_bound"],
        "initial_distance": distance, "distances": tracked_distances[index].tolist(),
        "mean_run_distances": run_distances[index].tolist(),
        "predicted_distances": predicted.tolist(), "clipped_steps": int(clipped_steps[index]),
        "batch_size": config.batch_size, "num_runs": config.num_sgd_runs if config.batch_size else 1,
    })
    curves.append((alpha, limits[index] > 0, tracked_distances[index], run_distances[index], predicted))
  return records, curves


def _plot(config, panels):
  figure, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
  for axis, (name, curves) in zip(axes[0], panels):
    steps = np.arange(config.num_steps + 1)
    for index, (alpha, feasible, distances, run_distances, predicted) in enumerate(curves):
      colour = f"C{index}"
      status = "" if feasible else ", infeasible"
      # Simulation as a wide translucent band, with the prediction drawn thin on top, so that
      # curves that coincide stay visible.
      axis.plot(steps, distances, color=colour, linewidth=4, alpha=0.4, zorder=2,
                label=f"α = {alpha:g}{status}")
      axis.plot(steps, predicted, color=colour, linestyle="--", linewidth=1.2, zorder=3)
      if config.batch_size:
        axis.plot(steps, run_distances, color=colour, linestyle=":", alpha=0.6)
    axis.plot([], [], color="black", linewidth=4, alpha=0.4, label="simulated")
    axis.plot([], [], color="black", linestyle="--", label="predicted |1 − ηC|^t·‖θ_0 − θ*‖")
    if config.batch_size:
      axis.plot([], [], color="black", linestyle=":", label="mean over runs of ‖θ_t − θ*‖")
    axis.set_yscale("log")
    axis.set_xlabel("step t")
    ylabel = f"‖mean of {config.num_sgd_runs} runs' θ_t − θ*‖" if config.batch_size else "‖θ_t − θ*‖"
    axis.set_ylabel(ylabel)
    axis.set_title(f"{name}: members {'report points' if name == 'logistic' else 'choose gradients in a ball'}")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
  method = f"SGD, batch {config.batch_size}" if config.batch_size else "gradient descent"
  figure.suptitle(f"Gradient control against {method}, η = {config.learning_rate:g}")
  figure.tight_layout()
  return figure


def run(config, workdir: str) -> list[dict]:
  """Simulate every problem of `config`, write the outputs and return the records."""
  validate_config(config)
  records, panels = [], []
  with jax.enable_x64(True):
    key = jax.random.key(config.seed)
    for index, name in enumerate(config.problems):
      problem_key, simulation_key = jax.random.split(jax.random.fold_in(key, index))
      build = logistic_problem if name == "logistic" else mlp_problem
      problem = build(config, problem_key)
      problem_records, curves = simulate_problem(config, name, problem, simulation_key)
      records += problem_records
      panels.append((name, curves))
  figure = _plot(config, panels)
  theory_common.write_outputs(workdir, config, records, figure, FIGURE_NAME)
  return records
