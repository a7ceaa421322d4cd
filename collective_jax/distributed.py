"""Devices and hosts: the mesh that shards the run axis, and multi-host start-up."""

import os

from absl import logging
import jax
from jax.experimental import multihost_utils
from jax.sharding import Mesh
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec
import numpy as np

from collective_jax.errors import UserInputError

RUNS, DATA = "runs", "data"
# Variables that mark a launch of several processes, where jax.distributed can find its peers.
_CLUSTER_VARIABLES = ("JAX_COORDINATOR_ADDRESS", "COORDINATOR_ADDRESS")


def maybe_initialize() -> bool:
  """Call `jax.distributed.initialize()` when the environment describes several processes.

  That is a coordinator address, a SLURM job with more than one task, or a TPU slice with
  several workers. Returns whether it was called.

  Under SLURM, JAX 0.10 gives each process only the GPU numbered $SLURM_LOCALID unless
  $JAX_LOCAL_DEVICE_IDS lists the GPUs; launch/slurm.sh sets it for one process per node.
  """
  slurm_tasks = int(os.environ.get("SLURM_NTASKS", "1") or 1)
  tpu_workers = os.environ.get("TPU_WORKER_HOSTNAMES", "")
  if not (any(v in os.environ for v in _CLUSTER_VARIABLES) or slurm_tasks > 1
          or "," in tpu_workers):
    return False
  jax.distributed.initialize()
  logging.info("jax.distributed: process %d of %d, %d local and %d global devices.",
               jax.process_index(), jax.process_count(), jax.local_device_count(),
               jax.device_count())
  return True


def configure_cpu_devices(requested: int, num_runs: int) -> int | None:
  """Split the CPU into JAX devices, so that runs sharded across them train in parallel.

  Must run before the first JAX computation. `requested` is the number of devices, or 0 for one
  per core available to this process, at most `num_runs`. Leaves JAX's setting alone and
  returns None when XLA_FLAGS sets --xla_force_host_platform_device_count or JAX has already
  started its backends; otherwise returns the number of CPU devices. Other backends (GPU, TPU)
  are not affected.
  """
  if requested < 0:
    raise UserInputError(f"mesh.cpu_devices={requested} is negative; use 0 for one device per "
                         f"core, or the number of CPU devices.")
  if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
    if requested:
      logging.warning("XLA_FLAGS sets --xla_force_host_platform_device_count, which takes "
                      "precedence over mesh.cpu_devices=%d.", requested)
    return None
  cores = available_cores()
  count = requested or max(1, min(cores, num_runs))
  if count > cores:
    logging.warning("mesh.cpu_devices=%d is more than the %d cores available, so devices will "
                    "share cores.", count, cores)
  try:
    jax.config.update("jax_num_cpu_devices", count)
  except RuntimeError:
    # Raised once a JAX computation has run in this process, as when a notebook or a test
    # runs several experiments: the devices JAX started with stay.
    logging.info("JAX has already started, so mesh.cpu_devices=%d leaves its %d CPU devices as "
                 "they are.", requested, jax.local_device_count("cpu"))
    return None
  return count


def available_cores() -> int:
  """Return the cores this process may run on (all cores where the OS has no affinity API)."""
  if hasattr(os, "sched_getaffinity"):
    return len(os.sched_getaffinity(0))
  return os.cpu_count() or 1


def make_mesh(data_shards: int = 1, devices=None) -> Mesh:
  """Return a (runs, data) mesh over all devices with `data_shards` devices on the data axis."""
  devices = list(jax.devices() if devices is None else devices)
  if data_shards < 1 or len(devices) % data_shards:
    raise UserInputError(
        f"mesh.data_shards={data_shards} must be a positive divisor of the {len(devices)} devices.")
  grid = np.asarray(devices).reshape(len(devices) // data_shards, data_shards)
  return Mesh(grid, (RUNS, DATA))


def run_sharding(mesh: Mesh) -> NamedSharding:
  """Sharding of arrays with a leading run axis: split across the mesh's run axis."""
  return NamedSharding(mesh, PartitionSpec(RUNS))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh) -> NamedSharding | None:
  """Sharding of one run's batch (leading axis B) over the data axis, or None without one."""
  if mesh.shape[DATA] == 1:
    return None
  return NamedSharding(mesh, PartitionSpec(DATA))


def place(tree, sharding: NamedSharding):
  """Put host arrays (identical on every process) on the mesh with `sharding`.

  Built from a callback, so it works for one process and for several.
  """

  def put(x):
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

  return jax.tree.map(put, tree)


def to_host(x) -> np.ndarray:
  """Return a global array as one NumPy array on every process."""
  if jax.process_count() > 1:
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
  return np.asarray(x)
