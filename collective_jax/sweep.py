"""Train every run of a sweep with one compiled program, checkpointing as it goes.

A sweep is the product of collective sizes α and seeds. Runs are trained in groups of
`runs_per_program` that share one compiled program (the last group is padded with copies of
its last run, whose results are discarded). Each group's state is checkpointed with orbax at
call boundaries, and results are appended as soon as a group finishes, so a killed sweep
restarted with the same command and workdir resumes where it stopped and computes the same
numbers.
"""

import dataclasses
import json
import pathlib
import time
from collections.abc import Callable, Sequence

from absl import logging
import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from collective_jax import distributed
from collective_jax import membership as membership_lib
from collective_jax import results as results_lib
from collective_jax import train as train_lib
from collective_jax.errors import UserInputError

# Sub-keys of a seed's key. Membership has its own key, so the collective does not change
# when the model or the data order do.
_MEMBERSHIP, _INIT, _ORDER, _DROPOUT = range(4)


class NonFiniteLossError(FloatingPointError):
  """The training loss of a run became NaN or infinite."""


@dataclasses.dataclass(frozen=True)
class Run:
  """One training run: its position in the sweep, collective size α and seed."""

  index: int
  alpha: float
  seed: int


def plan_runs(alphas: Sequence[float], seeds: Sequence[int]) -> list[Run]:
  """Return the runs of a sweep, seed-major: all α of seed 0, then of seed 1, ..."""
  return [Run(i, float(a), int(s)) for i, (s, a) in enumerate((s, a) for s in seeds for a in alphas)]


def seed_keys(seed: int) -> dict[str, jax.Array]:
  base = jax.random.key(seed)
  return {name: jax.random.fold_in(base, i) for i, name in
          enumerate(("membership", "init", "order", "dropout"))}


def run_inputs(runs: Sequence[Run], alphas: Sequence[float], num_examples: int,
               epochs: int) -> train_lib.RunInputs:
  """Stack membership and data order of `runs`: bool[R, N] and int32[R, epochs, N].

  Collectives of one seed are drawn together, so they are nested across α. All runs of a
  seed see the examples in the same order.
  """
  members, orders = [], []
  for run in runs:
    keys = seed_keys(run.seed)
    nested = membership_lib.sample_membership(keys["membership"], num_examples, alphas)
    members.append(nested[list(alphas).index(run.alpha)])
    orders.append(jnp.stack([
        jax.random.permutation(jax.random.fold_in(keys["order"], epoch), num_examples)
        for epoch in range(epochs)
    ]).astype(jnp.int32))
  return train_lib.RunInputs(member=jnp.stack(members), order=jnp.stack(orders))


@dataclasses.dataclass
class SweepProgram:
  """The compiled pieces that every group of runs shares.

  init_state: (init_key, dropout_key) -> RunState of one run.
  multi_step: a `train.make_multi_step` of the vmapped step with `steps_per_call` steps.
  last_step: the same for the remainder when total_steps is not a multiple, else None.
  evaluate: (stacked params, group runs) -> one metrics dict per run.
  mesh: the (runs, data) device mesh; the run axis of the state and run inputs is split
    across its run axis.
  """

  init_state: Callable
  multi_step: Callable
  last_step: Callable | None
  evaluate: Callable
  steps_per_call: int
  total_steps: int
  examples_per_step: int
  mesh: jax.sharding.Mesh


def _stack(states):
  return jax.tree.map(lambda *leaves: jnp.stack(leaves), *states)


def _group_state(program: SweepProgram, runs: Sequence[Run]) -> train_lib.RunState:
  states = []
  for run in runs:
    keys = seed_keys(run.seed)
    states.append(program.init_state(keys["init"], jax.random.key_data(keys["dropout"])))
  return distributed.place(_stack(states), distributed.run_sharding(program.mesh))


