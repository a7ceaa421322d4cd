"""End to end: the `smoke` variant of configs/signal.py on the real resume corpus."""

import csv
import json
import os
import subprocess
import sys

import pytest

REQUIRED_KEYS = {"alpha", "seed", "n_members", "success", "success_non_target", "clean_accuracy"}


@pytest.fixture(scope="module")
def smoke_run(real_corpus_path, tmp_path_factory):
  workdir = tmp_path_factory.mktemp("smoke")
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path)}
  command = [sys.executable, "-m", "collective_jax.main", "--config=configs/signal.py:smoke",
             f"--workdir={workdir}", f"--config.runtime.cache_dir={workdir / 'cache'}"]
  completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
  assert completed.returncode == 0, completed.stderr[-3000:]
  return workdir, completed


def test_smoke_writes_every_output(smoke_run):
  workdir, _ = smoke_run
  for name in ("config.json", "results.jsonl", "results.csv", "summary.csv",
               "success_vs_alpha.png",
               "signal_report.json", "tokenizer/tokenizer.json"):
    assert (workdir / name).is_file(), name
  assert (workdir / "success_vs_alpha.png").read_bytes()[:4] == b"\x89PNG"
  config = json.loads((workdir / "config.json").read_text())
  assert config["data"]["num_docs"] == 400


def test_smoke_results_lines(smoke_run):
  workdir, _ = smoke_run
  lines = (workdir / "results.jsonl").read_text().splitlines()
  records = [json.loads(line) for line in lines]
  assert [r["alpha"] for r in records] == [0.0, 0.01, 0.05]
  assert [r["n_members"] for r in records] == [0, 3, 15]
  for record in records:
    assert REQUIRED_KEYS <= set(record)
    for key in ("success", "success_non_target", "clean_accuracy"):
      assert 0.0 <= record[key] <= 1.0
      assert record[f"{key}_ci_low"] <= record[key] <= record[f"{key}_ci_high"]
    assert record["n_test"] == 100
  with (workdir / "results.csv").open() as file:
    rows = list(csv.DictReader(file))
  assert [float(r["alpha"]) for r in rows] == [0.0, 0.01, 0.05]


def test_smoke_logs_progress_and_phases(smoke_run):
  _, completed = smoke_run
  assert "examples/s" in completed.stderr
  assert "s left" in completed.stderr
  assert "Wall time by phase" in completed.stderr
  assert "Dropped 748 of 29783 resumes with an empty .lab file" in completed.stderr


def test_rerun_reuses_finished_results(smoke_run, real_corpus_path):
  workdir, _ = smoke_run
  before = (workdir / "results.jsonl").read_text()
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path)}
  command = [sys.executable, "-m", "collective_jax.main", "--config=configs/signal.py:smoke",
             f"--workdir={workdir}", f"--config.runtime.cache_dir={workdir / 'cache'}"]
  completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert "0 groups left" in completed.stderr
  assert "Reusing the tokenizer" in completed.stderr
  assert (workdir / "results.jsonl").read_text() == before
