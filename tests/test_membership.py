"""Membership: sizes, nesting across α, and the α checks."""

import jax
import numpy as np
import pytest

from collective_jax import UserInputError, check_alphas, collective_size, sample_membership


def test_sizes_are_rounded_alpha_n():
  alphas = [0.0, 0.001, 0.0125, 0.5]
  members = np.asarray(sample_membership(jax.random.key(0), 1000, alphas))
  assert members.shape == (4, 1000)
  assert list(members.sum(axis=1)) == [0, 1, 13, 500]
  assert collective_size(0.0125, 1000) == 13


def test_collectives_are_nested():
  alphas = [0.01, 0.05, 0.2, 0.6]
  members = np.asarray(sample_membership(jax.random.key(3), 500, alphas))
  for smaller, larger in zip(members[:-1], members[1:]):
    assert np.all(larger[smaller])


def test_keys_give_different_collectives():
  first = np.asarray(sample_membership(jax.random.key(0), 1000, [0.1]))
  second = np.asarray(sample_membership(jax.random.key(1), 1000, [0.1]))
  again = np.asarray(sample_membership(jax.random.key(0), 1000, [0.1]))
  np.testing.assert_array_equal(first, again)
  assert not np.array_equal(first, second)


def test_membership_is_uniform():
  hits = np.zeros(20)
  for seed in range(400):
    hits += np.asarray(sample_membership(jax.random.key(seed), 20, [0.25]))[0]
  # Each example joins with probability 5/20; 400 draws give a standard deviation of about 8.7.
  assert np.all(np.abs(hits - 100) < 45)


@pytest.mark.parametrize("alphas, expected", [
    ([0.0, 1.0], r"contains 1.0, outside \[0, 1\)"),
    ([-0.1], "outside"),
    ([0.01, 0.01], "duplicates"),
    ([0.0001], r"round\(0.0001·1000\) = 0 members. Use α ≥ 1/N = 0.001"),
])
def test_check_alphas_rejects(alphas, expected):
  with pytest.raises(UserInputError, match=expected):
    check_alphas(alphas, 1000)
