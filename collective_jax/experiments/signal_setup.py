"""Config validation and data preparation for the signal-planting sweep.

Everything here runs before any compilation, so an invalid config or data file fails in
seconds with a message that names the field, the value and the fix.
"""

import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
from typing import Any

from absl import logging
import jax.numpy as jnp
import numpy as np

from collective_jax import data as data_lib
from collective_jax import distributed
from collective_jax import membership as membership_lib
from collective_jax import models
from collective_jax.models import pretrained
from collective_jax import results as results_lib
from collective_jax import signals as signals_lib
from collective_jax import strategies as strategies_lib
from collective_jax import tokenization
from collective_jax.errors import UserInputError

CACHE_DIR_ENV = "COLLECTIVE_JAX_CACHE_DIR"
PLANTING_STRATEGIES = ("feature_label", "feature_only", "none")
DATA_FORMATS = ("resume_corpus", "csv", "jsonl")
DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}
# Model fields that a config may set on top of its preset; None keeps the preset's value.
MODEL_OVERRIDES = ("num_layers", "hidden_size", "num_heads", "intermediate_size", "max_length",
                   "dropout_rate", "attention_dropout_rate")


def validate_config(config) -> None:
  """Check the fields that need no data; raise UserInputError naming the first invalid one."""
  strategies_lib.get_strategy(config.strategy)
  if config.strategy not in PLANTING_STRATEGIES:
    raise UserInputError(
        f"strategy={config.strategy!r} is not run by the signal-planting sweep; use one of "
        f"{', '.join(PLANTING_STRATEGIES)}. Use erase_signal from your own training loop.")
  signal = signals_lib.build_signal(config.signal)
  if config.data.format not in DATA_FORMATS:
    raise UserInputError(
        f"data.format={config.data.format!r} is unknown; valid formats: {', '.join(DATA_FORMATS)}.")
  if config.model.preset not in models.PRESETS:
    raise UserInputError(
        f"model.preset={config.model.preset!r} is unknown; valid presets: "
        f"{', '.join(models.PRESETS)}.")
  if config.model.dtype not in DTYPES:
    raise UserInputError(f"model.dtype={config.model.dtype!r} is unknown; use one of {list(DTYPES)}.")
  max_length = config.model.max_length or models.PRESETS[config.model.preset]["max_length"]
  if config.model.pretrained:
    max_length = max(max_length, config.seq_len)  # Checked against the checkpoint once it is read.
  if not 8 <= config.seq_len <= max_length:
    raise UserInputError(
        f"seq_len={config.seq_len} must be between 8 and model.max_length={max_length}; lower "
        f"seq_len or choose a model with more position embeddings.")
  every = getattr(signal, "every", None)
  if every is not None and every >= config.seq_len:
    raise UserInputError(
        f"signal.every={every} words is not shorter than seq_len={config.seq_len} tokens, so "
        f"truncated documents would carry the signal at most once; lower signal.every or raise seq_len.")
  for field, minimum in (("batch_size", 1), ("epochs", 1), ("runs_per_program", 1),
                         ("steps_per_call", 1), ("eval_batch_size", 1),
                         ("runtime.checkpoint_every_steps", 1), ("tokenizer.vocab_size", 100)):
    value = config
    for part in field.split("."):
      value = value[part]
    if value < minimum:
      raise UserInputError(f"{field}={value} must be at least {minimum}.")
  if not config.seeds:
    raise UserInputError("seeds is empty; give at least one seed, for example seeds=(0,).")
  if len(set(config.seeds)) != len(config.seeds):
    raise UserInputError(f"seeds={tuple(config.seeds)} contains duplicates; list each seed once.")
  if not 0 <= config.warmup_fraction < 1:
    raise UserInputError(f"warmup_fraction={config.warmup_fraction} must be in [0, 1).")
  if isinstance(config.alphas, str) or not all(
      isinstance(a, (int, float)) and not isinstance(a, bool) for a in config.alphas):
    raise UserInputError(
        f"alphas={config.alphas!r} must be a tuple of numbers, for example "
        f"--config.alphas='(0.0,0.001,0.01)'.")
  for alpha in config.alphas:
    if not 0.0 <= alpha < 1.0:
      raise UserInputError(
          f"alphas contains {alpha}, outside [0, 1); α is the fraction of the training set in "
          f"the collective, so use values such as 0.001 or 0.01.")


