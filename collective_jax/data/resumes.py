"""Reader for the resume corpus of Jiechieu and Tsopze (2020), in its upstream layout.

The upstream archive `resumes_corpus.zip` holds a folder `resumes_corpus/` with pairs
`NNNNN.txt` (the resume, Windows-1252 text) and `NNNNN.lab` (its occupations, one per line).
The reader accepts that zip, a folder that contains it, or the unpacked folder.
"""

import collections
import os
import pathlib
import re
import zipfile

from absl import logging
import numpy as np

from collective_jax.data.corpus import Corpus
from collective_jax.errors import UserInputError

OCCUPATIONS = (
    "Database_Administrator",
    "Front_End_Developer",
    "Java_Developer",
    "Network_Administrator",
    "Project_manager",
    "Python_Developer",
    "Security_Analyst",
    "Software_Developer",
    "Systems_Administrator",
    "Web_Developer",
)
DATA_DIR_ENV = "COLLECTIVE_JAX_DATA_DIR"
ZIP_NAME = "resumes_corpus.zip"
UPSTREAM_URL = "https://github.com/florex/resume_corpus/raw/master/resumes_corpus.zip"
GET_DATA_HINT = (
    f"Download it with `python -m collective_jax.data.download --dest=DIR` (source: {UPSTREAM_URL}) "
    f"and set data.path or {DATA_DIR_ENV} to DIR."
)

# The corpus was collected by searching for occupation words, and every hit is wrapped in
# this tag. The tags sit exactly on the label words, so they leak the label to a classifier.
_HIGHLIGHT_TAG = re.compile(r'<span class="hl">|</span>')
_FILE_STEM = re.compile(r"^(?:.*/)?(\d+)\.(txt|lab)$")


def resolve_data_path(path: str | None) -> pathlib.Path:
  """Return the configured data path, else $COLLECTIVE_JAX_DATA_DIR, else `./data`."""
  if path:
    return pathlib.Path(path).expanduser()
  return pathlib.Path(os.environ.get(DATA_DIR_ENV) or "data")


def clean_resume(raw: bytes) -> str:
  """Decode Windows-1252 bytes and drop the highlight tags that leak the label."""
  return _HIGHLIGHT_TAG.sub("", raw.decode("cp1252"))


def read_resume_corpus(path: str | os.PathLike | None = None) -> Corpus:
  """Read the resume corpus from a zip, a folder holding the zip, or the unpacked folder.

  Resumes with an empty `.lab` file are dropped and counted in the log. Documents are sorted
  by file name, so the order does not depend on the archive.

  Raises:
    UserInputError: the path does not exist, the zip is corrupt or contains no resumes, a `.txt`
      has no `.lab` or the reverse, a file is not valid Windows-1252, or a label is not one of
      the ten occupations.
  """
  path = resolve_data_path(None if path is None else str(path))
  files = _read_files(path)
  return _build_corpus(files, source=str(path))


def _read_files(path: pathlib.Path) -> dict[str, bytes]:
  """Return {relative file name: bytes} for every .txt and .lab file under `path`."""
  if not path.exists():
    raise UserInputError(
        f"Resume corpus not found at {str(path)!r}: expected {ZIP_NAME} or a folder of "
        f"NNNNN.txt/NNNNN.lab files. {GET_DATA_HINT}"
    )
  if path.is_dir() and (path / ZIP_NAME).is_file():
    path = path / ZIP_NAME
  if path.is_file():
    return _read_zip(path)
  if (path / "resumes_corpus").is_dir():
    path = path / "resumes_corpus"
  files = {}
  for file in sorted(path.iterdir()):
    if file.suffix in (".txt", ".lab"):
      files[file.name] = file.read_bytes()
  if not files:
    raise UserInputError(
        f"No .txt or .lab files in folder {str(path)!r}, and no {ZIP_NAME} in it. {GET_DATA_HINT}"
    )
  return files


def _read_zip(path: pathlib.Path) -> dict[str, bytes]:
  try:
    with zipfile.ZipFile(path) as archive:
      names = [n for n in archive.namelist() if n.endswith((".txt", ".lab"))]
      return {name: archive.read(name) for name in names}
  except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
    raise UserInputError(
        f"{str(path)!r} is not a readable zip archive ({error}). {GET_DATA_HINT}"
    ) from error


def _build_corpus(files: dict[str, bytes], source: str) -> Corpus:
  texts_by_stem, labels_by_stem = {}, {}
  for name, data in files.items():
    match = _FILE_STEM.match(name)
    if match is None:
      continue
    stem, extension = match.groups()
    (texts_by_stem if extension == "txt" else labels_by_stem)[stem] = (name, data)

  if not texts_by_stem:
    raise UserInputError(f"{source!r} contains no resumes (no NNNNN.txt files). {GET_DATA_HINT}")
  _check_pairs(texts_by_stem, labels_by_stem, source)

  texts, label_rows, ids = [], [], []
  num_empty = 0
  label_counts = collections.Counter()
  for stem in sorted(texts_by_stem):
    label_name, label_bytes = labels_by_stem[stem]
    names = [line.strip() for line in _decode(label_bytes, label_name, source).splitlines()]
    names = [n for n in names if n]
    if not names:
      num_empty += 1
      continue
    row = np.zeros(len(OCCUPATIONS), dtype=bool)
    for name in names:
      if name not in OCCUPATIONS:
        raise UserInputError(
            f"Unknown label {name!r} in {label_name} of {source!r}; the resume corpus has the "
            f"labels {', '.join(OCCUPATIONS)}. For another label set use data.format='csv' or 'jsonl'."
        )
      row[OCCUPATIONS.index(name)] = True
    text_name, text_bytes = texts_by_stem[stem]
    try:
      text = clean_resume(text_bytes)
    except UnicodeDecodeError as error:
      raise UserInputError(
          f"{text_name} in {source!r} is not Windows-1252 text ({error}); the upstream corpus is "
          f"cp1252. Replace the file with the upstream copy."
      ) from error
    if not text.strip():
      raise UserInputError(
          f"{text_name} in {source!r} is empty; every labelled resume needs text. Restore the "
          f"file from the upstream archive or remove it together with its .lab file.")
    texts.append(text)
    label_rows.append(row)
    ids.append(stem)
    label_counts.update(names)

  if num_empty:
    logging.info("Dropped %d of %d resumes with an empty .lab file.", num_empty, len(texts_by_stem))
  if not texts:
    raise UserInputError(f"Every .lab file in {source!r} is empty, so there are no labelled resumes.")
  logging.info("Read %d labelled resumes from %s; label counts: %s", len(texts), source,
               dict(sorted(label_counts.items())))
  return Corpus(texts=texts, labels=np.stack(label_rows), label_names=OCCUPATIONS, ids=ids,
                source=source)


def _check_pairs(texts_by_stem, labels_by_stem, source):
  for missing_kind, present, other in (
      (".lab", texts_by_stem, labels_by_stem),
      (".txt", labels_by_stem, texts_by_stem),
  ):
    unpaired = sorted(set(present) - set(other))
    if unpaired:
      examples = ", ".join(present[s][0] for s in unpaired[:3])
      raise UserInputError(
          f"{len(unpaired)} file(s) in {source!r} have no matching {missing_kind} file "
          f"(for example {examples}); every NNNNN.txt needs an NNNNN.lab. Restore the missing "
          f"files from the upstream archive or remove the unpaired ones."
      )


def _decode(data: bytes, name: str, source: str) -> str:
  try:
    return data.decode("cp1252")
  except UnicodeDecodeError as error:
    raise UserInputError(f"{name} in {source!r} is not Windows-1252 text ({error}).") from error
