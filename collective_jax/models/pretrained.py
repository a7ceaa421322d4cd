"""Load Hugging Face BERT and DistilBERT checkpoints into `EncoderClassifier`.

A checkpoint is a local folder with `config.json`, the weights (`model.safetensors`, or
`pytorch_model.bin`, which needs PyTorch) and the tokenizer files, as `save_pretrained` writes
them. A hub name such as "distilbert-base-uncased" is looked up in the local Hugging Face cache
only, never downloaded.

Every checkpoint tensor maps onto exactly one Flax parameter or is on a short list of tensors
ignored on purpose (pretraining heads, the `position_ids` buffer). Any other tensor is an error,
and so is every parameter of our model that the checkpoint lacks, except the classification
head: it is initialised afresh when the checkpoint has none for `num_labels` labels.

    config, params, tokenizer = load_pretrained("path/to/distilbert-base-uncased", num_labels=10)
    logits = EncoderClassifier(config).apply({"params": params}, input_ids, attention_mask)
"""

import dataclasses
import functools
import json
import os
import pathlib
from typing import Any, NamedTuple

from absl import logging
import huggingface_hub
import jax
import jax.numpy as jnp
import numpy as np
import safetensors.flax
import safetensors.numpy
import transformers

from collective_jax.errors import UserInputError
from collective_jax.models.bert import EncoderClassifier
from collective_jax.models.bert import EncoderConfig

SUPPORTED_MODEL_TYPES = ("bert", "distilbert")

# Weight files in the order they are looked for. An `.index.json` lists the shards of a
# checkpoint that `save_pretrained` split into several files.
SAFETENSORS_FILES = ("model.safetensors", "model.safetensors.index.json")
PYTORCH_FILES = ("pytorch_model.bin", "pytorch_model.bin.index.json")

# Without one of these files transformers 5.25 still returns a tokenizer, but an empty one that
# maps every word to [UNK], so their presence is checked first.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")

# In January 2024 the hub moved models without an organisation, such as these, under one. The
# old names still resolve, so the cache may contain either.
HUB_ALIASES = {
    "bert-base-uncased": "google-bert/bert-base-uncased",
    "distilbert-base-uncased": "distilbert/distilbert-base-uncased",
}

# Checkpoint tensors that EncoderClassifier has no use for, by model type: masked-language-model
# and next-sentence heads, and the position_ids buffer (always 0, 1, ..., max_length - 1).
# Names are relative to the top of the checkpoint, with "{base}" standing for the base model's
# prefix ("bert." or "distilbert.", or "" in a checkpoint of the base model alone).
IGNORED_PREFIXES = {
    "distilbert": ("vocab_transform.", "vocab_layer_norm.", "vocab_projector.",
                   "{base}embeddings.position_ids"),
    "bert": ("cls.", "{base}embeddings.position_ids"),
}

# The modules of the classification head: the dense layer on [CLS] and the output layer.
POOLER_MODULE = {"distilbert": "pre_classifier", "bert": "pooler"}
CLASSIFIER_MODULE = "classifier"


class PretrainedModel(NamedTuple):
  """A loaded checkpoint, which unpacks as `config, params, tokenizer`.

  Attributes:
    config: the EncoderConfig built from config.json. Change dropout or dtype with
      `dataclasses.replace`.
    params: the Flax parameter tree of `EncoderClassifier(config)`, float32 jax arrays.
    tokenizer: the checkpoint's tokenizer, loaded with `transformers.AutoTokenizer`.
  """

  config: EncoderConfig
  params: dict[str, Any]
  tokenizer: transformers.PreTrainedTokenizerBase


