"""collective_jax: algorithmic collective action in JAX.

Signals, strategies, membership sampling, the encoder classifier, the vmapped sweep step and
the metrics are importable from here; the theory lives in `collective_jax.theory`.
"""

from collective_jax.errors import UserInputError
from collective_jax.membership import check_alphas
from collective_jax.membership import collective_size
from collective_jax.membership import sample_membership
from collective_jax.metrics import seed_interval
from collective_jax.metrics import success_rate
from collective_jax.metrics import top1_accuracy
from collective_jax.metrics import wilson_interval
from collective_jax.models import PRESETS
from collective_jax.models import EncoderClassifier
from collective_jax.models import EncoderConfig
from collective_jax.models import encoder_config
from collective_jax.signals import SIGNALS
from collective_jax.signals import CharacterEveryKWords
from collective_jax.signals import WordAtRandomPositions
from collective_jax.signals import build_signal
from collective_jax.signals import signal_token_report
from collective_jax.strategies import STRATEGIES
from collective_jax.strategies import erase_signal
from collective_jax.strategies import feature_label
from collective_jax.strategies import feature_only
from collective_jax.strategies import get_strategy
from collective_jax.train import RunInputs
from collective_jax.train import RunState
from collective_jax.train import StepConfig
from collective_jax.train import TrainData
from collective_jax.train import classification_loss
from collective_jax.train import init_run_state
from collective_jax.train import make_multi_step
from collective_jax.train import make_optimizer
from collective_jax.train import make_predict
from collective_jax.train import make_sweep_step
from collective_jax.train import make_train_step

__version__ = "0.1.0"

__all__ = [
    "PRESETS", "SIGNALS", "STRATEGIES", "CharacterEveryKWords", "EncoderClassifier",
    "EncoderConfig", "RunInputs", "RunState", "StepConfig", "TrainData", "UserInputError",
    "WordAtRandomPositions", "build_signal", "check_alphas", "classification_loss",
    "collective_size", "encoder_config", "erase_signal", "feature_label", "feature_only", "get_strategy",
    "init_run_state", "make_multi_step", "make_optimizer", "make_predict", "make_sweep_step",
    "make_train_step", "sample_membership", "seed_interval", "signal_token_report",
    "success_rate", "top1_accuracy", "wilson_interval",
]
