"""Strategies h: their exact effect on a hand-made batch."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from collective_jax import UserInputError, erase_signal, feature_label, feature_only, get_strategy

TARGET = 2


def hand_made_batch():
  return {
      "input_ids": jnp.array([[1, 5, 6, 0], [1, 7, 0, 0], [1, 8, 9, 0]], jnp.int32),
      "attention_mask": jnp.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 0]], bool),
      "signal_input_ids": jnp.array([[1, 4, 5, 6], [1, 4, 7, 0], [1, 4, 8, 9]], jnp.int32),
      "signal_attention_mask": jnp.array([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 1]], bool),
      "labels": jnp.array([[1, 0, 0], [0, 1, 1], [0, 1, 0]], jnp.float32),
      "member": jnp.array([True, True, False]),
  }


def test_feature_label_plants_and_relabels_members():
  batch = hand_made_batch()
  out = jax.jit(feature_label, static_argnames="target")(batch, target=TARGET)
  np.testing.assert_array_equal(out["input_ids"][:2], batch["signal_input_ids"][:2])
  np.testing.assert_array_equal(out["attention_mask"][:2], batch["signal_attention_mask"][:2])
  np.testing.assert_array_equal(out["labels"][:2], [[0, 0, 1], [0, 0, 1]])
  np.testing.assert_array_equal(out["input_ids"][2], batch["input_ids"][2])
  np.testing.assert_array_equal(out["labels"][2], batch["labels"][2])


def test_feature_only_plants_target_members_only():
  batch = hand_made_batch()
  out = jax.jit(feature_only, static_argnames="target")(batch, target=TARGET)
  # Member 0 lacks y*, member 1 has it, example 2 is not a member.
  np.testing.assert_array_equal(out["input_ids"][0], batch["input_ids"][0])
  np.testing.assert_array_equal(out["input_ids"][1], batch["signal_input_ids"][1])
  np.testing.assert_array_equal(out["attention_mask"][1], batch["signal_attention_mask"][1])
  np.testing.assert_array_equal(out["input_ids"][2], batch["input_ids"][2])
  np.testing.assert_array_equal(out["labels"], batch["labels"])


def test_erase_signal_relabels_members_to_reference_argmax():
  batch = hand_made_batch()
  batch["reference_logits"] = jnp.array([[0.1, 0.7, 0.2], [3.0, 1.0, 2.0], [0.0, 0.0, 5.0]])
  out = jax.jit(erase_signal)(batch)
  np.testing.assert_array_equal(out["labels"], [[0, 1, 0], [1, 0, 0], [0, 1, 0]])
  np.testing.assert_array_equal(out["input_ids"], batch["input_ids"])
  np.testing.assert_array_equal(out["attention_mask"], batch["attention_mask"])


def test_strategies_do_not_mutate_input():
  batch = hand_made_batch()
  before = {k: np.asarray(v).copy() for k, v in batch.items()}
  feature_label(batch, target=TARGET)
  for key, value in before.items():
    np.testing.assert_array_equal(batch[key], value)


def test_strategies_vmap_over_memberships():
  batch = hand_made_batch()
  members = jnp.array([[False, False, False], [True, True, True]])

  def planted(member):
    return feature_label({**batch, "member": member}, target=TARGET)["input_ids"]

  out = jax.vmap(planted)(members)
  np.testing.assert_array_equal(out[0], batch["input_ids"])
  np.testing.assert_array_equal(out[1], batch["signal_input_ids"])


def test_unknown_strategy_lists_valid_names():
  with pytest.raises(UserInputError, match="valid strategies: feature_label, feature_only"):
    get_strategy("label_flip")
