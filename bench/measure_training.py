"""Training throughput: the sweep program, single runs in sequence, a PyTorch loop, matmul peak.

Each `measure_*` function measures in the calling process and returns a dict of plain numbers.
`benchmark.py` runs each in a fresh subprocess, so peak memory is per configuration and no
configuration inherits another's thread pools or caches.
"""

import contextlib
import dataclasses
import functools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from workload import LEVERS
from workload import Variant
from workload import Workload
from workload import attention_variant
from workload import changes_process
from workload import plan_benchmark_runs
from workload import synthetic_arrays

# The fraction of training examples that plant the signal in the PyTorch loop's data. The JAX
# programs draw their collectives from the main job's α values instead. Either way the
# strategy costs one select per token, which is negligible next to the model.
TORCH_COLLECTIVE_FRACTION = 0.02


def training_flops_per_example(config, seq_len: int, last_layer_all_tokens: bool = False) -> float:
  """Count the matmul FLOPs of training on one example: forward plus backward = 3 × forward.

  With L = seq_len, H = hidden size, I = intermediate size, C = labels and a multiply-add
  counted as 2 FLOPs, the forward pass of one example is

    per layer:  query, key, value and output projections   4 · 2·L·H·H
                attention scores Q·Kᵀ and context P·V       2 · 2·L·L·H  (all heads together)
                feed-forward, H → I and I → H               2 · 2·L·H·I
    last layer, first token only (the library's model):
                key and value projections                   2 · 2·L·H·H
                query and output projections                2 · 2·H·H
                attention of one query                      2 · 2·L·H
                feed-forward                                2 · 2·H·I
    head:       dense layer and classifier on the first token   2·H·H + 2·H·C

  The backward pass computes two matmuls per forward matmul (the gradients with respect to
  its input and to its weights or second operand), so it counts 2 × forward. Embedding
  lookups, layer norms, softmax, GELU, the loss and the optimizer are not counted.

  Args:
    config: an `EncoderConfig` (hidden_size, num_layers, intermediate_size, num_labels).
    seq_len: tokens per example.
    last_layer_all_tokens: count the last layer at every position, as a model that does not
      skip the positions its head ignores (PyTorch's BertForSequenceClassification) computes.
  """
  length, hidden, inner = seq_len, config.hidden_size, config.intermediate_size
  per_layer = 4 * 2 * length * hidden * hidden + 2 * 2 * length * length * hidden + (
      2 * 2 * length * hidden * inner)
  first_token_layer = (2 * 2 * length * hidden * hidden + 2 * 2 * hidden * hidden
                       + 2 * 2 * length * hidden + 2 * 2 * hidden * inner)
  last_layer = per_layer if last_layer_all_tokens else first_token_layer
  head = 2 * hidden * hidden + 2 * hidden * config.num_labels
  forward = (config.num_layers - 1) * per_layer + last_layer + head
  return 3.0 * forward


def peak_rss_mib() -> float:
  """Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB)."""
  import resource
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
  """Resident memory of this process now, in MiB, from /proc/self/status."""
  with open("/proc/self/status") as status:
    for line in status:
      if line.startswith("VmRSS:"):
        return int(line.split()[1]) / 1024
  return float("nan")


def make_multi_step_without_donation(step_fn, num_steps: int):
  """`train.make_multi_step` with the same scan but no buffer donation, for the donation lever."""
  import jax
  import jax.numpy as jnp

  @jax.jit
  def multi_step(state, run, data, first_step):
    def body(state, offset):
      return step_fn(state, run, data, first_step + offset)

    return jax.lax.scan(body, state, jnp.arange(num_steps, dtype=jnp.int32))

  return multi_step