def _checkpoint_manager(directory: pathlib.Path) -> ocp.CheckpointManager:
  # Orbax writes each step to a temporary folder and renames it when complete, so a killed
  # process leaves either the previous or the new checkpoint.
  options = ocp.CheckpointManagerOptions(max_to_keep=2, create=True)
  return ocp.CheckpointManager(directory.absolute(), options=options)


def run_sweep(
    runs: Sequence[Run],
    program: SweepProgram,
    group_inputs: Callable[[Sequence[Run]], train_lib.RunInputs],
    data: train_lib.TrainData,
    workdir: pathlib.Path,
    runs_per_program: int,
    checkpoint_every_steps: int,
    log_every_seconds: float = 30.0,
    stop_after_steps: int | None = None,
) -> list[dict]:
  """Train and evaluate every run not yet in results.jsonl; return all result records.

  Args:
    runs: the sweep's runs, from `plan_runs`.
    program: the shared compiled functions.
    group_inputs: builds the stacked RunInputs of a group of runs.
    data: the training split, shared by all runs.
    workdir: the run folder (results.jsonl and checkpoints/ live there).
    runs_per_program: how many runs one compiled program trains at once; a multiple of the
      mesh's run axis.
    checkpoint_every_steps: save the group's state after the first call that ends at or past
      each multiple of this many steps.
    log_every_seconds: interval of progress lines.
    stop_after_steps: stop (as if killed) once a group passes this step; for tests.

  Raises:
    NonFiniteLossError: a loss became NaN or infinite; the last checkpoint before it is kept.
  """
  num_run_shards = program.mesh.shape[distributed.RUNS]
  if runs_per_program % num_run_shards:
    raise ValueError(f"runs_per_program={runs_per_program} is not a multiple of the mesh's "
                     f"{num_run_shards} run shards.")
  runs_per_program = _keep_group_size(workdir, runs_per_program, num_run_shards)
  done = {record["run_index"] for record in results_lib.read_results(workdir)}
  groups = [list(runs[i:i + runs_per_program]) for i in range(0, len(runs), runs_per_program)]
  pending = [g for g in groups if not all(run.index in done for run in g)]
  logging.info("Sweep: %d runs in %d groups of up to %d; %d groups left.", len(runs), len(groups),
               runs_per_program, len(pending))
  total_steps_left = len(pending) * program.total_steps
  progress = _Progress(total_steps_left, program.examples_per_step, log_every_seconds)

  for group in pending:
    group_index = groups.index(group)
    padded = group + [group[-1]] * (runs_per_program - len(group))
    inputs = distributed.place(group_inputs(padded), distributed.run_sharding(program.mesh))
    manager = _checkpoint_manager(workdir / "checkpoints" / f"group_{group_index:04d}")
    state, step = _restore_or_init(manager, program, padded)
    progress.skip(step)

    last_saved = step
    while step < program.total_steps:
      remaining = program.total_steps - step
      multi_step = program.multi_step if remaining >= program.steps_per_call else program.last_step
      num_steps = min(program.steps_per_call, remaining)
      state, losses = multi_step(state, inputs, data, jnp.int32(step))
      losses = distributed.to_host(losses)
      _check_finite(losses, step, padded)
      step += num_steps
      # Padding runs are left out of the examples/s; losses are averaged over real runs.
      progress.advance(num_steps, float(losses[-1][:len(group)].mean()), len(group))
      if step // checkpoint_every_steps > last_saved // checkpoint_every_steps or (
          step == program.total_steps):
        manager.save(step, args=ocp.args.StandardSave(state))
        manager.wait_until_finished()
        last_saved = step
      if stop_after_steps is not None and step >= stop_after_steps:
        manager.close()
        raise KeyboardInterrupt(f"Stopped after step {step} as requested.")

    metrics = program.evaluate(state.params, padded)
    for run, run_metrics in zip(group, metrics):
      record = {"run_index": run.index, "alpha": run.alpha, "seed": run.seed, **run_metrics}
      results_lib.append_result(workdir, record)
      logging.info("Run %d (α=%g, seed %d): %s", run.index, run.alpha, run.seed,
                   {k: v for k, v in run_metrics.items() if isinstance(v, (int, float))})
    manager.close()
  return results_lib.read_results(workdir)


