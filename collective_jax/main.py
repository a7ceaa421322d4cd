"""Command-line entry point: parse flags, load the config, run its experiment.

    python -m collective_jax.main --config=configs/signal.py --workdir=runs/signal
    python -m collective_jax.main --config=configs/signal.py:smoke --config.epochs=2
"""

import logging as python_logging
import re
import sys

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from collective_jax import distributed
from collective_jax import experiments
from collective_jax import sweep

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "Path to a config file, optionally with ':variant'.", lock_config=True
)
_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Folder for the config, results, plots and checkpoints of this run."
)
flags.mark_flags_as_required(["config", "workdir"])


class _QuietLibraries(python_logging.Filter):
  """Drop INFO lines of orbax, which logs every file of every checkpoint."""

  def filter(self, record):
    return record.levelno > python_logging.INFO or "/orbax/" not in record.pathname


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected positional arguments: {argv[1:]}")
  logging.get_absl_handler().addFilter(_QuietLibraries())
  try:
    config = _CONFIG.value
    experiment_name = config.experiment
  except OSError as error:
    # ml_collections reports a missing or broken config file only when the config is used.
    root = error
    while root.__cause__ is not None:
      root = root.__cause__
    detail = [line.strip() for line in str(root).splitlines() if line.strip()][-1]
    print(f"error: cannot load the --config file ({detail}). Pass an existing config file, "
          f"for example --config=configs/signal.py.", file=sys.stderr)
    sys.exit(2)
  try:
    if "mesh" in config:
      distributed.configure_cpu_devices(config.mesh.cpu_devices,
                                        len(config.alphas) * len(config.seeds))
    distributed.maybe_initialize()
    experiment = experiments.get(experiment_name)
    experiment.run(config, _WORKDIR.value)
  except experiments.UserInputError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
  except sweep.NonFiniteLossError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(3)


def parse_flags(argv: list[str]) -> list[str]:
  """Parse flags; report an invalid config file or override in one line instead of a traceback."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as error:
    lines = [line for line in str(error).splitlines() if line.strip()]
    # ml_collections embeds the config file's traceback. Its first and last lines name the
    # file and the exception, which is all a user needs.
    message = lines[0] if len(lines) < 2 else f"{lines[0]} {lines[-1]}"
    if "must have a value other than None" in message:
      message += " Pass it, for example --config=configs/signal.py --workdir=runs/signal."
    elif "invalid literal" in message or "could not convert" in message:
      message = message.rstrip(".") + ". Give a value of the field's type, as in the config file."
  except OSError as error:
    message = (f"cannot read the config file: {error}. Pass an existing file, for example "
               f"--config=configs/signal.py.")
  except (AttributeError, KeyError, TypeError, ValueError) as error:
    detail = str(error.args[0] if error.args else error)
    field = re.search(r"\w+", detail)
    suggestion = re.search(r"Did you mean\W+(\w+)", detail)
    message = f"invalid --config override: {field.group(0) if field else detail!r} is not a field"
    message += f"; did you mean {suggestion.group(1)!r}?" if suggestion else (
        "; see the config file's comments for the valid fields.")
  print(f"error: {message}", file=sys.stderr)
  sys.exit(2)


if __name__ == "__main__":
  app.run(main, flags_parser=parse_flags)