def _training_setup(workload: Workload, variant: Variant):
  """Model, optimizer, single-run step and shared data of the library's training program."""
  import jax.numpy as jnp
  from collective_jax import models
  from collective_jax import strategies
  from collective_jax import train as train_lib

  if variant.dropout_rate is not None:
    workload = dataclasses.replace(workload, dropout_rate=variant.dropout_rate)
  model = models.EncoderClassifier(workload.encoder_config())
  total_steps = workload.total_steps
  tx = train_lib.make_optimizer(workload.learning_rate, total_steps,
                                int(workload.warmup_fraction * total_steps), workload.weight_decay)
  step_config = train_lib.StepConfig(batch_size=workload.batch_size, steps_per_epoch=total_steps,
                                     target=workload.target, multi_label=True, pad_id=0)
  train_step = train_lib.make_train_step(model, tx, strategies.feature_label, step_config)
  arrays = synthetic_arrays(workload)
  data = train_lib.TrainData(input_ids=jnp.asarray(arrays["input_ids"]),
                             signal_input_ids=jnp.asarray(arrays["signal_input_ids"]),
                             labels=jnp.asarray(arrays["labels"]))
  return model, tx, train_step, data


def _init_states(model, tx, runs, seq_len):
  import jax
  from collective_jax import sweep as sweep_lib
  from collective_jax import train as train_lib

  init = jax.jit(lambda init_key, dropout_key: train_lib.init_run_state(
      model, tx, init_key, dropout_key, seq_len))
  states = []
  for run in runs:
    keys = sweep_lib.seed_keys(run.seed)
    states.append(init(keys["init"], jax.random.key_data(keys["dropout"])))
  return states


def _positions(variant: Variant):
  """Context of the model's last-layer positions: the library's, or every position."""
  from collective_jax.models import bert
  return bert.all_positions() if variant.all_positions else contextlib.nullcontext()


def _compile(multi_step, *args):
  """Return (compiled, seconds to trace and lower, seconds to compile)."""
  start = time.perf_counter()
  lowered = multi_step.lower(*args)
  lowered_at = time.perf_counter()
  compiled = lowered.compile()
  return compiled, lowered_at - start, time.perf_counter() - lowered_at


def _run_calls(compiled, state, inputs, data, first_step, num_calls, steps_per_call):
  """Run `num_calls` compiled calls and read each call's losses, as `sweep.run_sweep` does."""
  import jax
  import jax.numpy as jnp

  for call in range(num_calls):
    state, losses = compiled(state, inputs, data, jnp.int32(first_step + call * steps_per_call))
    losses = np.asarray(losses)
  jax.block_until_ready(state)
  if not np.all(np.isfinite(losses)):
    raise FloatingPointError(f"The benchmark's training loss is not finite: {losses}.")
  return state, losses


def _check_steps(workload: Workload, steps_per_call: int) -> int:
  if workload.steps % steps_per_call:
    raise ValueError(f"steps={workload.steps} is not a multiple of steps_per_call={steps_per_call}; "
                     f"choose steps as a multiple so every configuration runs the same steps.")
  return workload.steps // steps_per_call


@dataclasses.dataclass
class SweepProgram:
  """A compiled sweep program with its state and inputs, ready to time.

  num_calls compiled calls of steps_per_call steps make up the timed steps of one run.
  """

  compiled: Callable
  state: Any
  inputs: Any
  data: Any
  num_runs: int
  steps_per_call: int
  num_calls: int
  trace_seconds: float
  compile_seconds: float


