"""Reader for local CSV or JSONL text-classification files.

Each row has a text column and one or several label columns. Two label layouts are read:

* `label_format="names"`: every label cell holds a label name, a list of names (a JSON list in
  JSONL, or names joined by `label_separator` in CSV), or nothing.
* `label_format="indicators"`: every label column is one label, and its cell is 1/0 or
  true/false.
"""

import csv
import json
import os
import pathlib
from collections.abc import Sequence

import numpy as np

from collective_jax.data.corpus import Corpus
from collective_jax.errors import UserInputError

FORMATS = ("csv", "jsonl")
LABEL_FORMATS = ("names", "indicators")
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no", "")


def read_text_file(
    path: str | os.PathLike,
    text_column: str,
    label_columns: Sequence[str],
    file_format: str | None = None,
    label_format: str = "names",
    label_separator: str = ";",
    label_names: Sequence[str] | None = None,
) -> Corpus:
  """Read a CSV or JSONL file into a Corpus; rows without any label are dropped.

  Args:
    path: the file.
    text_column: the column that holds the document text.
    label_columns: the columns that hold the labels (see the module docstring).
    file_format: "csv" or "jsonl"; by default the file's suffix decides.
    label_format: "names" or "indicators".
    label_separator: splits a CSV cell that holds several label names.
    label_names: the label set in column order; by default the sorted set of names found.

  Raises:
    UserInputError: missing file or column, an empty text, an unknown label, or a malformed row.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise UserInputError(f"Data file {str(path)!r} not found; set data.path to a CSV or JSONL file.")
  file_format = file_format or path.suffix.lstrip(".").lower()
  if file_format == "json":
    file_format = "jsonl"
  if file_format not in FORMATS:
    raise UserInputError(
        f"data.format={file_format!r} for {str(path)!r} is not supported; use one of {FORMATS}."
    )
  if label_format not in LABEL_FORMATS:
    raise UserInputError(f"data.label_format={label_format!r} is invalid; use one of {LABEL_FORMATS}.")
  if isinstance(label_columns, str):
    label_columns = (label_columns,)
  if not label_columns:
    raise UserInputError("data.label_columns is empty; name at least one label column.")

  rows = _read_rows(path, file_format)
  if not rows:
    raise UserInputError(f"{str(path)!r} has no rows.")
  _check_columns(rows[0], [text_column, *label_columns], path)

  texts, row_labels, ids = [], [], []
  for number, row in enumerate(rows, start=1):
    _check_columns(row, [text_column, *label_columns], path, number)
    text = row[text_column]
    if not isinstance(text, str) or not text.strip():
      raise UserInputError(
          f"Row {number} of {str(path)!r} has an empty or non-text {text_column!r} value; "
          f"remove the row or fill in its text."
      )
    labels = _row_labels(row, label_columns, label_format, label_separator, path, number)
    if labels:
      texts.append(text)
      row_labels.append(labels)
      ids.append(str(number))
  if not texts:
    raise UserInputError(f"No row of {str(path)!r} has a label in columns {list(label_columns)}.")

  found = sorted({name for labels in row_labels for name in labels})
  if label_names is None:
    label_names = found
  unknown = sorted(set(found) - set(label_names))
  if unknown:
    raise UserInputError(
        f"Labels {unknown} in {str(path)!r} are not in data.label_names={list(label_names)}; "
        f"add them to data.label_names or leave it empty to take every label found."
    )
  matrix = np.zeros((len(texts), len(label_names)), dtype=bool)
  for i, labels in enumerate(row_labels):
    for name in labels:
      matrix[i, list(label_names).index(name)] = True
  return Corpus(texts=texts, labels=matrix, label_names=tuple(label_names), ids=ids, source=str(path))


def _read_rows(path: pathlib.Path, file_format: str) -> list[dict]:
  if file_format == "csv":
    with path.open(newline="", encoding="utf-8") as file:
      return list(csv.DictReader(file))
  rows = []
  with path.open(encoding="utf-8") as file:
    for number, line in enumerate(file, start=1):
      if not line.strip():
        continue
      try:
        row = json.loads(line)
      except json.JSONDecodeError as error:
        raise UserInputError(f"Line {number} of {str(path)!r} is not valid JSON: {error}.") from error
      if not isinstance(row, dict):
        raise UserInputError(f"Line {number} of {str(path)!r} is not a JSON object.")
      rows.append(row)
  return rows


def _check_columns(row: dict, columns: Sequence[str], path: pathlib.Path, number: int | None = None):
  missing = [c for c in columns if c not in row]
  if missing:
    where = f"row {number} of " if number is not None else ""
    raise UserInputError(
        f"Columns {missing} not found in {where}{str(path)!r}; it has {sorted(row)}. "
        f"Set data.text_column and data.label_columns to existing columns."
    )


def _row_labels(row, label_columns, label_format, separator, path, number) -> list[str]:
  labels = []
  for column in label_columns:
    value = row[column]
    if label_format == "indicators":
      text = str(value).strip().lower()
      if text not in _TRUE + _FALSE:
        raise UserInputError(
            f"Row {number} of {str(path)!r}: indicator column {column!r} contains {value!r}; "
            f"use 1/0 or true/false, or set data.label_format='names'."
        )
      if text in _TRUE:
        labels.append(column)
    elif isinstance(value, list):
      labels.extend(str(v).strip() for v in value if str(v).strip())
    elif value is not None:
      labels.extend(part.strip() for part in str(value).split(separator) if part.strip())
  return list(dict.fromkeys(labels))
