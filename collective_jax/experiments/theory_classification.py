"""Plant a signal on a finite universe: exact success, worst case and bounds against α.

For each signal uniqueness ξ of the config, the experiment builds a clean table p0 whose signal
rows carry mass ξ, and evaluates on a log grid of α the exact success of the Bayes classifier,
the worst case over ε-suboptimal classifiers, the closed-form bound, the staircase bound and
the finite-sample bound of a collective that pools its own n = round(α·N) samples. It writes
config.json, results.jsonl and theory_classification.png into the workdir.
"""

import functools

from absl import logging
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from collective_jax.experiments import theory_common
from collective_jax.theory import classification as cl

FIGURE_NAME = "theory_classification.png"
# The exact worst case enumerates subsets of at most this many signal rows.
MAX_SIGNAL_ROWS = 24


def validate_config(config) -> None:
  """Raise UserInputError for a config field that the experiment cannot use."""
  theory_common.require_positive_int("num_clean_rows", config.num_clean_rows)
  theory_common.require_positive_int("num_signal_rows", config.num_signal_rows, MAX_SIGNAL_ROWS)
  theory_common.require(
      isinstance(config.num_labels, int) and config.num_labels >= 2, "num_labels",
      config.num_labels, "use an integer of at least 2, so that the target has a rival.")
  theory_common.require(
      isinstance(config.target, int) and 0 <= config.target < config.num_labels, "target",
      config.target, f"use a label index in [0, {config.num_labels}).")
  theory_common.require(config.concentration > 0, "concentration", config.concentration,
                        "use a positive Dirichlet concentration.")
  theory_common.require(len(config.uniquenesses) > 0, "uniquenesses", config.uniquenesses,
                        "list at least one ξ in [0, 1).")
  for index, xi in enumerate(config.uniquenesses):
    theory_common.require_fraction(f"uniquenesses[{index}]", xi)
  theory_common.require_choice("strategy", config.strategy, cl.PLANT_STRATEGIES)
  theory_common.require_fraction("alpha_min", config.alpha_min, low_open=True)
  theory_common.require_fraction("alpha_max", config.alpha_max, low_open=True)
  theory_common.require(config.alpha_max > config.alpha_min, "alpha_max", config.alpha_max,
                        f"use a value above alpha_min={config.alpha_min}.")
  theory_common.require_positive_int("num_alphas", config.num_alphas)
  for index, epsilon in enumerate(config.epsilons):
    theory_common.require_nonnegative(f"epsilons[{index}]", epsilon)
  theory_common.require_fraction("success_level", config.success_level, low_open=True, high_open=False)
  theory_common.require_positive_int("num_train", config.num_train)
  theory_common.require_fraction("delta", config.delta, low_open=True)


def build_universe(config, xi):
  """Return (p0: float[X, Y], g: int[X]) with X = num_clean_rows + num_signal_rows.

  The clean rows carry mass 1 − ξ and the signal rows mass ξ; both are drawn with
  `config.seed`, so the tables for different ξ differ only in that split.
  """
  rng = np.random.default_rng(config.seed)
  num_clean, num_signal, num_labels = config.num_clean_rows, config.num_signal_rows, config.num_labels
  clean = rng.dirichlet(np.full(num_clean * num_labels, config.concentration))
  signal = rng.dirichlet(np.full(num_signal * num_labels, config.concentration))
  p0 = np.concatenate([(1 - xi) * clean, xi * signal]).reshape(num_clean + num_signal, num_labels)
  g = np.concatenate([num_clean + np.arange(num_clean) % num_signal,
                      num_clean + np.arange(num_signal)])
  return p0, g


@functools.partial(jax.jit, static_argnames=("strategy",))
def _curves(p0, g, target, alphas, epsilons, strategy):
  """Evaluate every curve on the α grid (and ε grid) in one compiled program."""
  def at_alpha(alpha):
    def at_epsilon(epsilon):
      return {
          "worst_case": cl.worst_case_plant_success(p0, g, target, alpha, epsilon, strategy,
                                                    max_items=MAX_SIGNAL_ROWS),
          "bound_epsilon": cl.plant_bound(p0, g, target, alpha, epsilon, strategy),
          "staircase": cl.staircase_plant_bound(p0, g, target, alpha, epsilon, strategy),
      }
    return {
        "exact": cl.plant_success(p0, g, target, alpha, strategy),
        "bound": cl.plant_bound(p0, g, target, alpha, 0.0, strategy),
        "by_epsilon": jax.vmap(at_epsilon)(epsilons),
    }
  return jax.vmap(at_alpha)(alphas)


@jax.jit
def _finite_sample_bounds(member_counts, g, target, num_train, epsilon, delta):
  return jax.vmap(lambda counts: cl.finite_sample_plant_bound(
      counts, g, target, num_train, epsilon, delta))(member_counts)


def _member_counts(config, p0, alphas):
  """Draw the collective's pooled data for each α: counts of n = max(1, round(α·N)) samples."""
  rng = np.random.default_rng(config.sample_seed)
  sizes = np.maximum(1, np.round(alphas * config.num_train)).astype(int)
  counts = np.stack([rng.multinomial(size, p0.ravel()) for size in sizes])
  return counts.reshape(len(alphas), *p0.shape).astype(float)


