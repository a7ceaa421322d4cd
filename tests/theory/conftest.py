"""Run every theory test in float64, so that no exact comparison is decided by rounding."""

import jax
import pytest


@pytest.fixture(autouse=True)
def float64():
  with jax.enable_x64(True):
    yield
