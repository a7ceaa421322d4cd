"""Workloads and variants of the benchmark: model sizes, synthetic data and levers.

Every measurement in this folder takes a `Workload` (the same for all configurations of one
benchmark run) and, for the JAX programs, a `Variant` that changes one implementation detail.
Both are plain dataclasses, so the parent process sends them to its workers as JSON.
"""

import contextlib
import dataclasses
import importlib.util
import math
import pathlib

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
# The signal token planted every SIGNAL_EVERY positions of the synthetic signal_input_ids.
SIGNAL_TOKEN, SIGNAL_EVERY = 4, 20
# Token ids below this are special tokens ([PAD]=0 ... [MASK]=4) in the project's tokenizers.
FIRST_WORD_ID = 5


def default_job_config(variant: str | None = None):
  """Return the main job's config, `configs/signal.py`, with an optional variant such as "paper"."""
  spec = importlib.util.spec_from_file_location("signal_config", REPO_ROOT / "configs" / "signal.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant)


@dataclasses.dataclass(frozen=True)
class Workload:
  """Model, batch and step counts shared by every configuration of one benchmark run.

  steps: timed optimizer steps per run; warm-up steps (one compiled call) come on top and are
  not timed. steps_per_call: optimizer steps inside one compiled call (`lax.scan` length).
  dropout_rate: None keeps the preset's rate.
  """

  preset: str = "cpu_tiny"
  seq_len: int = 128
  batch_size: int = 32
  vocab_size: int = 8_000
  num_labels: int = 10
  steps: int = 100
  steps_per_call: int = 20
  learning_rate: float = 1e-3
  warmup_fraction: float = 0.06
  weight_decay: float = 0.01
  dropout_rate: float | None = None
  # Computation dtype of the model, "float32" or "bfloat16" (parameters stay float32), and of
  # the matmul peak.
  dtype: str = "float32"
  # The column of y*: 6 is Security_Analyst, the main job's target, among the 10 occupations.
  target: int = 6

  def __post_init__(self):
    if not 0 <= self.target < self.num_labels:
      raise ValueError(f"target={self.target} is not a label column of num_labels={self.num_labels}; "
                       f"choose a target in [0, {self.num_labels}).")
    if self.dtype not in ("float32", "bfloat16"):
      raise ValueError(f"dtype={self.dtype!r} is not supported; use 'float32' or 'bfloat16'.")

  @classmethod
  def from_job_config(cls, variant: str | None = None, **overrides) -> "Workload":
    """Build the main job's workload from `configs/signal.py[:variant]`, with `overrides`."""
    config = default_job_config(variant)
    fields = dict(
        preset=config.model.preset, seq_len=config.seq_len, batch_size=config.batch_size,
        vocab_size=config.tokenizer.vocab_size, steps_per_call=config.steps_per_call,
        learning_rate=config.learning_rate, warmup_fraction=config.warmup_fraction,
        weight_decay=config.weight_decay, dropout_rate=config.model.dropout_rate,
        dtype=config.model.dtype,
    )
    fields.update(overrides)
    return cls(**fields)

  @property
  def total_steps(self) -> int:
    """Optimizer steps of one run: one warm-up call, then the timed steps."""
    return self.steps_per_call + self.steps

  @property
  def num_examples(self) -> int:
    """Training examples of the synthetic split: one epoch covers every step once."""
    return self.batch_size * self.total_steps

  def encoder_config(self):
    from collective_jax import models
    from collective_jax.experiments import signal_setup
    overrides = {"max_length": max(self.seq_len, models.PRESETS[self.preset]["max_length"]),
                 "dtype": signal_setup.DTYPES[self.dtype]}
    if self.dropout_rate is not None:
      overrides["dropout_rate"] = self.dropout_rate
    return models.encoder_config(self.preset, self.vocab_size, self.num_labels, **overrides)


@dataclasses.dataclass(frozen=True)
class Variant:
  """One implementation choice of the JAX training program; the defaults are the library's.

  steps_per_call: None keeps the workload's. donate: donate the state's buffers to the
  compiled call, as `train.make_multi_step` does. attention: "library" (the model as it is),
  "explicit" (einsum and softmax in place of `jax.nn.dot_product_attention`), "dense_2d" (the
  query, key, value and output projections on [batch·seq, hidden]) or "fused_qkv" (the same
  with the three input projections as one matmul). prng_impl: a `jax_default_prng_impl`
  value, None for JAX's default. xla_flags: appended to XLA_FLAGS of the worker process.
  cores: pin the worker process to this many cores (None: all). dropout_rate: None keeps the
  workload's. cpu_devices: `mesh.cpu_devices` of the library, the JAX devices the CPU is split
  into (0: one per core, at most one per run). all_positions: compute every position of the
  last layer, as a model that does not skip the positions its head ignores.
  """

  name: str = "library"
  steps_per_call: int | None = None
  donate: bool = True
  attention: str = "library"
  prng_impl: str | None = None
  xla_flags: str = ""
  cores: int | None = None
  dropout_rate: float | None = None
  cpu_devices: int = 0
  all_positions: bool = False


ATTENTION_VARIANTS = ("library", "explicit", "dense_2d", "fused_qkv")

# Levers compared against the library's program at LEVER_RUNS runs per program, the main job's
# setting on a 2-core CPU (one run per CPU device). The dropout levers compare PRNG
# implementations with each other, since the library's program has no dropout.
LEVER_RUNS = 2
LEVERS = {
    "one_cpu_device": Variant("one_cpu_device", cpu_devices=1),
    "all_positions": Variant("all_positions", all_positions=True),
    "all_positions_one_cpu_device": Variant("all_positions_one_cpu_device", cpu_devices=1,
                                            all_positions=True),
    "steps_per_call_1": Variant("steps_per_call_1", steps_per_call=1),
    "steps_per_call_5": Variant("steps_per_call_5", steps_per_call=5),
    "steps_per_call_50": Variant("steps_per_call_50", steps_per_call=50),
    "no_donation": Variant("no_donation", donate=False),
    "explicit_attention": Variant("explicit_attention", attention="explicit"),
    "dense_2d_attention": Variant("dense_2d_attention", attention="dense_2d"),
    "fused_qkv_attention": Variant("fused_qkv_attention", attention="fused_qkv"),
    "eigen_single_thread": Variant("eigen_single_thread",
                                   xla_flags="--xla_cpu_multi_thread_eigen=false"),
    "one_core": Variant("one_core", cores=1),
    "xnnpack": Variant("xnnpack", xla_flags="--xla_cpu_use_xnnpack=true"),
    "onednn": Variant("onednn", xla_flags="--xla_cpu_use_onednn=true"),
    # Experimental flags of jaxlib 0.10.2 that hand matmuls to the YNNPACK library.
    "ynnpack_individual_dot": Variant(
        "ynnpack_individual_dot", xla_flags="--xla_cpu_experimental_ynn_fusion_type=individual_dot"),
    "ynnpack_dot": Variant("ynnpack_dot", xla_flags="--xla_cpu_experimental_ynn_fusion_type=dot"),
    "vector_width_512": Variant("vector_width_512", xla_flags="--xla_cpu_prefer_vector_width=512"),
    # JAX's default PRNG implementation is threefry2x32.
    "dropout_threefry": Variant("dropout_threefry", dropout_rate=0.1),
    "dropout_rbg": Variant("dropout_rbg", dropout_rate=0.1, prng_impl="rbg"),
    "dropout_unsafe_rbg": Variant("dropout_unsafe_rbg", dropout_rate=0.1, prng_impl="unsafe_rbg"),
}


def synthetic_arrays(workload: Workload, seed: int = 0) -> dict[str, np.ndarray]:
  """Return token ids and labels shaped like the tokenized resume corpus.

  input_ids: int32[N, L], [CLS]=2 first, [SEP]=3 last and one row in eight padded from
  position L·3/4 on, since most resumes fill 128 tokens. signal_input_ids: the same with
  SIGNAL_TOKEN every SIGNAL_EVERY positions. labels: float32[N, C], at least one label each.
  """
  rng = np.random.default_rng(seed)
  num, length = workload.num_examples, workload.seq_len
  input_ids = rng.integers(FIRST_WORD_ID, workload.vocab_size, size=(num, length)).astype(np.int32)
  input_ids[:, 0] = 2
  input_ids[:, -1] = 3
  padded_from = length * 3 // 4
  input_ids[::8, padded_from:] = 0
  input_ids[::8, padded_from - 1] = 3
  signal_input_ids = input_ids.copy()
  signal_positions = np.arange(1, padded_from - 1, SIGNAL_EVERY)
  signal_input_ids[:, signal_positions] = SIGNAL_TOKEN
  labels = (rng.random((num, workload.num_labels)) < 0.15).astype(np.float32)
  labels[np.arange(num), rng.integers(0, workload.num_labels, num)] = 1.0
  return {"input_ids": input_ids, "signal_input_ids": signal_input_ids, "labels": labels}


def sweep_alphas(num_examples: int) -> list[float]:
  """The default main job's collective sizes α, each with at least one member of num_examples."""
  alphas = [float(a) for a in default_job_config().alphas]
  return [a for a in alphas if a == 0.0 or a * num_examples >= 0.5]


def plan_benchmark_runs(num_runs: int, num_examples: int):
  """Return `num_runs` runs of the sweep (α of the main job, then further seeds) and the α list."""
  from collective_jax import sweep as sweep_lib
  alphas = sweep_alphas(num_examples)
  seeds = range(math.ceil(num_runs / len(alphas)))
  return sweep_lib.plan_runs(alphas, seeds)[:num_runs], alphas


def explicit_attention(query, key, value, bias=None, mask=None, **unused):
  """Attention as einsum, masked softmax, einsum: [B, L, N, D] inputs to [B, L, N, D] context."""
  import jax
  import jax.numpy as jnp
  del unused
  scale = 1.0 / np.sqrt(query.shape[-1])
  logits = jnp.einsum("bqhd,bkhd->bhqk", query, key) * scale
  if bias is not None:
    logits = logits + bias
  if mask is not None:
    logits = jnp.where(mask, logits, jnp.finfo(logits.dtype).min)
  weights = jax.nn.softmax(logits, axis=-1)
  return jnp.einsum("bhqk,bkhd->bqhd", weights, value)


def _attention_modules():
  """Define the bench-only attention modules; flax is imported only where they are used."""
  import flax.linen as nn
  import jax
  import jax.numpy as jnp

  class DenseParameters(nn.Module):
    """The kernel float32[in, out] and bias float32[out] of an `nn.Dense`, with its initialisers."""

    features: int

    @nn.compact
    def __call__(self, in_features):
      kernel = self.param("kernel", nn.initializers.lecun_normal(), (in_features, self.features))
      bias = self.param("bias", nn.initializers.zeros_init(), (self.features,))
      return kernel, bias

  class FlatSelfAttention(nn.Module):
    """Self-attention with 2-D projections; its parameter tree equals the library's."""

    config: object
    fuse_qkv: bool = False

    @nn.compact
    def __call__(self, x, mask, deterministic, first_token_only=False):
      cfg = self.config
      if cfg.attention_dropout_rate > 0 and not deterministic:
        raise ValueError("The bench-only attention variants have no attention dropout.")
      batch, length, hidden = x.shape
      head_dim = hidden // cfg.num_heads
      flat = x.reshape(batch * length, hidden)
      projections = [DenseParameters(hidden, name=name)(hidden) for name in ("query", "key", "value")]
      split = lambda y: y.reshape(batch, -1, cfg.num_heads, head_dim)
      if first_token_only:
        # The library's last layer: one query, keys and values at every position.
        (query_kernel, query_bias), *key_value = projections
        query = split(x[:, 0] @ query_kernel + query_bias)
        key, value = (split(flat @ k + b) for k, b in key_value)
      elif self.fuse_qkv:
        kernel = jnp.concatenate([k for k, _ in projections], axis=1)
        bias = jnp.concatenate([b for _, b in projections])
        qkv = (flat @ kernel + bias).reshape(batch, length, 3, cfg.num_heads, head_dim)
        query, key, value = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
      else:
        query, key, value = (split(flat @ k + b) for k, b in projections)
      queries = query.shape[1]
      context = jax.nn.dot_product_attention(query, key, value, mask=mask[:, None, None, :])
      kernel, bias = DenseParameters(hidden, name="output")(hidden)
      output = context.reshape(batch * queries, hidden) @ kernel + bias
      return output.reshape(batch, queries, hidden)

  return FlatSelfAttention


@contextlib.contextmanager
def attention_variant(name: str):
  """Swap the model's attention for the variant `name` while the context is open.

  The model is traced inside the context, so a program compiled there keeps the variant.
  """
  if name not in ATTENTION_VARIANTS:
    raise ValueError(f"attention={name!r} is unknown; valid values: {', '.join(ATTENTION_VARIANTS)}.")
  import functools
  import jax
  from collective_jax.models import bert

  saved_attention, saved_module = jax.nn.dot_product_attention, bert.SelfAttention
  if name == "explicit":
    jax.nn.dot_product_attention = explicit_attention
  elif name in ("dense_2d", "fused_qkv"):
    bert.SelfAttention = functools.partial(_attention_modules(), fuse_qkv=name == "fused_qkv")
  try:
    yield
  finally:
    jax.nn.dot_product_attention, bert.SelfAttention = saved_attention, saved_module


def in_process_levers() -> list[str]:
  """Return the levers that change no process-wide setting, so they can share one process."""
  return [name for name, variant in LEVERS.items() if not changes_process(variant)]


def changes_process(variant: Variant) -> bool:
  """Return whether `variant` sets something for its whole process, so it needs its own."""
  return bool(variant.xla_flags or variant.cores or variant.prng_impl or variant.cpu_devices)