@functools.partial(jax.jit, static_argnames=("strategy", "epsilons"))
def _critical_mass_program(p0, g, target, level, strategy, epsilons):
  masses = {
      "exact": cl.critical_mass(p0, g, level, target, strategy=strategy),
      "bound": cl.critical_mass(p0, g, level, target, strategy=strategy, source="bound"),
  }
  for epsilon in epsilons:
    masses[f"worst_case_epsilon_{epsilon:g}"] = cl.critical_mass(
        p0, g, level, target, strategy=strategy, epsilon=epsilon, source="worst_case")
    masses[f"bound_epsilon_{epsilon:g}"] = cl.critical_mass(
        p0, g, level, target, strategy=strategy, epsilon=epsilon, source="bound")
  return masses


def _format_mass(alpha: float) -> str:
  """Format a critical mass for the log; bisection leaves 2^-64 where the infimum is 0."""
  return "0 (every α > 0 reaches it)" if 0 < alpha < 1e-15 else f"{alpha:.3g}"


def _critical_masses(config, p0, g):
  """Return the critical masses α*(S*) from the exact success, the bound and each worst case."""
  masses = _critical_mass_program(p0, g, config.target, config.success_level, config.strategy,
                                  tuple(float(epsilon) for epsilon in config.epsilons))
  return {name: float(value) for name, value in masses.items()}


def _plot(config, alphas, panels):
  columns = min(len(panels), 2)
  rows = -(-len(panels) // columns)
  figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4.2 * rows), squeeze=False)
  colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
  for axis, (xi, curves) in zip(axes.ravel(), panels):
    axis.plot(alphas, curves["exact"], color="black", label="exact, ε = 0")
    axis.plot(alphas, curves["bound"], color="black", linestyle="--", label="closed-form bound, ε = 0")
    for index, epsilon in enumerate(config.epsilons):
      colour = colours[index % len(colours)]
      by_epsilon = curves["by_epsilon"]
      axis.plot(alphas, by_epsilon["worst_case"][:, index], color=colour, label=f"worst case, ε = {epsilon:g}")
      axis.plot(alphas, by_epsilon["bound_epsilon"][:, index], color=colour, linestyle="--",
                label=f"closed-form bound, ε = {epsilon:g}")
      axis.plot(alphas, by_epsilon["staircase"][:, index], color=colour, linestyle=":",
                label=f"staircase bound, ε = {epsilon:g}")
    axis.plot(alphas, curves["finite_sample"], color="grey", linestyle="-.",
              label=f"finite-sample bound, ε = {config.epsilons[0]:g}, N = {config.num_train}")
    axis.set_xscale("log")
    axis.set_ylim(-0.02, 1.02)
    axis.set_xlabel("collective size α")
    axis.set_ylabel("success S(α)")
    axis.set_title(f"ξ = {xi:g}, Δ = {curves['delta']:.3f}")
    axis.grid(alpha=0.3)
  for axis in axes.ravel()[len(panels):]:
    axis.axis("off")
  axes[0, 0].legend(fontsize=7, loc="lower right")
  figure.suptitle(f"Planting a signal ({config.strategy}): exact, worst-case and bounded success")
  figure.tight_layout()
  return figure


def run(config, workdir: str) -> list[dict]:
  """Evaluate the curves for every ξ of `config`, write the outputs, return the records."""
  validate_config(config)
  with jax.enable_x64(True):
    alphas = np.geomspace(config.alpha_min, config.alpha_max, config.num_alphas)
    epsilons = np.array(config.epsilons if config.epsilons else (0.0,), dtype=float)
    records, panels = [], []
    for xi in config.uniquenesses:
      p0, g = build_universe(config, xi)
      curves = jax.device_get(_curves(p0, g, config.target, alphas, epsilons, config.strategy))
      counts = _member_counts(config, p0, alphas)
      curves["finite_sample"] = np.asarray(_finite_sample_bounds(
          counts, g, config.target, float(config.num_train), float(epsilons[0]), config.delta))
      curves["delta"] = float(cl.signal_gap(p0, g, config.target))
      masses = _critical_masses(config, p0, g)
      logging.info("ξ = %g: Δ = %.4f, critical mass for S* = %g: exact %s, bound %s.",
                   xi, curves["delta"], config.success_level, _format_mass(masses["exact"]),
                   _format_mass(masses["bound"]))

      for index, alpha in enumerate(alphas):
        record = {"record": "curve", "xi": float(xi), "delta": curves["delta"], "alpha": float(alpha),
                  "exact": float(curves["exact"][index]), "bound": float(curves["bound"][index]),
                  "finite_sample_bound": float(curves["finite_sample"][index]),
                  "finite_sample_epsilon": float(epsilons[0])}
        for epsilon_index, epsilon in enumerate(config.epsilons):
          for key in ("worst_case", "bound_epsilon", "staircase"):
            record[f"{key}_{epsilon:g}"] = float(curves["by_epsilon"][key][index, epsilon_index])
        records.append(record)
      records.append({"record": "critical_mass", "xi": float(xi), "level": config.success_level,
                      **{f"alpha_{name}": value for name, value in masses.items()}})
      panels.append((xi, curves))

  figure = _plot(config, alphas, panels)
  theory_common.write_outputs(workdir, config, records, figure, FIGURE_NAME)
  return records