def load_corpus(config) -> data_lib.Corpus:
  cfg = config.data
  if cfg.format == "resume_corpus":
    return data_lib.read_resume_corpus(cfg.path or None)
  if not cfg.path:
    raise UserInputError(f"data.path is empty; data.format={cfg.format!r} needs the file's path.")
  return data_lib.read_text_file(
      cfg.path, text_column=cfg.text_column, label_columns=tuple(cfg.label_columns),
      file_format=cfg.format, label_format=cfg.label_format, label_separator=cfg.label_separator,
      label_names=tuple(cfg.label_names) or None)


def load_splits(config) -> tuple[data_lib.Corpus, data_lib.Corpus]:
  """Read the corpus, optionally subsample it, and split it into train and test."""
  corpus = load_corpus(config)
  corpus.label_index(config.target)
  if config.data.num_docs:
    if config.data.num_docs > len(corpus):
      raise UserInputError(
          f"data.num_docs={config.data.num_docs} exceeds the {len(corpus)} documents of "
          f"{corpus.source}; lower it, or set 0 to use them all.")
    rng = np.random.Generator(np.random.PCG64(config.data.split_seed + 1))
    corpus = corpus.subset(np.sort(rng.permutation(len(corpus))[:config.data.num_docs]))
  train, test = data_lib.split_corpus(corpus, config.data.num_train, config.data.split_seed)
  logging.info("Split %s into %d training and %d test documents.", corpus.source, len(train), len(test))
  return train, test


def sweep_alphas(config, num_train: int) -> list[float]:
  """Return the sweep's α values, with α = 0 added when missing, checked against N."""
  alphas = [float(a) for a in config.alphas]
  membership_lib.check_alphas(alphas, num_train)
  if 0.0 not in alphas:
    logging.info("Added α = 0 to the sweep as the baseline without a collective.")
    alphas = [0.0] + alphas
  return sorted(alphas)


def get_tokenizer(config, train, signal, workdir: pathlib.Path):
  """Load config.tokenizer.path, else the run folder's tokenizer, else a cached or new one.

  `tokenizers`' WordPiece trainer breaks ties between equally frequent merges in hash-map
  order, which changes from process to process, so two trainings on the same texts can give
  different vocabularies. A trained tokenizer is therefore stored in the cache, keyed by the
  training texts, vocabulary size and alphabet, and every later run on the same machine reuses it.
  """
  if config.tokenizer.path:
    return tokenization.load_tokenizer(config.tokenizer.path)
  folder = workdir / "tokenizer"
  if (folder / "tokenizer.json").is_file():
    logging.info("Reusing the tokenizer in %s", folder)
    return tokenization.load_tokenizer(folder)

  extra = config.tokenizer.extra_characters
  if config.tokenizer.add_signal_characters:
    extra += signal.inserted_text
  # The model reads only the start of each document, so the vocabulary is learned there too.
  # That also makes training several times faster on long resumes.
  texts = [tokenization.truncate_words(text, config.seq_len) for text in train.texts]
  key = hashlib.sha256(json.dumps([tokenization.texts_hash(texts), config.tokenizer.vocab_size,
                                   sorted(set(extra))]).encode()).hexdigest()[:24]
  directory = cache_dir(config)
  cached = directory / f"tokenizer-{key}" if directory else None
  if cached is not None and (cached / "tokenizer.json").is_file():
    tokenizer = tokenization.load_tokenizer(cached)
    logging.info("Loaded the cached tokenizer %s", cached)
  else:
    tokenizer = tokenization.train_tokenizer(texts, config.tokenizer.vocab_size, extra)
    logging.info("Trained a WordPiece tokenizer of %d tokens on the first words of %d documents.",
                 len(tokenizer), len(texts))
    if cached is not None:
      _save_atomically(tokenizer, cached)
  if results_lib.is_writer():
    _save_atomically(tokenizer, folder)
    logging.info("Saved the tokenizer to %s", folder)
  return tokenizer


