"""Experiments that `collective_jax.main` runs, chosen by `config.experiment`.

Each experiment is a module with `run(config: ml_collections.ConfigDict, workdir: str)`.
Modules are imported only when chosen, so a theory experiment does not load the model code.
"""

import importlib
import types

from collective_jax.errors import UserInputError

_MODULES = {
    "signal": "collective_jax.experiments.signal",
    "theory_classification": "collective_jax.experiments.theory_classification",
    "theory_risk": "collective_jax.experiments.theory_risk",
    "theory_gradient": "collective_jax.experiments.theory_gradient",
}

__all__ = ["UserInputError", "get", "names"]


def names() -> list[str]:
  return sorted(_MODULES)


def get(name: str) -> types.ModuleType:
  """Import and return the experiment module registered under `name`."""
  if name not in _MODULES:
    raise UserInputError(
        f"config.experiment={name!r} is not a known experiment; valid names: {', '.join(names())}."
    )
  return importlib.import_module(_MODULES[name])