def build_sweep_program(workload: Workload, num_runs: int, variant: Variant = Variant()) -> SweepProgram:
  """Compile the sweep program of `num_runs` runs with `variant`, and run one warm-up call.

  As in the main job, the run axis is split across a mesh of all of JAX's devices. The worker
  sets their number (`Variant.cpu_devices`) before JAX starts.
  """
  import jax
  from collective_jax import distributed
  from collective_jax import sweep as sweep_lib
  from collective_jax import train as train_lib

  steps_per_call = variant.steps_per_call or workload.steps_per_call
  num_calls = _check_steps(workload, steps_per_call)
  mesh = distributed.make_mesh()
  if num_runs % mesh.shape[distributed.RUNS]:
    raise ValueError(f"{num_runs} runs do not split evenly across {mesh.size} devices; pass a "
                     f"multiple of the device count.")
  with attention_variant(variant.attention), _positions(variant):
    model, tx, train_step, data = _training_setup(workload, variant)
    runs, alphas = plan_benchmark_runs(num_runs, workload.num_examples)
    inputs = distributed.place(sweep_lib.run_inputs(runs, alphas, workload.num_examples, epochs=1),
                               distributed.run_sharding(mesh))
    state = distributed.place(jax.tree.map(lambda *leaves: np.stack(leaves),
                                           *_init_states(model, tx, runs, workload.seq_len)),
                              distributed.run_sharding(mesh))
    data = distributed.place(data, distributed.replicated(mesh))
    make = train_lib.make_multi_step if variant.donate else make_multi_step_without_donation
    sweep_step = train_lib.make_sweep_step(train_step, spmd_axis_name=distributed.RUNS)
    multi_step = make(sweep_step, steps_per_call)
    compiled, trace_seconds, compile_seconds = _compile(multi_step, state, inputs, data,
                                                        jax.numpy.int32(0))
  state, _ = _run_calls(compiled, state, inputs, data, 0, 1, steps_per_call)
  return SweepProgram(compiled, state, inputs, data, num_runs, steps_per_call, num_calls,
                      trace_seconds, compile_seconds)


def time_sweep_program(program: SweepProgram, workload: Workload) -> tuple[float, np.ndarray]:
  """Run the timed steps of `program` from step steps_per_call; return (examples/s, losses).

  The state carries over between calls of this function, which changes no shape, so every
  call does the same work.
  """
  start = time.perf_counter()
  program.state, losses = _run_calls(program.compiled, program.state, program.inputs, program.data,
                                     program.steps_per_call, program.num_calls,
                                     program.steps_per_call)
  seconds = time.perf_counter() - start
  return program.num_runs * workload.batch_size * workload.steps / seconds, losses


def measure_sweep(workload: Workload, num_runs: int, variant: Variant = Variant()) -> dict:
  """Time the sweep program (a): `num_runs` runs vmapped in one compiled program.

  Returns examples_per_second (num_runs · batch · steps over the timed seconds), the compile
  and trace seconds, peak and post-import resident memory in MiB, and the final mean loss.
  """
  import jax

  baseline_rss = current_rss_mib()
  program = build_sweep_program(workload, num_runs, variant)
  examples_per_second, losses = time_sweep_program(program, workload)
  return {
      "examples_per_second": examples_per_second,
      "train_seconds": num_runs * workload.batch_size * workload.steps / examples_per_second,
      "compile_seconds": program.trace_seconds + program.compile_seconds,
      "trace_seconds": program.trace_seconds,
      "num_runs": num_runs,
      "devices": jax.device_count(),
      "steps_per_call": program.steps_per_call,
      "final_loss": float(losses[-1].mean()),
      "peak_rss_mib": peak_rss_mib(),
      "rss_after_import_mib": baseline_rss,
  }


def compare_variants(workload: Workload, names: list[str], rounds: int = 5) -> dict:
  """Time the library's program and each lever in `names` in turns, in this one process.

  Each round times every program once, so a change in the machine's load falls on all of
  them alike. Returns per program the median examples/s and the median over rounds of its
  ratio to the library's program in the same round. Levers that change process-wide settings
  (XLA flags, cores, PRNG implementation) cannot share a process and are rejected.
  """
  programs = {"library": build_sweep_program(workload, 1, Variant())}
  for name in names:
    variant = LEVERS[name]
    if changes_process(variant):
      raise ValueError(f"Lever {name!r} changes a process-wide setting; time it with --levers.")
    programs[name] = build_sweep_program(workload, 1, variant)
  rates = {name: [] for name in programs}
  for _ in range(rounds):
    for name, program in programs.items():
      rates[name].append(time_sweep_program(program, workload)[0])
  return {name: {"examples_per_second": statistics.median(values),
                 "examples_per_second_all": values,
                 "ratio_to_library": statistics.median(
                     [v / base for v, base in zip(values, rates["library"])])}
          for name, values in rates.items()}


