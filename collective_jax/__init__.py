"""collective_jax: algorithmic collective action in JAX.

Signals, strategies, membership sampling, the encoder classifier, the vmapped sweep step and
the metrics are importable from here; the theory lives in `collective_jax.theory`. Names are
imported on first use, so `import collective_jax.theory` does not load the model code.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "collective_jax.errors": ["UserInputError"],
    "collective_jax.membership": ["check_alphas", "collective_size", "sample_membership"],
    "collective_jax.metrics": ["seed_interval", "success_rate", "top1_accuracy",
                               "wilson_interval"],
    "collective_jax.models": ["PRESETS", "EncoderClassifier", "EncoderConfig", "encoder_config",
                              "load_pretrained"],
    "collective_jax.signals": ["SIGNALS", "CharacterEveryKWords", "WordAtRandomPositions",
                               "build_signal", "signal_token_report"],
    "collective_jax.strategies": ["STRATEGIES", "erase_signal", "feature_label", "feature_only",
                                  "get_strategy"],
    "collective_jax.train": ["RunInputs", "RunState", "StepConfig", "TrainData",
                             "classification_loss", "init_run_state", "make_multi_step",
                             "make_optimizer", "make_predict", "make_sweep_step",
                             "make_train_step"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
  if name not in _MODULE_OF:
    raise AttributeError(f"module 'collective_jax' has no attribute {name!r}")
  value = getattr(importlib.import_module(_MODULE_OF[name]), name)
  globals()[name] = value
  return value


def __dir__():
  return sorted(set(globals()) | set(__all__))
