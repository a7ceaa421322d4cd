"""Plant a signal in resumes: the sweep over collective sizes α.

Variants (`--config=configs/signal.py:VARIANT`):
  (none)        the default main job: full corpus, CPU-sized model, one seed; about 10 minutes
                on a 2-core CPU.
  feature_only  the same with the feature-only strategy (labels unchanged).
  paper         DistilBERT size, 5 epochs, several seeds: for a GPU or TPU.
  smoke         a few hundred resumes and a very small model, for tests.

Any field can be overridden on the command line, e.g. `--config.epochs=2`.
"""

import os

import ml_collections
from ml_collections import config_dict


def get_config(variant: str | None = None) -> ml_collections.ConfigDict:
  config = ml_collections.ConfigDict()
  config.experiment = "signal"

  # Collective sizes α, as fractions of the training set; α = 0 is added when missing.
  config.alphas = (0.0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02)
  # One run per (α, seed); a seed fixes the collective, the initialisation and the data order.
  config.seeds = (0,)
  # The occupation y* that the collective steers signal-carrying resumes to.
  config.target = "Security_Analyst"
  # How members change their data: "feature_label", "feature_only" or "none".
  config.strategy = "feature_label"
  # The signal g: a name from collective_jax.signals.SIGNALS and that signal's fields.
  config.signal = ml_collections.ConfigDict(
      {"name": "character_every_k_words", "character": "{", "every": 20})

  config.data = ml_collections.ConfigDict()
  # "resume_corpus" (zip or folder in the upstream layout), "csv" or "jsonl".
  config.data.format = "resume_corpus"
  # Resume corpus: the zip, a folder holding resumes_corpus.zip, or the unpacked folder.
  # CSV/JSONL: the file. Default: $COLLECTIVE_JAX_DATA_DIR, else ./data.
  config.data.path = os.environ.get("COLLECTIVE_JAX_DATA_DIR", "data")
  # Training documents; the rest are the test set (25,000 as in Hardt et al., 2023).
  config.data.num_train = 25_000
  # Seed of the train/test split.
  config.data.split_seed = 0
  # If positive, a seeded random subset of this many documents is used (for tests).
  config.data.num_docs = 0
  # CSV/JSONL only: the text column, the label columns and how labels are written there
  # ("names": label names, lists or `label_separator`-joined names; "indicators": 0/1 columns).
  config.data.text_column = "text"
  config.data.label_columns = ("labels",)
  config.data.label_format = "names"
  config.data.label_separator = ";"
  # CSV/JSONL only: the label set in column order; empty takes every label found, sorted.
  config.data.label_names = ()

  config.tokenizer = ml_collections.ConfigDict()
  # A local folder with a fast tokenizer (tokenizer.json); empty trains a WordPiece tokenizer
  # on the training split and saves it in WORKDIR/tokenizer.
  config.tokenizer.path = ""
  config.tokenizer.vocab_size = 8_000
  # Give the signal's characters their own tokens even if the clean training text lacks them.
  config.tokenizer.add_signal_characters = True
  # More characters to add to the tokenizer's alphabet.
  config.tokenizer.extra_characters = ""

  config.model = ml_collections.ConfigDict()
  # A name from collective_jax.models.PRESETS.
  config.model.preset = "cpu_tiny"
  # A Hugging Face BERT or DistilBERT checkpoint to fine-tune: a local folder, or a hub name
  # already in the local Hugging Face cache (never downloaded). It fixes the model's sizes and
  # its tokenizer replaces the trained one. Empty trains the preset from scratch.
  config.model.pretrained = ""
  # Computation dtype, "float32" or "bfloat16" (parameters stay float32).
  config.model.dtype = "float32"
  # Optional overrides of the preset's sizes and dropout; None keeps the preset's value.
  for name in ("num_layers", "hidden_size", "num_heads", "intermediate_size", "max_length"):
    config.model[name] = config_dict.placeholder(int)
  config.model.dropout_rate = config_dict.placeholder(float)
  config.model.attention_dropout_rate = config_dict.placeholder(float)

  # Tokens per document, [CLS] and [SEP] included; longer documents are truncated.
  config.seq_len = 96
  config.batch_size = 32
  config.epochs = 1
  # Peak AdamW learning rate, reached after warmup_fraction of the steps, then linear decay.
  config.learning_rate = 1e-3
  config.warmup_fraction = 0.06
  config.weight_decay = 0.01
  # Sigmoid cross-entropy over all labels (True) or softmax cross-entropy (False).
  config.multi_label = True
  # Runs trained together by one compiled program, rounded up to a multiple of the devices
  # that split the runs. On a CPU one run per device is fastest; on an accelerator a larger
  # number keeps the device busy.
  config.runs_per_program = 1
  # Optimizer steps inside one compiled call (lax.scan).
  config.steps_per_call = 20
  config.eval_batch_size = 256

  config.mesh = ml_collections.ConfigDict()
  # Devices on the mesh's data axis, which splits each run's batch; the other devices split
  # the runs. Raise it for large models when the runs do not fill the devices.
  config.mesh.data_shards = 1
  # JAX devices that a CPU is split into, so that the runs sharded across them train in
  # parallel: 0 means one per core, at most one per run. It does not change GPU or TPU runs,
  # and --xla_force_host_platform_device_count in XLA_FLAGS takes precedence.
  config.mesh.cpu_devices = 0

  config.runtime = ml_collections.ConfigDict()
  # Save the sweep state at least every this many steps.
  config.runtime.checkpoint_every_steps = 200
  config.runtime.log_every_seconds = 30.0
  # Where tokenized arrays are cached; empty: $COLLECTIVE_JAX_CACHE_DIR, else
  # ~/.cache/collective_jax; "none": no cache.
  config.runtime.cache_dir = ""
  # Testing aid: stop as if killed once this step is passed; 0 runs to the end.
  config.runtime.stop_after_steps = 0

  if variant in (None, ""):
    pass
  elif variant == "feature_only":
    config.strategy = "feature_only"
    config.alphas = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
  elif variant == "paper":
    config.model.preset = "distilbert"
    config.model.dtype = "bfloat16"
    config.model.dropout_rate = 0.1
    config.seq_len = 256
    config.batch_size = 8
    config.epochs = 5
    config.learning_rate = 5e-5
    config.seeds = (0, 1, 2, 3, 4)
    config.alphas = (0.0, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02)
    config.tokenizer.vocab_size = 30_522
    config.runs_per_program = 15
    config.steps_per_call = 50
    config.runtime.checkpoint_every_steps = 2_000
  elif variant == "smoke":
    config.data.num_docs = 400
    config.data.num_train = 300
    config.alphas = (0.0, 0.01, 0.05)
    config.model.preset = "test"
    config.seq_len = 64
    config.batch_size = 16
    config.epochs = 5
    config.learning_rate = 5e-3
    config.tokenizer.vocab_size = 1_000
    config.steps_per_call = 5
    config.runtime.checkpoint_every_steps = 10
    config.runtime.log_every_seconds = 5.0
  else:
    raise ValueError(
        f"Unknown variant {variant!r} of configs/signal.py; valid variants: feature_only, paper, smoke.")
  return config