def load_pretrained(
    path_or_name: str | os.PathLike,
    num_labels: int,
    *,
    rng: jax.Array | None = None,
    dtype: Any = jnp.float32,
    cache_dir: str | os.PathLike | None = None,
) -> PretrainedModel:
  """Load a BERT or DistilBERT checkpoint as an EncoderClassifier with `num_labels` logits.

  Args:
    path_or_name: a local checkpoint folder, or a hub name (e.g. "distilbert-base-uncased")
      that is already in the local Hugging Face cache.
    num_labels: number of output logits C.
    rng: PRNG key for a classification head the checkpoint lacks (the classifier, and the
      pooler or pre-classifier when those are missing too); default `jax.random.key(0)`.
    dtype: computation dtype of the model; parameters are float32 whatever the checkpoint's
      dtype.
    cache_dir: the Hugging Face hub cache to look up hub names in; default huggingface_hub's
      (`$HF_HUB_CACHE`, else `~/.cache/huggingface/hub`).

  Returns:
    PretrainedModel(config, params, tokenizer).

  Raises:
    UserInputError: the checkpoint is not found, its model type is not supported, or a tensor
      is unknown, missing or of the wrong shape.
  """
  if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
    raise UserInputError(f"num_labels={num_labels!r} is invalid; pass a positive integer.")
  folder = resolve_checkpoint_folder(path_or_name, cache_dir=cache_dir)

  hf_config = read_hf_config(folder)
  config = encoder_config_from_hf(hf_config, num_labels, dtype=dtype)
  tokenizer = load_checkpoint_tokenizer(folder, config.vocab_size)

  tensors = read_checkpoint_tensors(folder)
  params = checkpoint_to_params(tensors, config, rng=rng)
  logging.info("Loaded a %s checkpoint from %s: %d layers, hidden size %d, %d labels.",
               hf_config["model_type"], folder, config.num_layers, config.hidden_size, num_labels)
  return PretrainedModel(config, params, tokenizer)


def resolve_checkpoint_folder(
    path_or_name: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None
) -> pathlib.Path:
  """Return the local folder of a checkpoint: the path itself, or a hub name's cached snapshot."""
  path = pathlib.Path(path_or_name).expanduser()
  if path.is_dir():
    return path
  if path.exists():
    raise UserInputError(
        f"Checkpoint path {str(path)!r} is a file; pass the folder that contains config.json, "
        f"the weights and the tokenizer files.")

  name = str(path_or_name)
  cache = pathlib.Path(cache_dir or huggingface_hub.constants.HF_HUB_CACHE).expanduser()
  repo_ids = [name] + ([HUB_ALIASES[name]] if name in HUB_ALIASES else [])
  for repo_id in repo_ids:
    try:
      snapshot = huggingface_hub.snapshot_download(
          repo_id, cache_dir=cache, local_files_only=True)
    except huggingface_hub.errors.LocalEntryNotFoundError:
      continue
    except huggingface_hub.errors.HFValidationError:
      break  # Not a valid hub name either, so it can only have been meant as a path.
    logging.info("Found %r in the Hugging Face cache: %s", repo_id, snapshot)
    return pathlib.Path(snapshot)

  looked_for = " or ".join(repr(repo_id) for repo_id in repo_ids)
  raise UserInputError(
      f"Checkpoint {name!r} is not a local folder, and {looked_for} is not in the Hugging Face "
      f"cache {str(cache)!r}; nothing is downloaded at run time. Pass a local folder with "
      f"config.json, model.safetensors (or pytorch_model.bin) and the tokenizer files, or fill "
      f"the cache on a machine with network access (huggingface_hub.snapshot_download) and "
      f"point HF_HUB_CACHE at a copy of it.")


def read_hf_config(folder: pathlib.Path) -> dict[str, Any]:
  """Read config.json of a checkpoint folder."""
  path = folder / "config.json"
  if not path.is_file():
    raise UserInputError(
        f"{str(path)!r} not found; a checkpoint folder needs the config.json that "
        f"save_pretrained writes beside the weights.")
  try:
    return json.loads(path.read_text())
  except json.JSONDecodeError as error:
    raise UserInputError(f"{str(path)!r} is not valid JSON: {error}") from error


