"""The run axis sharded over several host devices gives the one-device results."""

import json
import os
import subprocess
import sys

import pytest

from collective_jax import distributed
from collective_jax.errors import UserInputError
from tests.helpers import ROOT, assert_results_close, smoke_run_to_end


@pytest.fixture(scope="module")
def one_device_reference(real_corpus_path, tmp_path_factory, smoke_cache_dir) -> str:
  return smoke_run_to_end(real_corpus_path, tmp_path_factory.mktemp("one_device"), smoke_cache_dir,
                          "--config.mesh.cpu_devices=1")


@pytest.mark.parametrize("devices, data_shards", [(4, 1), (8, 2)])
def test_sharded_matches_one_device(real_corpus_path, tmp_path, smoke_cache_dir,
                                    one_device_reference, devices, data_shards):
  flags = f"--xla_force_host_platform_device_count={devices}"
  sharded = smoke_run_to_end(real_corpus_path, tmp_path / "sharded", smoke_cache_dir,
                             f"--config.mesh.data_shards={data_shards}", env={"XLA_FLAGS": flags})
  config = json.loads((tmp_path / "sharded" / "config.json").read_text())
  assert config["mesh"]["data_shards"] == data_shards
  assert_results_close(one_device_reference, sharded)


def test_cpu_devices_match_one_device(one_device_reference, smoke_reference):
  # smoke_reference runs with mesh.cpu_devices=0, one device per core.
  assert_results_close(one_device_reference, smoke_reference)


def _devices_in_subprocess(requested: int, num_runs: int, xla_flags: str = "") -> list[str]:
  code = ("from collective_jax import distributed\n"
          f"print(distributed.configure_cpu_devices({requested}, {num_runs}))\n"
          "import jax\n"
          "print(jax.device_count())\n")
  env = {**os.environ, "XLA_FLAGS": xla_flags, "JAX_PLATFORMS": "cpu"}
  completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
  assert completed.returncode == 0, completed.stderr[-2000:]
  return completed.stdout.split()


@pytest.mark.parametrize("requested, num_runs, expected", [
    (3, 7, 3),
    (0, 1, 1),
    (0, 1000, len(os.sched_getaffinity(0))),
])
def test_configure_cpu_devices_count(requested, num_runs, expected):
  assert _devices_in_subprocess(requested, num_runs) == [str(expected), str(expected)]


def test_configure_cpu_devices_yields_to_xla_flags():
  flags = "--xla_force_host_platform_device_count=5"
  assert _devices_in_subprocess(2, 7, flags) == ["None", "5"]


def test_configure_cpu_devices_after_start():
  import jax
  jax.numpy.zeros(1).block_until_ready()
  assert distributed.configure_cpu_devices(2, 7) is None


def test_configure_cpu_devices_rejects_negative():
  with pytest.raises(UserInputError, match="mesh.cpu_devices=-1"):
    distributed.configure_cpu_devices(-1, 7)
