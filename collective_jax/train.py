"""The training step of one run, and the sweep step that trains many runs in one program.

A run is one (collective size α, seed) pair. The sweep step is `jax.vmap` of the single-run
step over a leading run axis of the parameters, optimizer state, PRNG keys, membership and data
order; the training data itself is shared by all runs and gathered on the device, so a compiled
call of several steps (`lax.scan`) needs no host round-trip.
"""

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import optax

from collective_jax import strategies as strategies_lib


@flax.struct.dataclass
class TrainData:
  """The training split, shared by all runs.

  input_ids: int32[N, L] clean tokens; signal_input_ids: int32[N, L] tokens of g(x);
  labels: float32[N, C] multi-hot label sets.
  """

  input_ids: jax.Array
  signal_input_ids: jax.Array
  labels: jax.Array


@flax.struct.dataclass
class RunInputs:
  """Per-run inputs that distinguish one run from another besides its state.

  member: bool[N], the run's collective; order: int32[epochs, N], the example order of each
  epoch.
  """

  member: jax.Array
  order: jax.Array


@flax.struct.dataclass
class RunState:
  """Parameters, optimizer state and dropout key of one run (or of R runs, stacked).

  dropout_key holds raw key data (`jax.random.key_data`), uint32[2] with the default PRNG
  implementation, so the state is a plain array tree that checkpoints can store.
  """

  params: Any
  opt_state: Any
  dropout_key: jax.Array


@dataclasses.dataclass(frozen=True)
class StepConfig:
  """Static settings of the training step.

  batch_size: examples per step and run; steps_per_epoch: N // batch_size (the last partial
  batch of an epoch is dropped); target: the column of y*; multi_label: sigmoid cross-entropy
  over all labels when True, else softmax cross-entropy against the normalised label set;
  pad_id: the padding token, masked out of attention.
  """

  batch_size: int
  steps_per_epoch: int
  target: int
  multi_label: bool = True
  pad_id: int = 0


def make_optimizer(
    learning_rate: float, total_steps: int, warmup_steps: int, weight_decay: float = 0.01
) -> optax.GradientTransformation:
  """AdamW with linear warm-up to `learning_rate` and linear decay to 0 at `total_steps`.

  Biases and layer-norm parameters (all 1-D leaves) get no weight decay, as in BERT.
  """
  warmup_steps = max(1, min(warmup_steps, total_steps - 1))
  schedule = optax.join_schedules(
      [optax.linear_schedule(0.0, learning_rate, warmup_steps),
       optax.linear_schedule(learning_rate, 0.0, max(1, total_steps - warmup_steps))],
      boundaries=[warmup_steps],
  )
  decay_mask = lambda params: jax.tree.map(lambda p: p.ndim > 1, params)
  return optax.adamw(schedule, weight_decay=weight_decay, mask=decay_mask)


def classification_loss(logits: jax.Array, labels: jax.Array, multi_label: bool) -> jax.Array:
  """Mean loss of float32[B, C] logits against multi-hot float32[B, C] labels."""
  if multi_label:
    return optax.sigmoid_binary_cross_entropy(logits, labels).mean()
  targets = labels / jnp.maximum(labels.sum(-1, keepdims=True), 1.0)
  return optax.softmax_cross_entropy(logits, targets).mean()


def gather_batch(data: TrainData, run: RunInputs, indices: jax.Array, pad_id: int) -> dict:
  """Gather the strategy's input batch (see `collective_jax.strategies`) for `indices`."""
  input_ids = data.input_ids[indices]
  signal_input_ids = data.signal_input_ids[indices]
  return {
      "input_ids": input_ids,
      "attention_mask": input_ids != pad_id,
      "signal_input_ids": signal_input_ids,
      "signal_attention_mask": signal_input_ids != pad_id,
      "labels": data.labels[indices],
      "member": run.member[indices],
  }


def make_train_step(
    model: nn.Module,
    tx: optax.GradientTransformation,
    strategy: Callable,
    config: StepConfig,
    batch_sharding: jax.sharding.Sharding | None = None,
) -> Callable[[RunState, RunInputs, TrainData, jax.Array], tuple[RunState, jax.Array]]:
  """Return the step of one run: (state, run, data, step) -> (new state, loss).

  `batch_sharding`, if given, constrains the gathered batch (leading axis B) to it, which
  splits each run's batch across a mesh's data axis; under `make_sweep_step` with
  `spmd_axis_name` the run axis is prepended to it.
  """

  def train_step(state: RunState, run: RunInputs, data: TrainData, step: jax.Array):
    epoch = step // config.steps_per_epoch
    start = (step % config.steps_per_epoch) * config.batch_size
    indices = jax.lax.dynamic_slice(run.order[epoch], (start,), (config.batch_size,))
    batch = gather_batch(data, run, indices, config.pad_id)
    if batch_sharding is not None:
      batch = jax.lax.with_sharding_constraint(batch, batch_sharding)
    batch = strategy(batch, target=config.target)
    dropout_key = jax.random.fold_in(jax.random.wrap_key_data(state.dropout_key), step)

    def loss_fn(params):
      logits = model.apply({"params": params}, batch["input_ids"], batch["attention_mask"],
                           deterministic=False, rngs={"dropout": dropout_key})
      return classification_loss(logits, batch["labels"], config.multi_label)

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return state.replace(params=params, opt_state=opt_state), loss

  return train_step


def make_sweep_step(train_step: Callable, spmd_axis_name: str | None = None) -> Callable:
  """vmap a single-run step over the leading run axis of the state and run inputs.

  With `spmd_axis_name` (a mesh axis), sharding constraints inside the step gain that axis
  for the run dimension, so runs stay split across the mesh's run axis.
  """
  return jax.vmap(train_step, in_axes=(0, 0, None, None), spmd_axis_name=spmd_axis_name)


def make_multi_step(step_fn: Callable, num_steps: int) -> Callable:
  """Return jit(state, run, data, first_step) -> (state, float32[num_steps, ...] losses).

  `num_steps` steps run inside one compiled call through `lax.scan`, and the state's buffers
  are donated, since both cut per-call overhead at small model sizes.
  """

  @functools.partial(jax.jit, donate_argnums=(0,))
  def multi_step(state, run, data, first_step):
    def body(state, offset):
      return step_fn(state, run, data, first_step + offset)

    return jax.lax.scan(body, state, jnp.arange(num_steps, dtype=jnp.int32))

  return multi_step


def init_run_state(model: nn.Module, tx: optax.GradientTransformation, init_key: jax.Array,
                   dropout_key: jax.Array, seq_len: int) -> RunState:
  """Initialise the parameters and optimizer state of one run."""
  dummy = jnp.zeros((1, seq_len), jnp.int32)
  params = model.init(init_key, dummy, dummy > 0)["params"]
  return RunState(params=params, opt_state=tx.init(params), dropout_key=dropout_key)


def make_predict(model: nn.Module, num_runs_axis: bool = True) -> Callable:
  """Return jit(params, input_ids, attention_mask) -> logits, vmapped over stacked runs.

  With the run axis, params have a leading axis R and the logits are float32[R, B, C].
  """

  def predict(params, input_ids, attention_mask):
    return model.apply({"params": params}, input_ids, attention_mask, deterministic=True)

  if num_runs_axis:
    predict = jax.vmap(predict, in_axes=(0, None, None))
  return jax.jit(predict)