def encoder_config_from_hf(
    hf_config: dict[str, Any], num_labels: int, *, dtype: Any = jnp.float32
) -> EncoderConfig:
  """Build the EncoderConfig of a Hugging Face BERT or DistilBERT config.json.

  Sizes, layer-norm ε and dropout rates come from the config. Our model has one dropout rate
  for layers and head, so DistilBERT's `seq_classif_dropout` and BERT's `classifier_dropout`
  are not used.
  """
  model_type = hf_config.get("model_type")
  if model_type not in SUPPORTED_MODEL_TYPES:
    raise UserInputError(
        f"config.json has model_type={model_type!r}, which cannot be loaded; supported model "
        f"types: {', '.join(SUPPORTED_MODEL_TYPES)}.")

  def required(key):
    if key not in hf_config:
      raise UserInputError(f"config.json of this {model_type} checkpoint lacks the field {key!r}.")
    return hf_config[key]

  if model_type == "distilbert":
    activation_key = "activation"
    fields = dict(
        hidden_size=required("dim"), num_layers=required("n_layers"), num_heads=required("n_heads"),
        intermediate_size=required("hidden_dim"), type_vocab_size=0, head="distilbert",
        # transformers' defaults for these fields.
        dropout_rate=hf_config.get("dropout", 0.1),
        attention_dropout_rate=hf_config.get("attention_dropout", 0.1),
        # DistilBERT's layer norms use a fixed ε of 1e-12 in transformers.
        layer_norm_epsilon=hf_config.get("layer_norm_eps", 1e-12),
    )
  else:
    activation_key = "hidden_act"
    embedding_type = hf_config.get("position_embedding_type", "absolute")
    if embedding_type != "absolute":
      raise UserInputError(
          f"config.json has position_embedding_type={embedding_type!r}; only 'absolute' "
          f"position embeddings are supported.")
    fields = dict(
        hidden_size=required("hidden_size"), num_layers=required("num_hidden_layers"),
        num_heads=required("num_attention_heads"), intermediate_size=required("intermediate_size"),
        type_vocab_size=required("type_vocab_size"), head="bert",
        dropout_rate=hf_config.get("hidden_dropout_prob", 0.1),
        attention_dropout_rate=hf_config.get("attention_probs_dropout_prob", 0.1),
        layer_norm_epsilon=hf_config.get("layer_norm_eps", 1e-12),
    )

  # Our feed-forward block uses the exact (erf) GELU, which transformers calls "gelu".
  activation = hf_config.get(activation_key, "gelu")
  if activation != "gelu":
    raise UserInputError(
        f"config.json has {activation_key}={activation!r}; only 'gelu' (the exact GELU) is "
        f"supported.")

  return EncoderConfig(
      vocab_size=required("vocab_size"), num_labels=num_labels,
      max_length=required("max_position_embeddings"), dtype=dtype, **fields)


def load_checkpoint_tokenizer(
    folder: pathlib.Path, vocab_size: int
) -> transformers.PreTrainedTokenizerBase:
  """Load the tokenizer saved in a checkpoint folder, checking it fits the vocabulary."""
  if not any((folder / name).is_file() for name in TOKENIZER_FILES):
    raise UserInputError(
        f"Checkpoint folder {str(folder)!r} has no tokenizer ({' or '.join(TOKENIZER_FILES)}); "
        f"save the checkpoint's tokenizer there with tokenizer.save_pretrained(folder).")
  try:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
  except (OSError, ValueError) as error:
    raise UserInputError(f"Could not load the tokenizer in {str(folder)!r}: {error}") from error

  if len(tokenizer) > vocab_size:
    raise UserInputError(
        f"The tokenizer in {str(folder)!r} has {len(tokenizer)} tokens, but config.json has "
        f"vocab_size={vocab_size}, so some token ids have no embedding; save the tokenizer that "
        f"belongs to these weights in the folder.")
  return tokenizer


def read_checkpoint_tensors(folder: pathlib.Path) -> dict[str, np.ndarray]:
  """Read every tensor of a checkpoint folder's weights as NumPy arrays, by name.

  Prefers safetensors, which needs no PyTorch, over `pytorch_model.bin`, which does.
  """
  for name in SAFETENSORS_FILES + PYTORCH_FILES:
    path = folder / name
    if not path.is_file():
      continue
    files = [path]
    if name.endswith(".index.json"):
      weight_map = json.loads(path.read_text())["weight_map"]
      files = [folder / shard for shard in sorted(set(weight_map.values()))]
    read = _read_safetensors if name in SAFETENSORS_FILES else _read_pytorch_bin
    tensors = {}
    for file in files:
      tensors.update(read(file))
    logging.info("Read %d tensors from %s", len(tensors), path)
    return tensors

  raise UserInputError(
      f"Checkpoint folder {str(folder)!r} has no weights; expected one of "
      f"{', '.join(SAFETENSORS_FILES + PYTORCH_FILES)}.")


