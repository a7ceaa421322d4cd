"""Loading Hugging Face DistilBERT and BERT checkpoints into EncoderClassifier.

Checkpoints are tiny random transformers models saved into tmp_path; nothing is downloaded.
Tests that build them need PyTorch and are skipped without it. Run with `pytest -s` to see the
largest logit difference against transformers.
"""

import json
import shutil
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import safetensors.numpy
import transformers

from collective_jax import UserInputError
from collective_jax.models import EncoderClassifier
from collective_jax.models import pretrained
from collective_jax.models.pretrained import load_pretrained
from collective_jax.tokenization import SPECIAL_TOKENS
from collective_jax.tokenization import train_tokenizer

NUM_LABELS = 10
VOCAB_SIZE = 100
TEXTS = [f"resume {i} python developer with sql and linux skills, project {i % 7}"
         for i in range(60)]
SEQ_LEN = 24
LOGIT_TOLERANCE = 1e-4

# Keeps `pytest -s` output to the logit differences.
transformers.utils.logging.disable_progress_bar()


@pytest.fixture(scope="module")
def tokenizer():
  tokenizer = train_tokenizer(TEXTS, vocab_size=VOCAB_SIZE)
  assert len(tokenizer) <= VOCAB_SIZE
  return tokenizer


@pytest.fixture(scope="module")
def batch(tokenizer):
  """int32[4, SEQ_LEN] token ids, their attention mask and token types (1 on the second half).

  Fixed random ids rather than tokenized text, because the trained tokenizer's vocabulary (and
  so the ids of a text) changes with Python's hash seed.
  """
  lengths = np.array([SEQ_LEN, 5, 11, 2])
  ids = np.random.default_rng(0).integers(len(SPECIAL_TOKENS), VOCAB_SIZE, (4, SEQ_LEN))
  ids[:, 0] = tokenizer.cls_token_id
  positions = np.arange(SEQ_LEN)[None]
  attention_mask = positions < lengths[:, None]
  input_ids = np.where(attention_mask, ids, tokenizer.pad_token_id).astype(np.int32)
  token_type_ids = attention_mask & (positions >= lengths[:, None] // 2)
  return input_ids, attention_mask.astype(np.int32), token_type_ids.astype(np.int32)


def _hf_model(model_type: str, head: bool = True):
  """A tiny random transformers model in eval mode, with every weight far from its default init.

  Biases and layer-norm parameters are random too, so a tensor mapped to the wrong parameter
  changes the logits.
  """
  torch = pytest.importorskip("torch")
  torch.manual_seed(0 if model_type == "distilbert" else 1)
  if model_type == "distilbert":
    config = transformers.DistilBertConfig(
        vocab_size=VOCAB_SIZE, dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=64,
        num_labels=NUM_LABELS)
    model_class = (transformers.DistilBertForSequenceClassification if head
                   else transformers.DistilBertModel)
  else:
    config = transformers.BertConfig(
        vocab_size=VOCAB_SIZE, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
        num_labels=NUM_LABELS)
    model_class = transformers.BertForSequenceClassification if head else transformers.BertModel
  model = model_class(config).eval()

  with torch.no_grad():
    for name, parameter in model.named_parameters():
      noise = torch.randn_like(parameter)
      is_norm_scale = ("LayerNorm" in name or "layer_norm" in name) and name.endswith("weight")
      parameter.copy_(1.0 + 0.1 * noise if is_norm_scale else 0.2 * noise)
  return model


def _save(model, tokenizer, folder, weights_format: str = "safetensors"):
  """Save a checkpoint folder as save_pretrained writes it, or in the older pytorch_model.bin."""
  torch = pytest.importorskip("torch")
  if weights_format == "safetensors":
    model.save_pretrained(folder)
  else:
    # transformers 5 writes safetensors only, so the .bin file is written as older releases did.
    model.config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
  tokenizer.save_pretrained(folder)
  return folder


def _hf_logits(model, batch, model_type: str) -> np.ndarray:
  torch = pytest.importorskip("torch")
  input_ids, attention_mask, token_type_ids = (torch.from_numpy(a).long() for a in batch)
  extra = {"token_type_ids": token_type_ids} if model_type == "bert" else {}
  with torch.no_grad():
    return model(input_ids=input_ids, attention_mask=attention_mask, **extra).logits.numpy()


def _flax_logits(loaded, batch) -> np.ndarray:
  input_ids, attention_mask, token_type_ids = batch
  logits = EncoderClassifier(loaded.config).apply(
      {"params": loaded.params}, input_ids, attention_mask.astype(bool), token_type_ids)
  return np.asarray(logits)


def _rewrite_tensors(folder, change):
  """Apply `change` to the {name: array} dict of folder/model.safetensors and save it back."""
  path = folder / "model.safetensors"
  tensors = dict(safetensors.numpy.load_file(path))
  change(tensors)
  safetensors.numpy.save_file(tensors, path, metadata={"format": "pt"})


def _tree_equal(a, b) -> bool:
  return all(jax.tree.leaves(jax.tree.map(lambda x, y: bool(jnp.array_equal(x, y)), a, b)))


@pytest.fixture(scope="module")
def distilbert_folder(tokenizer, tmp_path_factory):
  folder = tmp_path_factory.mktemp("distilbert")
  return _save(_hf_model("distilbert"), tokenizer, folder)


@pytest.mark.parametrize("model_type", ["distilbert", "bert"])
@pytest.mark.parametrize("weights_format", ["safetensors", "bin"])
def test_logits_match_transformers(model_type, weights_format, tokenizer, batch, tmp_path):
  model = _hf_model(model_type)
  folder = _save(model, tokenizer, tmp_path, weights_format)

  loaded = load_pretrained(folder, NUM_LABELS)
  expected = _hf_logits(model, batch, model_type)
  actual = _flax_logits(loaded, batch)

  max_difference = float(np.abs(actual - expected).max())
  print(f"\n{model_type} ({weights_format}): largest absolute logit difference "
        f"{max_difference:.3g}, logits up to {np.abs(expected).max():.3g} in magnitude")
  assert actual.shape == (4, NUM_LABELS)
  assert np.abs(expected).max() > 0.5  # Large enough for the tolerance to mean something.
  assert max_difference < LOGIT_TOLERANCE


def test_config_comes_from_config_json(distilbert_folder, tokenizer):
  config, params, loaded_tokenizer = load_pretrained(distilbert_folder, NUM_LABELS,
                                                     dtype=jnp.bfloat16)
  assert (config.num_layers, config.hidden_size, config.num_heads) == (2, 32, 2)
  assert (config.intermediate_size, config.max_length, config.vocab_size) == (64, 64, 100)
  assert (config.head, config.type_vocab_size, config.dtype) == ("distilbert", 0, jnp.bfloat16)
  assert params["word_embeddings"]["embedding"].dtype == jnp.float32
  text = "python developer"
  assert loaded_tokenizer(text)["input_ids"] == tokenizer(text)["input_ids"]


def test_bfloat16_checkpoint_loads(tokenizer, tmp_path):
  torch = pytest.importorskip("torch")
  model = _hf_model("distilbert").to(torch.bfloat16)
  folder = _save(model, tokenizer, tmp_path)

  params = load_pretrained(folder, NUM_LABELS).params
  expected = model.distilbert.embeddings.word_embeddings.weight.float().detach().numpy()
  np.testing.assert_array_equal(params["word_embeddings"]["embedding"], expected)


def test_legacy_gamma_beta_names_load(distilbert_folder, tmp_path):
  folder = shutil.copytree(distilbert_folder, tmp_path / "legacy")

  def rename(tensors):
    for name in [n for n in tensors if "LayerNorm" in n or "layer_norm" in n]:
      leaf = "gamma" if name.endswith(".weight") else "beta"
      tensors[name.rsplit(".", 1)[0] + "." + leaf] = tensors.pop(name)

  _rewrite_tensors(folder, rename)
  assert _tree_equal(load_pretrained(folder, NUM_LABELS).params,
                     load_pretrained(distilbert_folder, NUM_LABELS).params)


def test_unknown_tensor_is_rejected(distilbert_folder, tmp_path):
  folder = shutil.copytree(distilbert_folder, tmp_path / "extra")
  extra = {"distilbert.extra.weight": np.zeros((3, 5), np.float32)}
  _rewrite_tensors(folder, lambda tensors: tensors.update(extra))
  with pytest.raises(UserInputError,
                     match=r"no parameter for: distilbert\.extra\.weight \(3, 5\)"):
    load_pretrained(folder, NUM_LABELS)


def test_missing_tensor_is_rejected(distilbert_folder, tmp_path):
  folder = shutil.copytree(distilbert_folder, tmp_path / "missing")
  name = "distilbert.transformer.layer.1.ffn.lin2.weight"
  _rewrite_tensors(folder, lambda tensors: tensors.pop(name))
  with pytest.raises(UserInputError,
                     match=r"missing from the checkpoint: distilbert\.transformer\.layer\.1\."
                           r"ffn\.lin2\.weight \(expected shape \(32, 64\)"):
    load_pretrained(folder, NUM_LABELS)


def test_wrong_shape_is_rejected(distilbert_folder, tmp_path):
  folder = shutil.copytree(distilbert_folder, tmp_path / "shape")
  name = "distilbert.transformer.layer.0.ffn.lin1.weight"
  _rewrite_tensors(folder, lambda tensors: tensors.update({name: np.zeros((48, 32), np.float32)}))
  with pytest.raises(UserInputError, match=rf"{name} has shape \(48, 32\), expected \(64, 32\)"):
    load_pretrained(folder, NUM_LABELS)


def test_unsupported_model_type_is_rejected(tmp_path):
  (tmp_path / "config.json").write_text(json.dumps({"model_type": "roberta", "hidden_size": 32}))
  with pytest.raises(UserInputError,
                     match=r"model_type='roberta'.*supported model types: bert, distilbert"):
    load_pretrained(tmp_path, NUM_LABELS)


def test_other_activation_is_rejected(distilbert_folder, tmp_path):
  folder = shutil.copytree(distilbert_folder, tmp_path / "relu")
  config = json.loads((folder / "config.json").read_text())
  (folder / "config.json").write_text(json.dumps({**config, "activation": "relu"}))
  with pytest.raises(UserInputError, match=r"activation='relu'"):
    load_pretrained(folder, NUM_LABELS)


def test_missing_tokenizer_is_rejected(distilbert_folder, tmp_path):
  # transformers would otherwise build an empty tokenizer that maps every word to [UNK].
  folder = tmp_path / "no_tokenizer"
  folder.mkdir()
  for name in ("config.json", "model.safetensors"):
    shutil.copy(distilbert_folder / name, folder / name)
  with pytest.raises(UserInputError, match=r"has no tokenizer"):
    load_pretrained(folder, NUM_LABELS)


@pytest.mark.parametrize("model_type", ["distilbert", "bert"])
def test_base_model_gets_fresh_head(model_type, tokenizer, tmp_path):
  model = _hf_model(model_type)
  full = load_pretrained(_save(model, tokenizer, tmp_path / "full"), NUM_LABELS)
  base_model = getattr(model, model_type)
  base_folder = _save(base_model, tokenizer, tmp_path / "base")
  base = load_pretrained(base_folder, NUM_LABELS, rng=jax.random.key(7))

  fresh_modules = ["pre_classifier", "classifier"] if model_type == "distilbert" else ["classifier"]
  other_rng = load_pretrained(base_folder, NUM_LABELS, rng=jax.random.key(8))
  for module in fresh_modules:
    assert not _tree_equal(base.params[module], full.params[module]), module
    assert not _tree_equal(base.params[module], other_rng.params[module]), module

  from_checkpoint = {k: v for k, v in full.params.items() if k not in fresh_modules}
  assert _tree_equal({k: base.params[k] for k in from_checkpoint}, from_checkpoint)
  assert set(base.params) == set(full.params)


def test_fresh_head_matches_model_init(tokenizer, tmp_path):
  base_folder = _save(_hf_model("distilbert").distilbert, tokenizer, tmp_path)
  base = load_pretrained(base_folder, NUM_LABELS, rng=jax.random.key(7))

  tokens = jnp.zeros((1, 1), jnp.int32)
  initial = jax.jit(EncoderClassifier(base.config).init)(
      jax.random.key(7), tokens, tokens == 0)["params"]
  for module in ("pre_classifier", "classifier"):
    assert _tree_equal(base.params[module], initial[module]), module


def test_classifier_for_other_label_count_is_replaced(distilbert_folder):
  full = load_pretrained(distilbert_folder, NUM_LABELS)
  three = load_pretrained(distilbert_folder, 3)
  assert three.params["classifier"]["kernel"].shape == (32, 3)
  assert _tree_equal(three.params["pre_classifier"], full.params["pre_classifier"])


def test_classifier_with_wrong_width_is_rejected(distilbert_folder, tmp_path):
  folder = shutil.copytree(distilbert_folder, tmp_path / "classifier")
  narrow = {"classifier.weight": np.zeros((10, 16), np.float32)}
  _rewrite_tensors(folder, lambda tensors: tensors.update(narrow))
  with pytest.raises(UserInputError,
                     match=r"classifier\.weight has shape \(10, 16\), expected \(10, 32\)"):
    load_pretrained(folder, NUM_LABELS)


def test_pytorch_bin_without_torch_is_rejected(tmp_path, monkeypatch):
  (tmp_path / "pytorch_model.bin").write_bytes(b"not read")
  # Makes `import torch` raise ImportError. Only the weights reader runs with it, because
  # transformers imports torch whenever it was importable at startup.
  monkeypatch.setitem(sys.modules, "torch", None)
  with pytest.raises(UserInputError,
                     match=r"needs PyTorch.*convert the checkpoint to model\.safetensors"):
    pretrained.read_checkpoint_tensors(tmp_path)


def test_uncached_hub_name_is_rejected(tmp_path):
  cache = tmp_path / "hub"
  cache.mkdir()
  with pytest.raises(UserInputError) as error:
    load_pretrained("distilbert-base-uncased", NUM_LABELS, cache_dir=cache)
  message = str(error.value)
  assert str(cache) in message
  assert "'distilbert/distilbert-base-uncased'" in message
  assert "local folder" in message


def test_cached_hub_name_resolves(distilbert_folder, tmp_path):
  # The layout huggingface_hub gives a cached model: refs/main names the snapshot folder.
  commit = "0" * 40
  repo = tmp_path / "hub" / "models--distilbert--distilbert-base-uncased"
  shutil.copytree(distilbert_folder, repo / "snapshots" / commit)
  (repo / "refs").mkdir()
  (repo / "refs" / "main").write_text(commit)

  folder = pretrained.resolve_checkpoint_folder("distilbert-base-uncased",
                                                cache_dir=tmp_path / "hub")
  assert folder == repo / "snapshots" / commit
  loaded = load_pretrained("distilbert-base-uncased", NUM_LABELS, cache_dir=tmp_path / "hub")
  assert _tree_equal(loaded.params, load_pretrained(distilbert_folder, NUM_LABELS).params)


def test_file_path_is_rejected(distilbert_folder):
  with pytest.raises(UserInputError, match=r"is a file; pass the folder"):
    load_pretrained(distilbert_folder / "config.json", NUM_LABELS)


def test_invalid_num_labels_is_rejected(distilbert_folder):
  with pytest.raises(UserInputError, match=r"num_labels=0 is invalid"):
    load_pretrained(distilbert_folder, 0)