GROUPS_FILE = "groups.json"


def _keep_group_size(workdir: pathlib.Path, runs_per_program: int, num_run_shards: int) -> int:
  """Return the group size that the workdir's checkpoints were written with, or record this one.

  The effective runs_per_program follows the number of devices, which can differ when a sweep
  is resumed on another machine or with other XLA_FLAGS. Checkpoints and finished groups only
  fit the grouping they were made with, so a resumed sweep keeps it.
  """
  path = workdir / "checkpoints" / GROUPS_FILE
  if path.exists():
    stored = json.loads(path.read_text())["runs_per_program"]
    if stored == runs_per_program:
      return stored
    if stored % num_run_shards:
      raise UserInputError(
          f"--workdir={str(workdir)!r} was started with groups of {stored} runs, which do not "
          f"split across the {num_run_shards} devices of this start. Resume with a number of "
          f"devices that divides {stored} (on a CPU, --config.mesh.cpu_devices={stored}, unless "
          f"XLA_FLAGS sets --xla_force_host_platform_device_count), or start a new --workdir.")
    logging.info("Keeping the workdir's groups of %d runs (this start would use %d) so that its "
                 "checkpoints fit.", stored, runs_per_program)
    return stored
  if results_lib.is_writer():
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs_per_program": runs_per_program}) + "\n")
  return runs_per_program


def _restore_or_init(manager, program, runs):
  fresh = _group_state(program, runs)
  latest = manager.latest_step()
  if latest is None:
    return fresh, 0
  state = manager.restore(latest, args=ocp.args.StandardRestore(fresh))
  logging.info("Resumed group from its checkpoint at step %d.", latest)
  return state, int(latest)


def _check_finite(losses: np.ndarray, first_step: int, runs: Sequence[Run]) -> None:
  """Raise NonFiniteLossError naming the first step and run whose loss is not finite."""
  bad = np.argwhere(~np.isfinite(losses))
  if bad.size:
    offset, run_position = bad[0]
    run = runs[run_position]
    raise NonFiniteLossError(
        f"Loss is {losses[offset, run_position]} at step {first_step + offset} of run "
        f"{run.index} (α={run.alpha}, seed {run.seed}). The sweep stopped; the last checkpoint "
        f"before this step is kept. Lower learning_rate or check the data."
    )


class _Progress:
  """Logs steps done, training examples per second of the real runs and the time left."""

  def __init__(self, total_steps: int, examples_per_run_step: int, every_seconds: float):
    self.total_steps = total_steps
    self.examples_per_run_step = examples_per_run_step
    self.every_seconds = every_seconds
    self.done = 0
    self.examples = 0
    self.start = time.perf_counter()
    self.start_done = 0
    self.start_examples = 0
    self.last_log = self.start
    self.first_call = True

  def skip(self, steps: int) -> None:
    self.done += steps
    self.start_done += steps

  def advance(self, steps: int, loss: float, runs: int) -> None:
    self.done += steps
    self.examples += steps * runs * self.examples_per_run_step
    now = time.perf_counter()
    if self.first_call:
      # The first call includes compilation, so rates start after it.
      self.first_call = False
      self.start, self.start_done, self.start_examples, self.last_log = (
          now, self.done, self.examples, now)
      return
    if now - self.last_log < self.every_seconds and self.done < self.total_steps:
      return
    self.last_log = now
    seconds = max(now - self.start, 1e-9)
    steps_per_second = (self.done - self.start_done) / seconds
    left = (self.total_steps - self.done) / max(steps_per_second, 1e-9)
    logging.info("Step %d/%d of the sweep, %.0f examples/s, loss %.4f, about %.0f s left.",
                 self.done, self.total_steps, (self.examples - self.start_examples) / seconds,
                 loss, left)
