"""WordPiece tokenizers trained with `tokenizers`, used through `transformers`, and cached encodings.

The tokenizer is trained on the clean training split, saved in the run's folder as a
`transformers` fast tokenizer, and reused from there. A local tokenizer folder (for example of
a pretrained checkpoint) can be given instead. Encoded arrays are cached as `.npz` files whose
name is a hash of everything they depend on: the texts, the tokenizer's vocabulary, the
sequence length and the signal.
"""

import hashlib
import json
import os
import pathlib
import tempfile
from collections.abc import Callable, Sequence

from absl import logging
import numpy as np
import tokenizers
from tokenizers import decoders
from tokenizers import models
from tokenizers import normalizers
from tokenizers import pre_tokenizers
from tokenizers import processors
from tokenizers import trainers
import transformers

from collective_jax.errors import UserInputError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# Every whitespace-separated word becomes at least one token, so this many words per token of
# the sequence length always fill it. Cutting texts there first makes encoding several times
# faster on long resumes.
WORDS_PER_TOKEN = 2


def train_tokenizer(
    texts: Sequence[str], vocab_size: int, extra_characters: str = ""
) -> transformers.PreTrainedTokenizerFast:
  """Train an uncased BERT-style WordPiece tokenizer on `texts`.

  `extra_characters` joins the initial alphabet, so characters that never occur in the texts
  (an unseen signal character, say) get their own token instead of [UNK].
  """
  tokenizer = tokenizers.Tokenizer(models.WordPiece(unk_token="[UNK]"))
  tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
  tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
  tokenizer.decoder = decoders.WordPiece()
  trainer = trainers.WordPieceTrainer(
      vocab_size=vocab_size,
      special_tokens=list(SPECIAL_TOKENS),
      initial_alphabet=sorted(set(extra_characters.lower())),
      show_progress=False,
  )
  tokenizer.train_from_iterator(texts, trainer=trainer)
  cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
  tokenizer.post_processor = processors.TemplateProcessing(
      single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
      special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
  )
  return transformers.PreTrainedTokenizerFast(
      tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
      sep_token="[SEP]", mask_token="[MASK]",
  )


def load_tokenizer(folder: str | os.PathLike) -> transformers.PreTrainedTokenizerFast:
  """Load a fast tokenizer saved with `save_pretrained` from a local folder, never the network."""
  folder = pathlib.Path(folder)
  if not folder.is_dir():
    raise UserInputError(
        f"Tokenizer folder {str(folder)!r} not found; set tokenizer.path to a local folder with "
        f"tokenizer.json, or leave it empty to train one on the training split."
    )
  try:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
  except (OSError, ValueError) as error:
    raise UserInputError(f"Could not load a tokenizer from {str(folder)!r}: {error}") from error
  if not tokenizer.is_fast:
    raise UserInputError(f"The tokenizer in {str(folder)!r} is not a fast tokenizer.")
  return tokenizer


def vocabulary_hash(tokenizer: transformers.PreTrainedTokenizerFast) -> str:
  """Return a hash of the tokenizer's full definition (vocabulary, normaliser, special tokens)."""
  return hashlib.sha256(tokenizer.backend_tokenizer.to_str().encode()).hexdigest()[:16]


def texts_hash(texts: Sequence[str]) -> str:
  digest = hashlib.sha256()
  for text in texts:
    digest.update(hashlib.sha256(text.encode()).digest())
  return digest.hexdigest()[:16]


def truncate_words(text: str, seq_len: int) -> str:
  """Cut `text` to the words that can reach the first `seq_len` tokens."""
  max_words = WORDS_PER_TOKEN * seq_len
  return " ".join(text.split(maxsplit=max_words)[:max_words])


def encode(
    tokenizer: transformers.PreTrainedTokenizerFast,
    texts: Sequence[str],
    seq_len: int,
    transform: Callable[[str, int], str] | None = None,
) -> np.ndarray:
  """Encode `texts` (after `transform(text, index)`, if given) to int32[num_texts, seq_len].

  Sequences are [CLS] tokens [SEP], truncated to seq_len and right-padded with [PAD].
  """
  backend = tokenizer.backend_tokenizer
  backend = tokenizers.Tokenizer.from_str(backend.to_str())
  backend.enable_truncation(max_length=seq_len)
  backend.enable_padding(length=seq_len, pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token)
  prepared = []
  for index, text in enumerate(texts):
    if transform is not None:
      text = transform(text, index)
    prepared.append(truncate_words(text, seq_len))
  # encode_batch_fast skips character offsets, which are not needed here: same ids, less time.
  encodings = backend.encode_batch_fast(prepared)
  return np.asarray([e.ids for e in encodings], dtype=np.int32)


def cached_encode(
    cache_dir: str | os.PathLike | None,
    tokenizer: transformers.PreTrainedTokenizerFast,
    texts: Sequence[str],
    seq_len: int,
    transform=None,
    transform_key: str = "",
    texts_key: str | None = None,
) -> np.ndarray:
  """`encode` with an on-disk cache keyed by texts, tokenizer, seq_len and `transform_key`.

  `transform_key` must describe the transform completely (the signal's repr does). Writes go
  through a temporary file and a rename, so a killed process never leaves a partial cache entry.
  """
  if cache_dir is None:
    return encode(tokenizer, texts, seq_len, transform)
  key = json.dumps({
      "texts": texts_key or texts_hash(texts),
      "tokenizer": vocabulary_hash(tokenizer),
      "seq_len": seq_len,
      "transform": transform_key,
      "words_per_token": WORDS_PER_TOKEN,
  }, sort_keys=True)
  name = hashlib.sha256(key.encode()).hexdigest()[:24] + ".npz"
  path = pathlib.Path(cache_dir) / name
  if path.is_file():
    with np.load(path) as cached:
      logging.info("Loaded cached token ids %s", path)
      return cached["ids"]
  ids = encode(tokenizer, texts, seq_len, transform)
  path.parent.mkdir(parents=True, exist_ok=True)
  with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as file:
    np.savez(file, ids=ids, key=key)
  os.replace(file.name, path)
  return ids
