"""Profile of the training step: its parts, its matmuls at the model's shapes, its HLO cost.

Three views of one run's step (K = 1):
- time of the forward pass, forward plus backward, the optimizer update alone and the full
  step, each as `steps_per_call` iterations inside one compiled `lax.scan`;
- the rate of XLA's matmul at each matmul shape of the model (forward and both backward
  products), which bounds what the model can reach however well the rest is fused;
- XLA's cost analysis of the compiled step (FLOPs and bytes accessed), against the
  analytic count of `measure_training.training_flops_per_example`.
"""

import statistics
import time

import numpy as np

from measure_training import _training_setup
from measure_training import training_flops_per_example
from workload import Variant
from workload import Workload
from workload import synthetic_arrays


def _median_seconds(function, args, repeats: int) -> float:
  import jax
  jax.block_until_ready(function(*args))
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(function(*args))
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def time_step_parts(workload: Workload, repeats: int = 5) -> dict:
  """Return seconds per optimizer step of forward, forward + backward, optimizer and full step.

  Each part runs `steps_per_call` times over different batches inside one `lax.scan`, and
  threads the parameters through the loop so XLA cannot hoist it out.
  """
  import jax
  import jax.numpy as jnp
  import optax
  from collective_jax import strategies
  from collective_jax import train as train_lib

  model, tx, train_step, data = _training_setup(workload, Variant())
  state = jax.jit(lambda key: train_lib.init_run_state(
      model, tx, key, jax.random.key_data(key), workload.seq_len))(jax.random.key(0))
  steps, batch_size = workload.steps_per_call, workload.batch_size
  arrays = synthetic_arrays(workload)
  member = np.zeros(workload.num_examples, bool)
  member[::50] = True
  rows = np.arange(steps * batch_size).reshape(steps, batch_size)
  batches = {
      "input_ids": jnp.asarray(arrays["input_ids"][rows]),
      "attention_mask": jnp.asarray(arrays["input_ids"][rows] != 0),
      "signal_input_ids": jnp.asarray(arrays["signal_input_ids"][rows]),
      "signal_attention_mask": jnp.asarray(arrays["signal_input_ids"][rows] != 0),
      "labels": jnp.asarray(arrays["labels"][rows]),
      "member": jnp.asarray(member[rows]),
  }

  def loss_of(params, batch):
    batch = strategies.feature_label(batch, target=workload.target)
    logits = model.apply({"params": params}, batch["input_ids"], batch["attention_mask"])
    return train_lib.classification_loss(logits, batch["labels"], True)

  @jax.jit
  def forward(params, batches):
    def body(params, batch):
      loss = loss_of(params, batch)
      return jax.tree.map(lambda p: p + 1e-12 * loss, params), loss
    return jax.lax.scan(body, params, batches)

  @jax.jit
  def forward_backward(params, batches):
    def body(params, batch):
      loss, grads = jax.value_and_grad(loss_of)(params, batch)
      return jax.tree.map(lambda p, g: p - 1e-12 * g, params, grads), loss
    return jax.lax.scan(body, params, batches)

  @jax.jit
  def optimizer_only(params, opt_state, grads):
    def body(carry, _):
      params, opt_state = carry
      updates, opt_state = tx.update(grads, opt_state, params)
      return (optax.apply_updates(params, updates), opt_state), None
    return jax.lax.scan(body, (params, opt_state), None, length=steps)

  inputs = train_lib.RunInputs(member=jnp.asarray(member),
                               order=jnp.arange(workload.num_examples, dtype=jnp.int32)[None])
  full_step = train_lib.make_multi_step(train_step, steps)
  grads = jax.tree.map(lambda p: jnp.full_like(p, 1e-3), state.params)

  def full(state):
    return full_step(state, inputs, data, jnp.int32(0))

  seconds = {
      "forward": _median_seconds(forward, (state.params, batches), repeats),
      "forward_backward": _median_seconds(forward_backward, (state.params, batches), repeats),
      "optimizer": _median_seconds(optimizer_only, (state.params, state.opt_state, grads), repeats),
  }
  # The full step donates its state, so every call gets a fresh copy made outside the timer.
  copies = [jax.tree.map(jnp.copy, state) for _ in range(repeats + 1)]
  jax.block_until_ready(full(copies.pop()))
  times = []
  for copy in copies:
    jax.block_until_ready(copy)
    start = time.perf_counter()
    jax.block_until_ready(full(copy))
    times.append(time.perf_counter() - start)
  seconds["full_step"] = statistics.median(times)
  per_step = {name: value / steps for name, value in seconds.items()}
  per_step["backward"] = per_step["forward_backward"] - per_step["forward"]
  return per_step


