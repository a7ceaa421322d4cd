"""The package's public names, and the boundary between theory and model code."""

import subprocess
import sys

import collective_jax


def test_every_public_name_resolves():
  for name in collective_jax.__all__:
    assert getattr(collective_jax, name) is not None, name


def test_unknown_name_raises_attribute_error():
  try:
    collective_jax.not_a_name
  except AttributeError as error:
    assert "not_a_name" in str(error)
  else:
    raise AssertionError("expected AttributeError")


def test_theory_import_loads_no_model_or_data_code():
  code = ("import sys, collective_jax.theory; "
          "print(sorted(m for m in sys.modules if m.startswith('collective_jax')))")
  loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout
  for module in ("models", "train", "data", "sweep", "tokenization", "strategies", "signals"):
    assert f"collective_jax.{module}" not in loaded, loaded
