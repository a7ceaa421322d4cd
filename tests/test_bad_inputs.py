"""Invalid configs and data files fail before compilation with one message naming the fix."""

import os
import re
import subprocess
import sys

import pytest

from collective_jax import UserInputError
from collective_jax.experiments import signal
from tests.helpers import ROOT, load_config, synthetic_resume_files, write_resume_zip


def small_config(tmp_path, files=None):
  path = write_resume_zip(tmp_path / "resumes_corpus.zip", files or synthetic_resume_files(60))
  config = load_config("signal", "smoke")
  config.data.path = str(path)
  config.data.num_docs = 0
  config.data.num_train = 40
  config.alphas = (0.0, 0.05)
  config.runtime.cache_dir = "none"
  return config


def set_field(config, dotted, value):
  *parents, last = dotted.split(".")
  for part in parents:
    config = config[part]
  config[last] = value


CONFIG_CASES = [
    ("alphas", (0.0, 1.0), r"alphas contains 1.0, outside \[0, 1\)"),
    ("alphas", (0.0, -0.2), r"alphas contains -0.2, outside \[0, 1\)"),
    ("alphas", (0.05, 0.05), r"duplicates \[0.05\]"),
    ("alphas", (0.0, 0.001), r"round\(0.001·40\) = 0 members. Use α ≥ 1/N = 0.025"),
    ("target", "Astronaut", "target='Astronaut' is not a label .* valid labels: Database_Administrator"),
    ("strategy", "label_flip", "strategy='label_flip' is unknown; valid strategies: feature_label"),
    ("signal.name", "sparkle", "signal.name='sparkle' is unknown; valid signals: character_every_k_words"),
    ("model.preset", "gigantic", "model.preset='gigantic' is unknown; valid presets: test, cpu_tiny"),
    ("signal.every", 80, "signal.every=80 words is not shorter than seq_len=64"),
    ("seq_len", 1024, "seq_len=1024 must be between 8 and model.max_length=128"),
    ("data.format", "parquet", "data.format='parquet' is unknown; valid formats"),
    ("seeds", (0, 0), "seeds=.* contains duplicates"),
    ("batch_size", 0, "batch_size=0 must be at least 1"),
    ("data.num_train", 100, "data.num_train=100 must be between 1 and 59"),
    ("model.dtype", "float8", "model.dtype='float8' is unknown"),
]


@pytest.mark.parametrize("field, value, expected", CONFIG_CASES,
                         ids=[f"{c[0]}={c[1]}" for c in CONFIG_CASES])
def test_invalid_config_field(tmp_path, field, value, expected):
  config = small_config(tmp_path)
  set_field(config, field, value)
  with pytest.raises(UserInputError, match=expected):
    signal.run(config, str(tmp_path / "run"))
  assert not (tmp_path / "run" / "results.jsonl").exists()


def corrupt(tmp_path):
  path = tmp_path / "resumes_corpus.zip"
  path.write_bytes(b"PK\x03\x04 broken")
  return path


DATA_CASES = [
    ("missing path", lambda tmp_path: tmp_path / "absent", "Resume corpus not found at .*absent"),
    ("corrupt zip", corrupt, "is not a readable zip archive"),
    ("no resumes", lambda tmp_path: write_resume_zip(tmp_path / "resumes_corpus.zip", {"a": b"x"}),
     "contains no resumes"),
    ("txt without lab", lambda tmp_path: write_resume_zip(
        tmp_path / "resumes_corpus.zip",
        {k: v for k, v in synthetic_resume_files(60).items() if k != "00003.lab"}),
     "1 file\\(s\\) .* no matching .lab file \\(for example resumes_corpus/00003.txt\\)"),
    ("lab without txt", lambda tmp_path: write_resume_zip(
        tmp_path / "resumes_corpus.zip",
        {k: v for k, v in synthetic_resume_files(60).items() if k != "00007.txt"}),
     "no matching .txt file \\(for example resumes_corpus/00007.lab\\)"),
    ("empty text", lambda tmp_path: write_resume_zip(
        tmp_path / "resumes_corpus.zip", {**synthetic_resume_files(60), "00004.txt": b"  "}),
     "resumes_corpus/00004.txt .* is empty"),
]


@pytest.mark.parametrize("name, make_path, expected", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_invalid_data(tmp_path, name, make_path, expected):
  config = small_config(tmp_path)
  config.data.path = str(make_path(tmp_path))
  with pytest.raises(UserInputError, match=expected):
    signal.run(config, str(tmp_path / "run"))


def test_csv_without_named_columns(tmp_path):
  path = tmp_path / "data.csv"
  path.write_text("body,tags\nsome text,a\n", encoding="utf-8")
  config = small_config(tmp_path)
  config.data.format = "csv"
  config.data.path = str(path)
  with pytest.raises(UserInputError, match=r"Columns \['text', 'labels'\] not found"):
    signal.run(config, str(tmp_path / "run"))


def test_workdir_of_different_config(tmp_path):
  config = small_config(tmp_path)
  workdir = tmp_path / "run"
  workdir.mkdir()
  (workdir / "config.json").write_text('{"experiment": "signal", "epochs": 99}')
  with pytest.raises(UserInputError, match="contains a run of a different config .*epochs: 99"):
    signal.run(config, str(workdir))


def run_main(*arguments, env=None):
  return subprocess.run([sys.executable, "-m", "collective_jax.main", *arguments], cwd=ROOT,
                        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def test_cli_reports_one_message_and_exit_status(tmp_path):
  completed = run_main("--config=configs/signal.py:smoke", f"--workdir={tmp_path}",
                       "--config.alphas=(0.0,1.5)")
  assert completed.returncode == 2
  errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
  assert len(errors) == 1
  assert "alphas contains 1.5" in errors[0]
  assert "Traceback" not in completed.stderr


def test_cli_rejects_unknown_field_by_name(tmp_path):
  completed = run_main("--config=configs/signal.py:smoke", f"--workdir={tmp_path}",
                       "--config.learning_rat=0.1")
  assert completed.returncode != 0
  assert "learning_rat" in completed.stderr


def test_cli_rejects_unknown_variant(tmp_path):
  completed = run_main("--config=configs/signal.py:tiny", f"--workdir={tmp_path}")
  assert completed.returncode != 0
  assert "Unknown variant 'tiny'" in completed.stderr


@pytest.mark.parametrize("arguments, expected", [
    (["--config=configs/absent.py", "--workdir=W"], "cannot load the --config file .*absent.py"),
    (["--config=configs/signal.py:smoke", "--workdir=W", "--config.epochs=two"],
     "invalid literal .* Give a value of the field's type"),
    (["--config=configs/signal.py:smoke"], "--workdir must have a value .* Pass it"),
])
def test_cli_flag_errors_are_one_line(tmp_path, arguments, expected):
  arguments = [a.replace("=W", f"={tmp_path}") for a in arguments]
  completed = run_main(*arguments)
  assert completed.returncode == 2
  errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
  assert len(errors) == 1
  assert re.search(expected, errors[0]), errors[0]
  assert "Traceback" not in completed.stderr