def measure_sequential(workload: Workload, num_runs: int, variant: Variant = Variant()) -> dict:
  """Time (b): the same `num_runs` runs trained one after another with the single-run step.

  One program is compiled and reused by every run; each run starts from its own
  initialisation. Run initialisation is outside the timed region, as in `measure_sweep`.
  """
  import jax
  from collective_jax import sweep as sweep_lib
  from collective_jax import train as train_lib

  baseline_rss = current_rss_mib()
  steps_per_call = variant.steps_per_call or workload.steps_per_call
  num_calls = _check_steps(workload, steps_per_call)
  with attention_variant(variant.attention), _positions(variant):
    model, tx, train_step, data = _training_setup(workload, variant)
    runs, alphas = plan_benchmark_runs(num_runs, workload.num_examples)
    stacked_inputs = sweep_lib.run_inputs(runs, alphas, workload.num_examples, epochs=1)
    inputs = [jax.tree.map(lambda leaf, i=i: leaf[i], stacked_inputs) for i in range(num_runs)]
    make = train_lib.make_multi_step if variant.donate else make_multi_step_without_donation
    multi_step = make(train_step, steps_per_call)
    first_state = _init_states(model, tx, runs[:1], workload.seq_len)[0]
    compiled, trace_seconds, compile_seconds = _compile(multi_step, first_state, inputs[0], data,
                                                        jax.numpy.int32(0))

  seconds, final_losses = 0.0, []
  for state, run_inputs in zip(_init_states(model, tx, runs, workload.seq_len), inputs):
    state, _ = _run_calls(compiled, state, run_inputs, data, 0, 1, steps_per_call)
    start = time.perf_counter()
    state, losses = _run_calls(compiled, state, run_inputs, data, steps_per_call, num_calls,
                               steps_per_call)
    seconds += time.perf_counter() - start
    final_losses.append(float(losses[-1]))
  return {
      "examples_per_second": num_runs * workload.batch_size * workload.steps / seconds,
      "train_seconds": seconds,
      "compile_seconds": trace_seconds + compile_seconds,
      "trace_seconds": trace_seconds,
      "num_runs": num_runs,
      "steps_per_call": steps_per_call,
      "final_loss": float(np.mean(final_losses)),
      "peak_rss_mib": peak_rss_mib(),
      "rss_after_import_mib": baseline_rss,
  }


def import_torch():
  """Import torch and transformers, or raise ImportError naming the install command."""
  try:
    import torch
    import transformers
  except ImportError as error:
    raise ImportError(
        f"The PyTorch baseline needs torch and transformers ({error}). Install the bench extra: "
        f"pip install -e '.[bench]'") from error
  return torch, transformers


def _torch_model(workload: Workload, torch, transformers):
  config = workload.encoder_config()
  bert_config = transformers.BertConfig(
      vocab_size=workload.vocab_size, hidden_size=config.hidden_size,
      num_hidden_layers=config.num_layers, num_attention_heads=config.num_heads,
      intermediate_size=config.intermediate_size, max_position_embeddings=config.max_length,
      hidden_dropout_prob=config.dropout_rate,
      attention_probs_dropout_prob=config.attention_dropout_rate,
      layer_norm_eps=config.layer_norm_epsilon, num_labels=workload.num_labels,
      problem_type="multi_label_classification")
  return transformers.BertForSequenceClassification(bert_config)


