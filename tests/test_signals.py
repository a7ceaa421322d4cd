"""Signals g and the check that their tokens are known and rare."""

import numpy as np
import pytest

from collective_jax import CharacterEveryKWords, UserInputError, WordAtRandomPositions
from collective_jax import build_signal, signal_token_report


def test_character_every_k_words_exact():
  signal = CharacterEveryKWords(character="{", every=2)
  assert signal("a b c d e") == "{ a b { c d { e"
  assert signal("") == "{"


def test_character_signal_density():
  text = " ".join(f"w{i}" for i in range(100))
  planted = CharacterEveryKWords("}", 20)(text)
  assert planted.split().count("}") == 5
  assert [w for w in planted.split() if w != "}"] == text.split()


def test_word_at_random_positions_reproducible():
  signal = WordAtRandomPositions(word="zebra", count=3, seed=7)
  text = "one two three four five six"
  first, again = signal(text, index=4), signal(text, index=4)
  assert first == again
  assert first.split().count("zebra") == 3
  assert [w for w in first.split() if w != "zebra"] == text.split()
  others = {signal(text, index=i) for i in range(20)}
  assert len(others) > 1


def test_build_signal_by_name():
  signal = build_signal({"name": "character_every_k_words", "character": "}", "every": 5})
  assert signal == CharacterEveryKWords("}", 5)


@pytest.mark.parametrize("fields, expected", [
    ({"name": "sparkles"}, "signal.name='sparkles' is unknown; valid signals"),
    ({"name": "character_every_k_words", "count": 3}, r"fields \['count'\] do not apply"),
    ({"name": "character_every_k_words", "every": 0}, "signal.every=0"),
    ({"name": "character_every_k_words", "character": " "}, "no white space"),
    ({"name": "word_at_random_positions", "word": " "}, "signal.word"),
])
def test_build_signal_rejects(fields, expected):
  with pytest.raises(UserInputError, match=expected):
    build_signal(fields)


def test_token_report_counts_clean_occurrences():
  token_ids = np.array([[2, 10, 11, 3, 0], [2, 12, 13, 3, 0], [2, 10, 99, 3, 0], [2, 5, 6, 3, 0]])
  report = signal_token_report(CharacterEveryKWords("{"), token_ids, [99], unk_id=1)
  assert report["signal_token_ids"] == [99]
  assert report["clean_doc_fraction"] == pytest.approx(0.25)
  assert report["clean_token_frequency"] == pytest.approx(1 / 16)


def test_token_report_rejects_unknown_token():
  token_ids = np.zeros((2, 4), dtype=np.int32)
  with pytest.raises(UserInputError, match="unknown token id 1"):
    signal_token_report(CharacterEveryKWords("\u2e18"), token_ids, [1], unk_id=1)
