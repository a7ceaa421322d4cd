"""WordPiece training, saving and loading, encoding, and the encoding cache."""

import numpy as np
import pytest

from collective_jax import CharacterEveryKWords, UserInputError
from collective_jax import tokenization

TEXTS = [f"resume {i} python developer with sql and linux skills, project {i % 7}" for i in range(60)]


@pytest.fixture(scope="module")
def tokenizer():
  return tokenization.train_tokenizer(TEXTS, vocab_size=200, extra_characters="\u2e18")


def test_unseen_extra_character_gets_own_token(tokenizer):
  ids = tokenizer("\u2e18", add_special_tokens=False)["input_ids"]
  assert ids and tokenizer.unk_token_id not in ids
  never_added = tokenizer("\u2e17", add_special_tokens=False)["input_ids"]
  assert never_added == [tokenizer.unk_token_id]


def test_encode_shapes_and_special_tokens(tokenizer):
  ids = tokenization.encode(tokenizer, ["python developer", "sql " * 50], seq_len=16)
  assert ids.shape == (2, 16)
  assert ids.dtype == np.int32
  assert ids[0, 0] == tokenizer.cls_token_id
  assert ids[0, 3] == tokenizer.sep_token_id
  assert ids[0, 4] == tokenizer.pad_token_id
  assert ids[1, -1] == tokenizer.sep_token_id  # truncated, still closed by [SEP]


def test_cutting_long_texts_keeps_encoding(tokenizer):
  text = " ".join(TEXTS)
  full = tokenizer(text, truncation=True, max_length=32, padding="max_length")["input_ids"]
  np.testing.assert_array_equal(tokenization.encode(tokenizer, [text], seq_len=32)[0], full)


def test_signal_transform_is_applied(tokenizer):
  signal = CharacterEveryKWords("\u2e18", every=3)
  planted = tokenization.encode(tokenizer, TEXTS[:2], seq_len=32, transform=signal)
  signal_id = tokenizer.convert_tokens_to_ids("\u2e18")
  assert (planted == signal_id).sum(axis=1).min() >= 3


def test_save_and_load_round_trip(tokenizer, tmp_path):
  tokenizer.save_pretrained(str(tmp_path / "tok"))
  loaded = tokenization.load_tokenizer(tmp_path / "tok")
  assert tokenization.vocabulary_hash(loaded) == tokenization.vocabulary_hash(tokenizer)
  np.testing.assert_array_equal(tokenization.encode(loaded, TEXTS, 24),
                                tokenization.encode(tokenizer, TEXTS, 24))


def test_load_missing_folder(tmp_path):
  with pytest.raises(UserInputError, match="Tokenizer folder .* not found"):
    tokenization.load_tokenizer(tmp_path / "absent")


def test_cache_hits_and_keys(tokenizer, tmp_path, monkeypatch):
  first = tokenization.cached_encode(tmp_path, tokenizer, TEXTS, 16)
  assert len(list(tmp_path.glob("*.npz"))) == 1

  def fail(*args, **kwargs):
    raise AssertionError("cache miss")

  monkeypatch.setattr(tokenization, "encode", fail)
  np.testing.assert_array_equal(tokenization.cached_encode(tmp_path, tokenizer, TEXTS, 16), first)
  monkeypatch.undo()
  tokenization.cached_encode(tmp_path, tokenizer, TEXTS, 20)
  tokenization.cached_encode(tmp_path, tokenizer, TEXTS, 16, transform=CharacterEveryKWords(),
                             transform_key=repr(CharacterEveryKWords()))
  tokenization.cached_encode(tmp_path, tokenizer, TEXTS[:-1], 16)
  assert len(list(tmp_path.glob("*.npz"))) == 4
