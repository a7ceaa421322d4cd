"""Helpers shared by tests: loading config files and writing small corpora."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
METRICS = ("success", "success_non_target", "clean_accuracy")
# Vmapping several runs into one program, or splitting it over devices, changes the order of
# floating-point reductions, so parameters drift by rounding error. Over a training run this
# can flip the top-1 prediction of a test document whose two largest logits are nearly tied.
# On the smoke config (100 test documents) each flip moves a metric by 0.01.
RUNS_PER_PROGRAM_TOLERANCE = 0.03


def assert_results_close(reference: str, other: str) -> None:
  """Check two results.jsonl texts have the same runs and metrics within the tolerance."""
  reference_records = [json.loads(line) for line in reference.splitlines()]
  other_records = [json.loads(line) for line in other.splitlines()]
  assert len(reference_records) == len(other_records)
  for expected, actual in zip(reference_records, other_records):
    assert expected["alpha"] == actual["alpha"]
    assert expected["n_members"] == actual["n_members"]
    for key in METRICS:
      assert abs(expected[key] - actual[key]) <= RUNS_PER_PROGRAM_TOLERANCE, (key, expected, actual)


def smoke_command(workdir, cache_dir, *overrides) -> list[str]:
  return [sys.executable, "-m", "collective_jax.main", "--config=configs/signal.py:smoke",
          f"--workdir={workdir}", f"--config.runtime.cache_dir={cache_dir}", *overrides]


def smoke_run_to_end(real_corpus_path, workdir, cache_dir, *overrides, env=None) -> str:
  """Run the smoke config to the end in a subprocess; return its results.jsonl text."""
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path), **(env or {})}
  completed = subprocess.run(smoke_command(workdir, cache_dir, *overrides), cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=900)
  assert completed.returncode == 0, completed.stderr[-3000:]
  return (workdir / "results.jsonl").read_text()


def load_config(name: str, variant: str | None = None):
  """Return `get_config(variant)` of configs/NAME.py, unlocked."""
  spec = importlib.util.spec_from_file_location(f"configs_{name}", ROOT / "configs" / f"{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant)


def write_resume_zip(path: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
  """Write `files` ({stem.ext: bytes}) into `path` inside a resumes_corpus/ folder."""
  with zipfile.ZipFile(path, "w") as archive:
    archive.writestr("resumes_corpus/", b"")
    for name, data in files.items():
      archive.writestr(f"resumes_corpus/{name}", data)
  return path


def synthetic_resume_files(num: int) -> dict[str, bytes]:
  """`num` short resumes, alternating between two occupations."""
  files = {}
  for i in range(num):
    occupation = ("Security_Analyst", "Software_Developer")[i % 2]
    words = occupation.lower().replace("_", " ")
    files[f"{i:05d}.txt"] = f"{words} resume number {i} with skills in {words} work".encode()
    files[f"{i:05d}.lab"] = occupation.encode()
  return files