def _read_safetensors(path: pathlib.Path) -> dict[str, np.ndarray]:
  try:
    return safetensors.numpy.load_file(path)
  except TypeError:
    # NumPy has no bfloat16, so safetensors.numpy cannot read such a file. The Flax reader
    # returns jax arrays, which do have it.
    return {name: np.asarray(tensor, np.float32)
            for name, tensor in safetensors.flax.load_file(path).items()}


def _read_pytorch_bin(path: pathlib.Path) -> dict[str, np.ndarray]:
  try:
    import torch
  except ImportError as error:
    raise UserInputError(
        f"Reading {str(path)!r} needs PyTorch, which is not installed. Install it "
        f"(pip install 'collective_jax[torch]'), or convert the checkpoint to model.safetensors "
        f"on a machine that has it: load it with transformers and call save_pretrained, which "
        f"writes safetensors.") from error

  # weights_only=True unpickles tensors and plain containers only, never arbitrary objects.
  state_dict = torch.load(path, map_location="cpu", weights_only=True)
  tensors = {}
  for name, tensor in state_dict.items():
    if tensor.is_floating_point():
      tensor = tensor.to(torch.float32)  # NumPy has no bfloat16.
    tensors[name] = tensor.numpy()
  return tensors


def checkpoint_parameter_names(
    config: EncoderConfig, base_prefix: str
) -> dict[str, tuple[str, ...]]:
  """Map checkpoint tensor names to the Flax parameter paths of EncoderClassifier(config).

  `base_prefix` is "distilbert." or "bert." in a task model's checkpoint and "" in a base
  model's. PyTorch `weight` maps onto Flax `kernel` (Dense, transposed), `embedding` (Embed) or
  `scale` (LayerNorm).
  """
  names = {}
  for flax_module, (checkpoint_module, kind) in _checkpoint_modules(config, base_prefix).items():
    flax_path = tuple(flax_module.split("/"))
    weight = {"dense": "kernel", "embed": "embedding", "norm": "scale"}[kind]
    names[f"{checkpoint_module}.weight"] = flax_path + (weight,)
    if kind != "embed":
      names[f"{checkpoint_module}.bias"] = flax_path + ("bias",)
  return names


def _checkpoint_modules(config: EncoderConfig, base_prefix: str) -> dict[str, tuple[str, str]]:
  """Map Flax module paths to (checkpoint module name, kind of layer)."""
  if config.head == "distilbert":
    modules = {
        "word_embeddings": ("{base}embeddings.word_embeddings", "embed"),
        "position_embeddings": ("{base}embeddings.position_embeddings", "embed"),
        "embeddings_layer_norm": ("{base}embeddings.LayerNorm", "norm"),
        # DistilBertForSequenceClassification keeps its head outside the base model.
        "pre_classifier": ("pre_classifier", "dense"),
    }
    layer_modules = {
        "attention/query": ("attention.q_lin", "dense"),
        "attention/key": ("attention.k_lin", "dense"),
        "attention/value": ("attention.v_lin", "dense"),
        "attention/output": ("attention.out_lin", "dense"),
        "attention_layer_norm": ("sa_layer_norm", "norm"),
        "intermediate": ("ffn.lin1", "dense"),
        "output": ("ffn.lin2", "dense"),
        "output_layer_norm": ("output_layer_norm", "norm"),
    }
    layer_prefix = "{base}transformer.layer"
  else:
    modules = {
        "word_embeddings": ("{base}embeddings.word_embeddings", "embed"),
        "position_embeddings": ("{base}embeddings.position_embeddings", "embed"),
        "token_type_embeddings": ("{base}embeddings.token_type_embeddings", "embed"),
        "embeddings_layer_norm": ("{base}embeddings.LayerNorm", "norm"),
        # BertModel owns the pooler; only the classifier sits outside it.
        "pooler": ("{base}pooler.dense", "dense"),
    }
    layer_modules = {
        "attention/query": ("attention.self.query", "dense"),
        "attention/key": ("attention.self.key", "dense"),
        "attention/value": ("attention.self.value", "dense"),
        "attention/output": ("attention.output.dense", "dense"),
        "attention_layer_norm": ("attention.output.LayerNorm", "norm"),
        "intermediate": ("intermediate.dense", "dense"),
        "output": ("output.dense", "dense"),
        "output_layer_norm": ("output.LayerNorm", "norm"),
    }
    layer_prefix = "{base}encoder.layer"

  for i in range(config.num_layers):
    for flax_module, (checkpoint_module, kind) in layer_modules.items():
      modules[f"layer_{i}/{flax_module}"] = (f"{layer_prefix}.{i}.{checkpoint_module}", kind)
  modules[CLASSIFIER_MODULE] = (CLASSIFIER_MODULE, "dense")
  return {flax_module: (checkpoint_module.format(base=base_prefix), kind)
          for flax_module, (checkpoint_module, kind) in modules.items()}


