"""The in-memory corpus that every reader returns, and its deterministic split."""

import dataclasses

import numpy as np

from collective_jax.errors import UserInputError


@dataclasses.dataclass(frozen=True)
class Corpus:
  """A multi-label text-classification corpus.

  Attributes:
    texts: one document per entry, already cleaned.
    labels: bool[num_docs, num_labels], labels[i, c] is True when document i carries label c.
      Every document has at least one label.
    label_names: the names of the label columns, in column order.
    ids: a stable identifier per document (the file stem or the row number).
    source: where the corpus was read from, for logs and error messages.
  """

  texts: list[str]
  labels: np.ndarray
  label_names: tuple[str, ...]
  ids: list[str]
  source: str

  def __post_init__(self):
    if self.labels.shape != (len(self.texts), len(self.label_names)):
      raise ValueError(
          f"labels has shape {self.labels.shape}, expected "
          f"({len(self.texts)}, {len(self.label_names)}) for {self.source}"
      )

  def __len__(self) -> int:
    return len(self.texts)

  def label_index(self, name: str) -> int:
    """Return the column of label `name`; raise UserInputError naming the valid labels."""
    if name not in self.label_names:
      raise UserInputError(
          f"target={name!r} is not a label of {self.source}; valid labels: "
          f"{', '.join(self.label_names)}."
      )
    return self.label_names.index(name)

  def subset(self, indices: np.ndarray) -> "Corpus":
    indices = np.asarray(indices)
    return Corpus(
        texts=[self.texts[i] for i in indices],
        labels=self.labels[indices],
        label_names=self.label_names,
        ids=[self.ids[i] for i in indices],
        source=self.source,
    )


def split_corpus(corpus: Corpus, num_train: int, seed: int) -> tuple[Corpus, Corpus]:
  """Split `corpus` into `num_train` training documents and the rest for testing.

  The permutation comes from NumPy's PCG64 generator seeded with `seed`, so the split is the
  same on every machine and NumPy version that keeps that generator's stream.
  """
  if not 0 < num_train < len(corpus):
    raise UserInputError(
        f"data.num_train={num_train} must be between 1 and {len(corpus) - 1}, because "
        f"{corpus.source} has {len(corpus)} labelled documents; lower data.num_train."
    )
  order = np.random.Generator(np.random.PCG64(seed)).permutation(len(corpus))
  return corpus.subset(np.sort(order[:num_train])), corpus.subset(np.sort(order[num_train:]))