def _torch_optimizer(model, workload: Workload, torch):
  """AdamW with the library's schedule (linear warm-up, then linear decay to 0) and no weight
  decay on biases and layer-norm parameters, as `train.make_optimizer` has."""
  decay = [p for p in model.parameters() if p.ndim > 1]
  no_decay = [p for p in model.parameters() if p.ndim <= 1]
  optimizer = torch.optim.AdamW(
      [{"params": decay, "weight_decay": workload.weight_decay},
       {"params": no_decay, "weight_decay": 0.0}], lr=workload.learning_rate)
  total = workload.total_steps
  warmup = max(1, min(int(workload.warmup_fraction * total), total - 1))

  def factor(step):
    if step < warmup:
      return step / warmup
    return max(0.0, (total - step) / max(1, total - warmup))

  return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def measure_torch(workload: Workload, num_runs: int, threads: int | None = None) -> dict:
  """Time (c): a plain PyTorch loop over `transformers.BertForSequenceClassification`.

  Same layers, hidden size, heads, intermediate size, sequence length, batch, vocabulary and
  labels as the JAX model, multi-label loss (`problem_type="multi_label_classification"`,
  sigmoid cross-entropy), AdamW, and `torch.set_num_threads(threads or os.cpu_count())`. The runs are
  trained one after another; each starts with a warm-up of `steps_per_call` untimed steps.
  The collective's signal is planted in the data beforehand, as data preparation would.
  """
  torch, transformers = import_torch()
  baseline_rss = current_rss_mib()
  torch.set_num_threads(threads or os.cpu_count())
  arrays = synthetic_arrays(workload)
  rng = np.random.default_rng(1)
  member = rng.random(workload.num_examples) < TORCH_COLLECTIVE_FRACTION
  input_ids = np.where(member[:, None], arrays["signal_input_ids"], arrays["input_ids"])
  labels = arrays["labels"].copy()
  labels[member] = 0.0
  labels[member, workload.target] = 1.0
  input_ids = torch.from_numpy(input_ids.astype(np.int64))
  attention_mask = (input_ids != 0).long()
  labels = torch.from_numpy(labels)

  seconds, final_losses, implementation = 0.0, [], ""
  batch = workload.batch_size
  for run in range(num_runs):
    torch.manual_seed(run)
    model = _torch_model(workload, torch, transformers)
    model.train()
    implementation = model.config._attn_implementation
    optimizer, scheduler = _torch_optimizer(model, workload, torch)
    order = torch.from_numpy(np.random.default_rng(run).permutation(workload.num_examples))

    def train_steps(first, count):
      loss = None
      for step in range(first, first + count):
        rows = order[step * batch:(step + 1) * batch]
        output = model(input_ids=input_ids[rows], attention_mask=attention_mask[rows],
                       labels=labels[rows])
        output.loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        loss = output.loss.item()
      return loss

    train_steps(0, workload.steps_per_call)
    start = time.perf_counter()
    final_losses.append(train_steps(workload.steps_per_call, workload.steps))
    seconds += time.perf_counter() - start
  return {
      "examples_per_second": num_runs * batch * workload.steps / seconds,
      "train_seconds": seconds,
      "num_runs": num_runs,
      "threads": torch.get_num_threads(),
      "attention_implementation": implementation,
      "final_loss": float(np.mean(final_losses)),
      "peak_rss_mib": peak_rss_mib(),
      "rss_after_import_mib": baseline_rss,
  }


def measure_matmul_peak(sizes=(2048, 3072, 4096), repeats: int = 5, dtype: str = "float32") -> dict:
  """Time jit(jnp.dot) of square `dtype` matrices; the peak is the best median rate over sizes.

  Each size is warmed up once, then timed `repeats` times with block_until_ready. A product of
  two n × n matrices counts 2·n³ FLOPs.
  """
  import jax
  import jax.numpy as jnp

  dot = jax.jit(jnp.dot)
  rates = {}
  for size in sizes:
    keys = jax.random.split(jax.random.key(size), 2)
    a = jax.random.normal(keys[0], (size, size), dtype)
    b = jax.random.normal(keys[1], (size, size), dtype)
    dot(a, b).block_until_ready()
    times = []
    for _ in range(repeats):
      start = time.perf_counter()
      dot(a, b).block_until_ready()
      times.append(time.perf_counter() - start)
    rates[str(size)] = 2.0 * size**3 / statistics.median(times)
  return {
      "peak_flops": max(rates.values()),
      "flops_by_size": rates,
      "repeats": repeats,
      "dtype": dtype,
      "peak_rss_mib": peak_rss_mib(),
  }


@functools.cache
def _flops_per_example(workload: Workload) -> float:
  return training_flops_per_example(workload.encoder_config(), workload.seq_len)


def achieved_flops(workload: Workload, examples_per_second: float) -> float:
  """FLOP/s of training at `examples_per_second`, by `training_flops_per_example`."""
  return examples_per_second * _flops_per_example(workload)