def checkpoint_to_params(
    tensors: dict[str, np.ndarray], config: EncoderConfig, *, rng: jax.Array | None = None
) -> dict[str, Any]:
  """Convert checkpoint tensors into the Flax parameters of EncoderClassifier(config).

  Raises a UserInputError that lists every unknown tensor, every missing tensor and every shape
  mismatch. The classification head (classifier, and the pooler or pre-classifier) is the
  exception: the parts of it that the checkpoint lacks, or a classifier with a different
  number of labels, are initialised from `rng` instead.
  """
  model_type = config.head
  tensors = _rename_legacy_layer_norms(tensors)
  base_prefix = f"{model_type}." if any(n.startswith(f"{model_type}.") for n in tensors) else ""
  names = checkpoint_parameter_names(config, base_prefix)
  expected_shapes = _expected_checkpoint_shapes(config, names)

  ignored_prefixes = tuple(p.format(base=base_prefix) for p in IGNORED_PREFIXES[model_type])
  ignored = sorted(n for n in tensors if n not in names and n.startswith(ignored_prefixes))
  unknown = sorted(n for n in tensors if n not in names and n not in ignored)
  if ignored:
    logging.info("Ignored %d checkpoint tensors that EncoderClassifier does not use: %s",
                 len(ignored), ", ".join(ignored))

  head_modules = _head_modules_to_initialise(tensors, config, names, base_prefix)
  head_names = {n for n, path in names.items() if path[0] in head_modules}
  missing = sorted(n for n in names if n not in tensors and n not in head_names)
  mismatched = sorted(
      n for n in names
      if n in tensors and n not in head_names and tensors[n].shape != expected_shapes[n])
  _raise_on_mapping_errors(unknown, missing, mismatched, tensors, expected_shapes, names)

  params = {}
  for name, path in names.items():
    if name in head_names:
      continue
    value = np.asarray(tensors[name], np.float32)
    if path[-1] == "kernel":
      value = value.T  # PyTorch Linear stores [out, in], Flax Dense [in, out].
    _set_nested(params, path, jnp.asarray(value))

  if head_modules:
    fresh = _init_head_params(config, rng if rng is not None else jax.random.key(0))
    for module in head_modules:
      params[module] = fresh[module]
  return params


