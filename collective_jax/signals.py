"""Signals g: text transformations that a collective plants in its members' documents.

A signal is a frozen dataclass whose `__call__(text, index)` returns g(text). `index` is the
document's position in its corpus, so randomised signals are reproducible per document.
`build_signal` makes one from the `signal` field of a config by name.
"""

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from absl import logging
import numpy as np

from collective_jax.errors import UserInputError


class Signal(Protocol):
  """A text transformation g with the characters it inserts."""

  def __call__(self, text: str, index: int = 0) -> str:
    ...

  @property
  def inserted_text(self) -> str:
    ...


@dataclasses.dataclass(frozen=True)
class CharacterEveryKWords:
  """Insert `character` as its own word before words 0, k, 2k, ... of the text.

  With k = 20 and a rare character this is the signal of Hardt et al. (2023). Starting at
  word 0 keeps the signal inside the part of a long resume that a model truncates to.
  """

  character: str = "{"
  every: int = 20

  def __post_init__(self):
    if not self.character or any(c.isspace() for c in self.character):
      raise UserInputError(
          f"signal.character={self.character!r} must be non-empty and contain no white space."
      )
    if self.every < 1:
      raise UserInputError(f"signal.every={self.every} must be a positive number of words.")

  @property
  def inserted_text(self) -> str:
    return self.character

  def __call__(self, text: str, index: int = 0) -> str:
    del index
    words = text.split()
    planted = []
    for position, word in enumerate(words):
      if position % self.every == 0:
        planted.append(self.character)
      planted.append(word)
    return " ".join(planted) if planted else self.character


@dataclasses.dataclass(frozen=True)
class WordAtRandomPositions:
  """Insert `word` at `count` positions drawn uniformly among the text's word boundaries.

  The positions come from NumPy's PCG64 generator seeded with (seed, index), so every
  document gets its own, reproducible positions.
  """

  word: str = "xylophone"
  count: int = 5
  seed: int = 0

  def __post_init__(self):
    if not self.word.strip():
      raise UserInputError(f"signal.word={self.word!r} is empty; give the word or token to insert.")
    if self.count < 1:
      raise UserInputError(f"signal.count={self.count} must be at least 1.")

  @property
  def inserted_text(self) -> str:
    return self.word

  def __call__(self, text: str, index: int = 0) -> str:
    words = text.split()
    rng = np.random.Generator(np.random.PCG64([self.seed, index]))
    positions = np.sort(rng.integers(0, len(words) + 1, size=self.count))
    for position in positions[::-1]:
      words.insert(int(position), self.word)
    return " ".join(words)


SIGNALS = {
    "character_every_k_words": CharacterEveryKWords,
    "word_at_random_positions": WordAtRandomPositions,
}


def build_signal(signal_config) -> Signal:
  """Build a signal from a mapping with `name` and the fields of that signal's class."""
  fields = dict(signal_config)
  name = fields.pop("name", None)
  if name not in SIGNALS:
    raise UserInputError(f"signal.name={name!r} is unknown; valid signals: {', '.join(SIGNALS)}.")
  cls = SIGNALS[name]
  valid = {f.name for f in dataclasses.fields(cls)}
  unknown = sorted(set(fields) - valid)
  if unknown:
    raise UserInputError(
        f"signal fields {unknown} do not apply to signal {name!r}; its fields are {sorted(valid)}."
    )
  return cls(**fields)


def signal_token_report(
    signal: Signal,
    token_ids: np.ndarray,
    signal_token_ids: Sequence[int],
    unk_id: int,
    max_clean_fraction: float = 0.01,
) -> dict:
  """Check that the signal's tokens are not [UNK] and are rare in clean data.

  Args:
    signal: the signal, for messages.
    token_ids: int[num_docs, seq_len], the clean training documents as tokenized for the model.
    signal_token_ids: the ids that the tokenizer gives the signal's inserted text.
    unk_id: the id of the unknown token.
    max_clean_fraction: above this fraction of clean documents containing a signal token, a
      warning is logged, because such a signal is not unique (ξ > 0).

  Returns:
    {"signal_token_ids", "clean_doc_fraction", "clean_token_frequency"}: the ids, the fraction
    of clean documents that contain any of them, and their share of all non-padding tokens.

  Raises:
    UserInputError: a signal token is [UNK], so different signals would be indistinguishable.
  """
  ids = [int(i) for i in signal_token_ids]
  if not ids or unk_id in ids:
    raise UserInputError(
        f"The signal {signal!r} tokenizes to {ids}, which contains the unknown token id {unk_id}: "
        f"the model could not tell this signal from any other unseen text. Choose a signal "
        f"whose characters the tokenizer knows, or add them with tokenizer.extra_characters."
    )
  is_signal = np.isin(token_ids, ids)
  doc_fraction = float(is_signal.any(axis=1).mean())
  token_frequency = float(is_signal.sum() / max(1, np.count_nonzero(token_ids)))
  if doc_fraction > max_clean_fraction:
    logging.warning(
        "Signal tokens %s occur in %.2f%% of clean training documents (more than %.2f%%), so the "
        "signal is not unique.", ids, 100 * doc_fraction, 100 * max_clean_fraction)
  logging.info("Signal tokens %s occur in %.3f%% of clean training documents.", ids,
               100 * doc_fraction)
  return {"signal_token_ids": ids, "clean_doc_fraction": doc_fraction,
          "clean_token_frequency": token_frequency}