def _save_atomically(tokenizer, folder: pathlib.Path) -> None:
  """Save beside `folder` and rename, so a killed run never leaves half a tokenizer."""
  partial = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
  shutil.rmtree(partial, ignore_errors=True)
  tokenizer.save_pretrained(str(partial))
  try:
    os.replace(partial, folder)
  except OSError:  # Another process saved the same tokenizer first.
    shutil.rmtree(partial, ignore_errors=True)


def cache_dir(config) -> pathlib.Path | None:
  """Return runtime.cache_dir, else $COLLECTIVE_JAX_CACHE_DIR, else ~/.cache/collective_jax."""
  if config.runtime.cache_dir == "none":
    return None
  folder = config.runtime.cache_dir or os.environ.get(CACHE_DIR_ENV) or "~/.cache/collective_jax"
  return pathlib.Path(folder).expanduser()


def encode_splits(config, tokenizer, signal, train, test) -> dict[str, np.ndarray]:
  """Encode clean and signal-planted train and test documents to int32[n, seq_len]."""
  directory = cache_dir(config)
  arrays = {}
  for name, split in (("train", train), ("test", test)):
    key = tokenization.texts_hash(split.texts)
    arrays[f"{name}_input_ids"] = tokenization.cached_encode(
        directory, tokenizer, split.texts, config.seq_len, texts_key=key)
    arrays[f"{name}_signal_input_ids"] = tokenization.cached_encode(
        directory, tokenizer, split.texts, config.seq_len, transform=signal,
        transform_key=repr(signal), texts_key=key)
  return arrays


def runs_per_program(config, mesh) -> int:
  """config.runs_per_program rounded up to a multiple of the mesh's run shards."""
  shards = mesh.shape[distributed.RUNS]
  rounded = -(-config.runs_per_program // shards) * shards
  if rounded != config.runs_per_program:
    logging.info("Raised runs_per_program from %d to %d, a multiple of the %d run shards of the "
                 "device mesh.", config.runs_per_program, rounded, shards)
  return rounded


def model_config(config, vocab_size: int, num_labels: int) -> models.EncoderConfig:
  overrides = {name: config.model[name] for name in MODEL_OVERRIDES if config.model[name] is not None}
  return models.encoder_config(config.model.preset, vocab_size, num_labels,
                               dtype=DTYPES[config.model.dtype], **overrides)


@dataclasses.dataclass(frozen=True)
class Checkpoint:
  """A pretrained checkpoint: its model config, tokenizer and raw tensors."""

  model_config: models.EncoderConfig
  tokenizer: Any
  tensors: dict[str, np.ndarray]

  def init_params(self, rng) -> dict:
    """Return the checkpoint's parameters, with any missing classification head drawn from rng."""
    return pretrained.checkpoint_to_params(self.tensors, self.model_config, rng=rng)


def load_checkpoint(config, num_labels: int) -> Checkpoint | None:
  """Read config.model.pretrained (a local folder or a cached hub name), or return None.

  Only dropout rates and the computation dtype of the config apply on top of the checkpoint's
  sizes; setting any other size field alongside a checkpoint is rejected.
  """
  if not config.model.pretrained:
    return None
  sizes = [name for name in MODEL_OVERRIDES if "dropout" not in name and config.model[name] is not None]
  if sizes:
    raise UserInputError(
        f"model.{sizes[0]} is set, but model.pretrained={config.model.pretrained!r} fixes the "
        f"model's sizes; unset the size fields or model.pretrained.")
  folder = pretrained.resolve_checkpoint_folder(config.model.pretrained)
  encoder = pretrained.encoder_config_from_hf(pretrained.read_hf_config(folder), num_labels,
                                              dtype=DTYPES[config.model.dtype])
  dropout = {name: config.model[name] for name in ("dropout_rate", "attention_dropout_rate")
             if config.model[name] is not None}
  encoder = dataclasses.replace(encoder, **dropout)
  if config.seq_len > encoder.max_length:
    raise UserInputError(
        f"seq_len={config.seq_len} exceeds the checkpoint's {encoder.max_length} position "
        f"embeddings; lower seq_len.")
  tokenizer = pretrained.load_checkpoint_tokenizer(folder, encoder.vocab_size)
  return Checkpoint(encoder, tokenizer, pretrained.read_checkpoint_tensors(folder))