def _rename_legacy_layer_norms(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
  """Rename LayerNorm `gamma`/`beta` (names from TensorFlow conversions) to weight/bias."""
  renamed = {}
  for name, tensor in tensors.items():
    module, _, leaf = name.rpartition(".")
    if leaf in ("gamma", "beta") and ("LayerNorm" in module or "layer_norm" in module):
      name = f"{module}.{'weight' if leaf == 'gamma' else 'bias'}"
    renamed[name] = tensor
  return renamed


def _expected_checkpoint_shapes(
    config: EncoderConfig, names: dict[str, tuple[str, ...]]
) -> dict[str, tuple[int, ...]]:
  """Return the shape of each checkpoint tensor in PyTorch's layout ([out, in] for Linear)."""
  shapes = jax.eval_shape(lambda: _init_params(config, jax.random.key(0)))
  expected = {}
  for name, path in names.items():
    shape = _get_nested(shapes, path).shape
    expected[name] = shape[::-1] if path[-1] == "kernel" else shape
  return expected


def _head_modules_to_initialise(
    tensors: dict[str, np.ndarray], config: EncoderConfig, names: dict[str, tuple[str, ...]],
    base_prefix: str,
) -> list[str]:
  """Return the head modules ("pooler"/"pre_classifier", "classifier") to initialise afresh."""
  pooler = POOLER_MODULE[config.head]
  pooler_names = [n for n, path in names.items() if path[0] == pooler]
  classifier_weight = tensors.get(f"{CLASSIFIER_MODULE}.weight")
  classifier_bias = tensors.get(f"{CLASSIFIER_MODULE}.bias")

  modules = []
  if not any(n in tensors for n in pooler_names):
    modules.append(pooler)
    logging.info("The checkpoint has no %s (%s.*); initialising it from rng.", pooler,
                 _checkpoint_modules(config, base_prefix)[pooler][0])

  if classifier_weight is None and classifier_bias is None:
    modules.append(CLASSIFIER_MODULE)
    logging.info("The checkpoint has no classification head; initialising a classifier with "
                 "%d labels from rng.", config.num_labels)
  elif pooler in modules:
    # A trained classifier on top of a freshly initialised pooler would compute nothing useful.
    modules.append(CLASSIFIER_MODULE)
    logging.warning("Initialising the checkpoint's classifier afresh from rng because its %s "
                    "is missing.", pooler)
  elif _is_classifier_for_other_labels(classifier_weight, classifier_bias, config):
    modules.append(CLASSIFIER_MODULE)
    logging.warning("The checkpoint's classifier has %d labels, not num_labels=%d; initialising "
                    "a new one from rng.", classifier_weight.shape[0], config.num_labels)
  return modules


def _is_classifier_for_other_labels(weight, bias, config: EncoderConfig) -> bool:
  """Return True if classifier.weight/bias form a classifier for a different number of labels."""
  if weight is None or bias is None or weight.ndim != 2 or bias.ndim != 1:
    return False
  return (weight.shape[1] == config.hidden_size and weight.shape[0] == bias.shape[0]
          and weight.shape[0] != config.num_labels)


def _raise_on_mapping_errors(unknown, missing, mismatched, tensors, expected_shapes, names):
  problems = []
  if unknown:
    problems.append(f"{len(unknown)} checkpoint tensors that EncoderClassifier has no parameter "
                    f"for: " + _join_listed(f"{n} {tuple(tensors[n].shape)}" for n in unknown))
  if missing:
    problems.append(f"{len(missing)} tensors missing from the checkpoint: " + _join_listed(
        f"{n} (expected shape {expected_shapes[n]}, for {'/'.join(names[n])})" for n in missing))
  if mismatched:
    problems.append(f"{len(mismatched)} tensors of the wrong shape: " + _join_listed(
        f"{n} has shape {tuple(tensors[n].shape)}, expected {expected_shapes[n]}"
        for n in mismatched))
  if problems:
    raise UserInputError(
        "The checkpoint does not match the model that its config.json describes. " +
        ". ".join(problems) + ". Use the config.json saved with these weights, and a "
        f"checkpoint of one of the supported model types ({', '.join(SUPPORTED_MODEL_TYPES)}).")


def _join_listed(items, limit: int = 12) -> str:
  """Join the first `limit` items, so a checkpoint of another architecture gives a short message."""
  items = list(items)
  listed = ", ".join(items[:limit])
  return listed if len(items) <= limit else f"{listed} and {len(items) - limit} more"


def _init_params(config: EncoderConfig, rng: jax.Array) -> dict[str, Any]:
  tokens = jnp.zeros((1, 1), jnp.int32)
  return EncoderClassifier(config).init(rng, tokens, tokens == 0)["params"]


@functools.partial(jax.jit, static_argnums=0)
def _init_head_params(config: EncoderConfig, rng: jax.Array) -> dict[str, Any]:
  """Return the head parameters that EncoderClassifier(config).init(rng, ...) would give.

  Flax derives each parameter's key from `rng` and the parameter's path alone, so a model with
  no layers and a one-token vocabulary gives the same head, and initialises and compiles in a
  fraction of the time.
  """
  head_only = dataclasses.replace(
      config, num_layers=0, vocab_size=1, max_length=1, type_vocab_size=0)
  return _init_params(head_only, rng)


def _get_nested(tree, path):
  for key in path:
    tree = tree[key]
  return tree


def _set_nested(tree, path, value):
  for key in path[:-1]:
    tree = tree.setdefault(key, {})
  tree[path[-1]] = value
