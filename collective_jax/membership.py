"""Membership of the collective: the training examples that join it, for each collective size α."""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from collective_jax.errors import UserInputError


def collective_size(alpha: float, num_examples: int) -> int:
  """Return round(α·N) with halves rounded up, the number of members for fraction α."""
  return int(np.floor(alpha * num_examples + 0.5))


def check_alphas(alphas: Sequence[float], num_examples: int) -> None:
  """Raise UserInputError for α outside [0, 1), duplicates, or α > 0 with no member."""
  for alpha in alphas:
    if not 0.0 <= alpha < 1.0:
      raise UserInputError(
          f"alphas contains {alpha}, outside [0, 1); α is the fraction of the training set "
          f"in the collective, so use values such as 0.001 or 0.01."
      )
  duplicates = sorted({a for a in alphas if list(alphas).count(a) > 1})
  if duplicates:
    raise UserInputError(f"alphas contains duplicates {duplicates}; list each collective size once.")
  smallest = 1.0 / num_examples
  for alpha in alphas:
    if alpha > 0 and collective_size(alpha, num_examples) == 0:
      raise UserInputError(
          f"alphas contains {alpha}, but round({alpha}·{num_examples}) = 0 members. Use "
          f"α ≥ 1/N = {smallest:.3g} for at least one member of the {num_examples} examples."
      )


def sample_membership(key: jax.Array, num_examples: int, alphas: Sequence[float]) -> jax.Array:
  """Draw nested collectives: bool[len(alphas), num_examples].

  Each example gets a uniformly random rank from one permutation drawn with `key`; the
  collective of size n is the set of examples ranked below n. So each collective is a uniform
  random subset of size round(α·N), and for one key the collective of a smaller α is a subset
  of that of a larger α.
  """
  ranks = jax.random.permutation(key, num_examples)
  sizes = jnp.asarray([collective_size(a, num_examples) for a in alphas], dtype=jnp.int32)
  return ranks[None, :] < sizes[:, None]
