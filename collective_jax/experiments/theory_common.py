"""Config checks and output files shared by the theory experiments.

Each theory experiment recomputes all of its records in one run (they take seconds), so a
rerun in the same workdir replaces results.jsonl and the figure instead of appending.
"""

import math
import pathlib

from absl import logging
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from collective_jax import results as results_lib  # noqa: E402
from collective_jax.errors import UserInputError  # noqa: E402


def require(condition: bool, field: str, value, fix: str) -> None:
  """Raise UserInputError naming `config.field`, its value and the fix unless `condition`."""
  if not condition:
    raise UserInputError(f"config.{field}={value!r} is invalid: {fix}")


def _is_finite_number(value) -> bool:
  return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def require_fraction(field: str, value, low_open: bool = False, high_open: bool = True) -> None:
  """Require `value` to be a number in [0, 1), or (0, 1) with `low_open`, or [0, 1] without `high_open`."""
  is_number = _is_finite_number(value)
  low_ok = is_number and (value > 0 if low_open else value >= 0)
  high_ok = is_number and (value < 1 if high_open else value <= 1)
  left = "(" if low_open else "["
  right = ")" if high_open else "]"
  interval = f"{left}0, 1{right}"
  require(low_ok and high_ok, field, value, f"use a number in {interval}.")


def require_nonnegative(field: str, value) -> None:
  """Require `value` to be a finite number ≥ 0."""
  require(_is_finite_number(value) and value >= 0, field, value, "use a number ≥ 0, for example "
          f"--config.{field.split('[')[0]}='(0.0,0.01)'.")


def require_positive_int(field: str, value, maximum: int | None = None) -> None:
  valid = isinstance(value, int) and not isinstance(value, bool) and value >= 1
  valid = valid and (maximum is None or value <= maximum)
  limit = f" and at most {maximum}" if maximum is not None else ""
  require(valid, field, value, f"use an integer of at least 1{limit}.")


def require_choice(field: str, value, choices) -> None:
  require(value in choices, field, value, f"use one of {', '.join(map(repr, choices))}.")


def write_outputs(workdir, config, records: list[dict], figure, figure_name: str) -> pathlib.Path:
  """Write config.json, results.jsonl (replacing an old one) and the figure into `workdir`.

  Returns the path of the PNG.

  Raises:
    UserInputError: `workdir` contains the config.json of a different config.
  """
  workdir = pathlib.Path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  results_lib.check_or_write_config(workdir, config.to_dict())
  results_path = workdir / results_lib.RESULTS_FILE
  results_path.unlink(missing_ok=True)
  for record in records:
    results_lib.append_result(workdir, record)
  figure_path = workdir / figure_name
  figure.savefig(figure_path, dpi=120, bbox_inches="tight")
  plt.close(figure)
  logging.info("Wrote %s, %d result lines to %s and the figure %s.",
               workdir / results_lib.CONFIG_FILE, len(records), results_path, figure_path)
  return figure_path
