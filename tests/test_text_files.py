"""Reading CSV and JSONL text-classification files."""

import json

import numpy as np
import pytest

from collective_jax import UserInputError
from collective_jax.data import read_text_file


def test_csv_separated_names(tmp_path):
  path = tmp_path / "d.csv"
  path.write_text('text,labels\n"first doc",a;b\nsecond doc,b\nno label,\n', encoding="utf-8")
  corpus = read_text_file(path, "text", ["labels"])
  assert corpus.label_names == ("a", "b")
  assert corpus.texts == ["first doc", "second doc"]
  np.testing.assert_array_equal(corpus.labels, [[True, True], [False, True]])


def test_csv_several_label_columns(tmp_path):
  path = tmp_path / "d.csv"
  path.write_text("body,first,second\nx y,cat,dog\nz,dog,\n", encoding="utf-8")
  corpus = read_text_file(path, "body", ["first", "second"])
  assert corpus.label_names == ("cat", "dog")
  np.testing.assert_array_equal(corpus.labels, [[True, True], [False, True]])


def test_csv_indicator_columns(tmp_path):
  path = tmp_path / "d.csv"
  path.write_text("text,spam,urgent\nbuy now,1,true\nhello,0,0\nmeeting,0,1\n", encoding="utf-8")
  corpus = read_text_file(path, "text", ["spam", "urgent"], label_format="indicators")
  assert corpus.label_names == ("spam", "urgent")
  assert corpus.texts == ["buy now", "meeting"]
  np.testing.assert_array_equal(corpus.labels, [[True, True], [False, True]])


def test_jsonl_list_labels_with_label_names(tmp_path):
  path = tmp_path / "d.jsonl"
  rows = [{"text": "a", "labels": ["x", "z"]}, {"text": "b", "labels": "y"}]
  path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
  corpus = read_text_file(path, "text", ["labels"], label_names=["z", "y", "x"])
  assert corpus.label_names == ("z", "y", "x")
  np.testing.assert_array_equal(corpus.labels, [[True, False, True], [False, True, False]])


@pytest.mark.parametrize("content, suffix, kwargs, expected", [
    ("text,labels\na,b\n", "csv", {"text_column": "body"}, r"Columns \['body'\] not found"),
    ("text,labels\n ,b\n", "csv", {}, "empty or non-text 'text'"),
    ('{"text": "a", "labels": "x"}\nnot json\n', "jsonl", {}, "Line 2 .* not valid JSON"),
    ("text,labels\na,x\n", "csv", {"label_names": ["y"]}, r"Labels \['x'\] .* not in data.label_names"),
    ("text,flag\na,maybe\n", "csv", {"label_columns": ["flag"], "label_format": "indicators"},
     "indicator column 'flag' contains 'maybe'"),
    ("text,labels\na,x\n", "tsv", {}, "data.format='tsv' .* not supported"),
])
def test_bad_files_name_the_problem(tmp_path, content, suffix, kwargs, expected):
  path = tmp_path / f"d.{suffix}"
  path.write_text(content, encoding="utf-8")
  arguments = {"text_column": "text", "label_columns": ["labels"], **kwargs}
  with pytest.raises(UserInputError, match=expected):
    read_text_file(path, **arguments)


def test_missing_file(tmp_path):
  with pytest.raises(UserInputError, match="not found"):
    read_text_file(tmp_path / "absent.csv", "text", ["labels"])
