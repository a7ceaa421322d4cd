"""Shared fixtures: small corpora written by the tests, and the real corpus when present."""

import pathlib

import pytest

from collective_jax.data import resumes
from tests import helpers


@pytest.fixture
def small_resume_files() -> dict[str, bytes]:
  """Four resumes: cp1252 bytes, highlight tags, one empty .lab and one multi-label resume."""
  return {
      "00001.txt": b'Java Developer <span class="hl">Java</span> caf\xe9 \x93quoted\x94',
      "00001.lab": b"Java_Developer\nSoftware_Developer\n",
      "00002.txt": b"Network Administrator routers and switches",
      "00002.lab": b"Network_Administrator",
      "00003.txt": b"Resume with no label",
      "00003.lab": b"",
      "00004.txt": b"Project manager <span class=\"hl\">Project</span> plans",
      "00004.lab": b"Project_manager\r\n",
  }


@pytest.fixture(scope="session")
def real_corpus_path() -> pathlib.Path:
  """The real resume corpus, from $COLLECTIVE_JAX_DATA_DIR or ./data; skips when absent."""
  path = resumes.resolve_data_path(None)
  if not ((path / resumes.ZIP_NAME).is_file() or (path / "resumes_corpus").is_dir()):
    pytest.skip(f"resume corpus not found at {path}; set {resumes.DATA_DIR_ENV} to run this test")
  return path


@pytest.fixture(scope="session")
def smoke_cache_dir(tmp_path_factory) -> pathlib.Path:
  """A token and tokenizer cache shared by the smoke runs of one test session."""
  return tmp_path_factory.mktemp("smoke_cache")


@pytest.fixture(scope="session")
def smoke_reference(real_corpus_path, tmp_path_factory, smoke_cache_dir) -> str:
  """results.jsonl of an uninterrupted smoke run on the default devices (one per core)."""
  return helpers.smoke_run_to_end(real_corpus_path, tmp_path_factory.mktemp("reference"),
                                  smoke_cache_dir)
