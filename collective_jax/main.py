"""Command-line entry point: parse flags, load the config, run its experiment.

    python -m collective_jax.main --config=configs/signal.py --workdir=runs/signal
    python -m collective_jax.main --config=configs/signal.py:smoke --config.epochs=2
"""

import logging as python_logging
import sys

from absl import app
from absl import flags
from absl import logging
from ml_collections import config_flags

from collective_jax import experiments

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
  config = _CONFIG.value
  try:
    experiment = experiments.get(config.experiment)
    experiment.run(config, _WORKDIR.value)
  except experiments.UserInputError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
  app.run(main)
