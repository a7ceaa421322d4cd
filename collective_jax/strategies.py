"""Strategies h: how members of the collective change their own training examples.

A batch is a dict of arrays for B examples of sequence length L and C labels:

  input_ids:             int32[B, L]   the clean tokens of x
  attention_mask:        bool[B, L]    True on real tokens of input_ids
  signal_input_ids:      int32[B, L]   the tokens of g(x)
  signal_attention_mask: bool[B, L]    True on real tokens of signal_input_ids
  labels:                float32[B, C] multi-hot label set of y
  member:                bool[B]       True for members of the collective

A strategy returns the batch that the firm observes: the same keys, with `input_ids`,
`attention_mask` and `labels` replaced for members. Strategies are pure and jit-able.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from collective_jax.errors import UserInputError

Batch = dict[str, jnp.ndarray]
Strategy = Callable[..., Batch]


def _plant(batch: Batch, where: jnp.ndarray) -> Batch:
  out = dict(batch)
  out["input_ids"] = jnp.where(where[:, None], batch["signal_input_ids"], batch["input_ids"])
  out["attention_mask"] = jnp.where(
      where[:, None], batch["signal_attention_mask"], batch["attention_mask"])
  return out


def feature_label(batch: Batch, target: int) -> Batch:
  """h(x, y) = (g(x), y*): members plant the signal and set their label set to {y*}."""
  out = _plant(batch, batch["member"])
  one_hot = jnp.zeros_like(batch["labels"]).at[:, target].set(1.0)
  out["labels"] = jnp.where(batch["member"][:, None], one_hot, batch["labels"])
  return out


def feature_only(batch: Batch, target: int) -> Batch:
  """h(x, y) = (g(x), y) if y* is in y, else (x, y): labels stay, only y* members plant."""
  plants = batch["member"] & (batch["labels"][:, target] > 0)
  return _plant(batch, plants)


def erase_signal(batch: Batch, target: int | None = None) -> Batch:
  """h(x, y) = (x, argmax_y' P0(y' | g(x))): members keep x and take the label preferred at g(x).

  The batch must also hold `reference_logits: float32[B, C]`, the logits of a classifier of
  the clean data evaluated at g(x), which stand in for P0(· | g(x)). Members' label sets become
  the one-hot argmax of those logits; features and non-members are unchanged.
  """
  del target
  preferred = jax.nn.one_hot(jnp.argmax(batch["reference_logits"], axis=-1),
                             batch["labels"].shape[-1], dtype=batch["labels"].dtype)
  out = dict(batch)
  out["labels"] = jnp.where(batch["member"][:, None], preferred, batch["labels"])
  return out


def no_action(batch: Batch, target: int) -> Batch:
  """h(x, y) = (x, y): the baseline where members change nothing."""
  del target
  return dict(batch)


STRATEGIES: dict[str, Strategy] = {
    "feature_label": feature_label,
    "feature_only": feature_only,
    "erase_signal": erase_signal,
    "none": no_action,
}


def get_strategy(name: str) -> Strategy:
  if name not in STRATEGIES:
    raise UserInputError(f"strategy={name!r} is unknown; valid strategies: {', '.join(STRATEGIES)}.")
  return STRATEGIES[name]
