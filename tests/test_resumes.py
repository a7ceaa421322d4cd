"""Reading the resume corpus in its upstream layout, and downloading it."""

import pathlib
import zipfile

import numpy as np
import pytest

from collective_jax import UserInputError
from collective_jax.data import OCCUPATIONS, read_resume_corpus, split_corpus
from collective_jax.data import download
from tests.helpers import write_resume_zip


def test_zip_cleans_and_labels(tmp_path, small_resume_files):
  path = write_resume_zip(tmp_path / "resumes_corpus.zip", small_resume_files)
  corpus = read_resume_corpus(path)
  assert corpus.ids == ["00001", "00002", "00004"]
  assert corpus.texts[0] == "Java Developer Java caf\u00e9 \u201cquoted\u201d"
  assert "<span" not in corpus.texts[2]
  assert "</span>" not in corpus.texts[2]
  java, software = OCCUPATIONS.index("Java_Developer"), OCCUPATIONS.index("Software_Developer")
  assert corpus.labels[0].sum() == 2
  assert corpus.labels[0, java]
  assert corpus.labels[0, software]
  assert corpus.labels[2, OCCUPATIONS.index("Project_manager")]
  assert corpus.labels.shape == (3, 10)


def test_folder_holding_zip_and_unpacked_folder(tmp_path, small_resume_files):
  write_resume_zip(tmp_path / "resumes_corpus.zip", small_resume_files)
  from_folder = read_resume_corpus(tmp_path)
  unpacked = tmp_path / "unpacked"
  with zipfile.ZipFile(tmp_path / "resumes_corpus.zip") as archive:
    archive.extractall(unpacked)
  from_unpacked = read_resume_corpus(unpacked)
  assert from_folder.texts == from_unpacked.texts
  np.testing.assert_array_equal(from_folder.labels, from_unpacked.labels)


def test_env_variable_sets_default_path(tmp_path, small_resume_files, monkeypatch):
  write_resume_zip(tmp_path / "resumes_corpus.zip", small_resume_files)
  monkeypatch.setenv("COLLECTIVE_JAX_DATA_DIR", str(tmp_path))
  assert len(read_resume_corpus()) == 3


def test_empty_lab_drop_is_logged(tmp_path, small_resume_files, caplog):
  path = write_resume_zip(tmp_path / "c.zip", small_resume_files)
  with caplog.at_level("INFO"):
    read_resume_corpus(path)
  assert "Dropped 1 of 4 resumes with an empty .lab file" in caplog.text


@pytest.mark.parametrize("case, expected", [
    ("missing_path", "not found"),
    ("corrupt_zip", "not a readable zip"),
    ("no_resumes", "contains no resumes"),
    ("txt_without_lab", "no matching .lab"),
    ("lab_without_txt", "no matching .txt"),
    ("unknown_label", "Unknown label 'Astronaut'"),
])
def test_bad_corpus_errors(tmp_path, small_resume_files, case, expected):
  files = dict(small_resume_files)
  path = tmp_path / "resumes_corpus.zip"
  if case == "corrupt_zip":
    path.write_bytes(b"PK\x03\x04 not really a zip")
  elif case == "no_resumes":
    write_resume_zip(path, {"README": b"nothing"})
  elif case == "txt_without_lab":
    del files["00002.lab"]
  elif case == "lab_without_txt":
    del files["00002.txt"]
  elif case == "unknown_label":
    files["00002.lab"] = b"Astronaut"
  if case == "missing_path":
    path = tmp_path / "nowhere"
  elif case not in ("corrupt_zip", "no_resumes"):
    write_resume_zip(path, files)
  with pytest.raises(UserInputError, match=expected) as error:
    read_resume_corpus(path)
  assert str(path) in str(error.value) or case in ("txt_without_lab", "lab_without_txt",
                                                   "unknown_label", "no_resumes")


def test_missing_path_says_where_to_get_data(tmp_path):
  with pytest.raises(UserInputError, match="collective_jax.data.download"):
    read_resume_corpus(tmp_path / "absent")


def test_split_is_deterministic_and_disjoint(tmp_path):
  files = {}
  for i in range(50):
    files[f"{i:05d}.txt"] = f"resume {i}".encode()
    files[f"{i:05d}.lab"] = b"Software_Developer"
  corpus = read_resume_corpus(write_resume_zip(tmp_path / "c.zip", files))
  train, test = split_corpus(corpus, 40, seed=3)
  train_again, _ = split_corpus(corpus, 40, seed=3)
  other, _ = split_corpus(corpus, 40, seed=4)
  assert len(train) == 40
  assert len(test) == 10
  assert train.ids == train_again.ids
  assert train.ids != other.ids
  assert not set(train.ids) & set(test.ids)


def test_split_rejects_too_many_train_docs(tmp_path, small_resume_files):
  corpus = read_resume_corpus(write_resume_zip(tmp_path / "c.zip", small_resume_files))
  with pytest.raises(UserInputError, match="data.num_train=25000"):
    split_corpus(corpus, 25_000, seed=0)


def test_download_from_file_url(tmp_path, small_resume_files):
  source = write_resume_zip(tmp_path / "upstream.zip", small_resume_files)
  target = download.download(source.as_uri(), tmp_path / "data")
  assert target == tmp_path / "data" / "resumes_corpus.zip"
  assert len(read_resume_corpus(tmp_path / "data")) == 3
  assert not list((tmp_path / "data").glob("*.part"))


def test_download_unreachable_url_is_clear(tmp_path):
  missing = (tmp_path / "missing.zip").as_uri()
  with pytest.raises(UserInputError, match="Could not download"):
    download.download(missing, tmp_path / "data")
  assert not (tmp_path / "data" / "resumes_corpus.zip").exists()


def test_download_rejects_non_corpus(tmp_path):
  bogus = tmp_path / "bogus.zip"
  bogus.write_bytes(b"definitely not a zip")
  with pytest.raises(UserInputError, match="not a readable zip"):
    download.download(bogus.as_uri(), tmp_path / "data")
  assert not (tmp_path / "data" / "resumes_corpus.zip").exists()


def test_download_rejects_url_without_scheme(tmp_path):
  with pytest.raises(UserInputError, match="is not a valid address"):
    download.download("/no/scheme/resumes.zip", tmp_path / "data")


def test_download_dest_that_is_a_file(tmp_path):
  (tmp_path / "occupied").write_text("")
  with pytest.raises(UserInputError, match="Cannot create the data folder"):
    download.download((tmp_path / "x.zip").as_uri(), tmp_path / "occupied")