def model_matmul_shapes(workload: Workload) -> list[dict]:
  """List the matmuls of one training step as (name, batch, m, k, n, count per step).

  Dense layers y = x·W with x: [rows, in] and W: [in, out] give, in the backward pass,
  dx = dy·Wᵀ and dW = xᵀ·dy. Attention products are batched over B·heads. The last layer
  computes only the first position, so its query, output and feed-forward matmuls have B rows
  and its attention one query. Shapes are those of the model's matmuls, not necessarily of
  the kernels XLA picks after fusion.
  """
  config = workload.encoder_config()
  tokens = workload.batch_size * workload.seq_len
  hidden, inner, layers = config.hidden_size, config.intermediate_size, config.num_layers
  heads, length = config.num_heads, workload.seq_len
  head_dim = hidden // heads
  groups = workload.batch_size * heads
  shapes = []

  def dense(name, rows, fan_in, fan_out, count):
    shapes.extend([
        dict(name=f"{name}_forward", batch=1, m=rows, k=fan_in, n=fan_out, count=count),
        dict(name=f"{name}_input_grad", batch=1, m=rows, k=fan_out, n=fan_in, count=count),
        dict(name=f"{name}_weight_grad", batch=1, m=fan_in, k=rows, n=fan_out, count=count),
    ])

  def attention(name, queries, count):
    shapes.extend([
        dict(name=f"{name}_scores_forward", batch=groups, m=queries, k=head_dim, n=length,
             count=count),
        dict(name=f"{name}_context_forward", batch=groups, m=queries, k=length, n=head_dim,
             count=count),
        # dP = dC·Vᵀ contracts over head_dim, dQ = dS·K over the keys, and dK = dSᵀ·Q and
        # dV = Pᵀ·dC over the queries.
        dict(name=f"{name}_probability_grad", batch=groups, m=queries, k=head_dim, n=length,
             count=count),
        dict(name=f"{name}_query_grad", batch=groups, m=queries, k=length, n=head_dim,
             count=count),
        dict(name=f"{name}_key_value_grads", batch=groups, m=length, k=queries, n=head_dim,
             count=2 * count),
    ])

  if layers > 1:
    dense("qkv_and_output_projections", tokens, hidden, hidden, 4 * (layers - 1))
    dense("ffn_in", tokens, hidden, inner, layers - 1)
    dense("ffn_out", tokens, inner, hidden, layers - 1)
    attention("attention", length, layers - 1)
  rows = workload.batch_size
  dense("last_key_value_projections", tokens, hidden, hidden, 2)
  dense("last_query_output_projections", rows, hidden, hidden, 2)
  dense("last_ffn_in", rows, hidden, inner, 1)
  dense("last_ffn_out", rows, inner, hidden, 1)
  attention("last_attention", 1, 1)
  return shapes


def time_model_matmuls(workload: Workload, repeats: int = 5, per_call: int = 10,
                       shapes: list[dict] | None = None) -> dict:
  """Time XLA's matmul at each shape of `model_matmul_shapes`; return rates and their bound.

  Each compiled call runs `per_call` products of different left operands in a `lax.scan`, so
  dispatch overhead is spread over them. matmul_bound_flops is the matmul FLOPs of a step over
  the time those matmuls alone take: the highest rate the model can reach with XLA's matmul
  kernels at these shapes. `shapes` defaults to all of `model_matmul_shapes`.
  """
  import jax
  import jax.numpy as jnp

  @jax.jit
  def matmuls(lefts, right):
    return jax.lax.scan(lambda carry, left: (carry, jnp.einsum("gmk,gkn->gmn", left, right)),
                        None, lefts)[1]

  rows, total_flops, total_seconds = [], 0.0, 0.0
  for shape in shapes or model_matmul_shapes(workload):
    keys = jax.random.split(jax.random.key(0), 2)
    lefts = jax.random.normal(keys[0], (per_call, shape["batch"], shape["m"], shape["k"]))
    right = jax.random.normal(keys[1], (shape["batch"], shape["k"], shape["n"]))
    seconds = _median_seconds(matmuls, (lefts, right), repeats) / per_call
    flops = 2.0 * shape["batch"] * shape["m"] * shape["k"] * shape["n"]
    rows.append(dict(shape, seconds=seconds, flops_per_second=flops / seconds))
    total_flops += flops * shape["count"]
    total_seconds += seconds * shape["count"]
  return {"matmuls": rows, "matmul_seconds_per_step": total_seconds,
          "matmul_flops_per_step": total_flops,
          "matmul_bound_flops": total_flops / total_seconds}


def hlo_cost(workload: Workload) -> dict:
  """Return XLA's cost analysis of one compiled training step (no scan) per example."""
  import jax
  import jax.numpy as jnp
  from collective_jax import train as train_lib

  model, tx, train_step, data = _training_setup(workload, Variant())
  state = jax.jit(lambda key: train_lib.init_run_state(
      model, tx, key, jax.random.key_data(key), workload.seq_len))(jax.random.key(0))
  inputs = train_lib.RunInputs(member=jnp.zeros(workload.num_examples, bool),
                               order=jnp.arange(workload.num_examples, dtype=jnp.int32)[None])
  compiled = jax.jit(train_step).lower(state, inputs, data, jnp.int32(0)).compile()
  cost = compiled.cost_analysis()
  if isinstance(cost, list):
    cost = cost[0]
  text = compiled.as_text()
  analytic = training_flops_per_example(workload.encoder_config(), workload.seq_len)
  return {
      "hlo_flops_per_example": cost.get("flops", float("nan")) / workload.batch_size,
      "hlo_bytes_accessed_per_example": cost.get("bytes accessed", float("nan")) / workload.batch_size,
      "analytic_flops_per_example": analytic,
      "hlo_dot_ops": text.count(" dot("),
      "hlo_fusions": text.count(" fusion("),
  }


def profile_step(workload: Workload) -> dict:
  """Combine the three views for `workload`; see the module docstring."""
  parts = time_step_parts(workload)
  matmuls = time_model_matmuls(workload)
  cost = hlo_cost(workload)
  flops = training_flops_per_example(workload.encoder_config(), workload.seq_len)
  step_flops = flops * workload.batch_size
  return {
      "seconds_per_step": parts,
      "share_of_step": {name: parts[name] / parts["full_step"]
                        for name in ("forward", "backward", "optimizer")},
      "achieved_flops": step_flops / parts["full_step"],
      "matmul_seconds_share_of_step": matmuls["matmul_seconds_per_step"] / parts["full_step"],
      **matmuls,
      **cost,
  }
