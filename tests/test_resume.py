"""Nothing finished is lost: kill -9 and resume, bit-identical reruns, runs per program."""

import os
import random
import re
import signal
import subprocess

from tests.helpers import ROOT
from tests.helpers import assert_results_close
from tests.helpers import smoke_command as command
from tests.helpers import smoke_run_to_end as run_to_end


def test_rerun_is_bit_identical(real_corpus_path, tmp_path, smoke_cache_dir, smoke_reference):
  assert run_to_end(real_corpus_path, tmp_path / "again", smoke_cache_dir) == smoke_reference


def test_kill_and_resume_matches(real_corpus_path, tmp_path, smoke_cache_dir, smoke_reference):
  seed = random.randrange(1 << 30)
  rng = random.Random(seed)
  # The sweep's step count depends on how many groups the runs make, which depends on the
  # number of CPU devices, so the kill point is a fraction of the count the log reports.
  kill_fraction = rng.uniform(0.03, 0.97)
  kill_at = None
  workdir = tmp_path / "killed"
  overrides = ("--config.runtime.log_every_seconds=0", "--config.runtime.checkpoint_every_steps=7")
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path)}
  process = subprocess.Popen(command(workdir, smoke_cache_dir, *overrides), cwd=ROOT, env=env,
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
  killed_at = None
  for line in process.stderr:
    match = re.search(r"Step (\d+)/(\d+) of the sweep", line)
    if match and kill_at is None:
      kill_at = max(1, round(kill_fraction * int(match.group(2))))
    if match and int(match.group(1)) >= kill_at:
      process.send_signal(signal.SIGKILL)
      killed_at = int(match.group(1))
      break
  process.wait(timeout=600)
  assert killed_at is not None, f"the run ended before step {kill_at} (random seed {seed})"
  assert process.returncode == -signal.SIGKILL

  finished_before = (workdir / "results.jsonl").read_text() if (
      workdir / "results.jsonl").exists() else ""
  assert all(line.endswith("}") for line in finished_before.splitlines())
  assert run_to_end(real_corpus_path, workdir, smoke_cache_dir, *overrides) == smoke_reference, (
      f"killed at step {killed_at} (random seed {seed})")


def test_cut_off_results_line_is_dropped(real_corpus_path, tmp_path, smoke_cache_dir,
                                        smoke_reference):
  workdir = tmp_path / "partial"
  run_to_end(real_corpus_path, workdir, smoke_cache_dir)
  lines = (workdir / "results.jsonl").read_text().splitlines(keepends=True)
  # As if killed while appending the last run's line: half a line and no newline.
  (workdir / "results.jsonl").write_text("".join(lines[:2]) + lines[2][:20])
  assert run_to_end(real_corpus_path, workdir, smoke_cache_dir) == smoke_reference


def test_runs_per_program_within_tolerance(real_corpus_path, tmp_path, smoke_cache_dir,
                                          smoke_reference):
  together = run_to_end(real_corpus_path, tmp_path / "together", smoke_cache_dir,
                        "--config.runs_per_program=3")
  assert_results_close(smoke_reference, together)


def test_non_finite_loss_stops_with_run_and_step(real_corpus_path, tmp_path, smoke_cache_dir):
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path)}
  completed = subprocess.run(
      command(tmp_path / "nan", smoke_cache_dir, "--config.learning_rate=1e30",
              "--config.runtime.checkpoint_every_steps=5"),
      cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
  assert completed.returncode == 3, completed.stderr[-2000:]
  message = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
  assert len(message) == 1
  assert re.search(r"Loss is (nan|inf) at step \d+ of run 0 \(α=0.0, seed 0\)", message[0])
  assert not (tmp_path / "nan" / "results.jsonl").exists()


def _start_and_stop_on_two_devices(real_corpus_path, workdir, cache_dir):
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path),
         "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
  subprocess.run(command(workdir, cache_dir, "--config.runtime.stop_after_steps=40",
                         "--config.runtime.checkpoint_every_steps=20"),
                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
  assert (workdir / "checkpoints" / "groups.json").read_text().strip() == '{"runs_per_program": 2}'


def test_resume_on_fewer_devices(real_corpus_path, tmp_path, smoke_cache_dir, smoke_reference):
  workdir = tmp_path / "moved"
  _start_and_stop_on_two_devices(real_corpus_path, workdir, smoke_cache_dir)
  resumed = run_to_end(real_corpus_path, workdir, smoke_cache_dir,
                       env={"XLA_FLAGS": "--xla_force_host_platform_device_count=1"})
  assert_results_close(smoke_reference, resumed)


def test_resume_on_more_devices_rejected(real_corpus_path, tmp_path, smoke_cache_dir):
  workdir = tmp_path / "moved"
  _start_and_stop_on_two_devices(real_corpus_path, workdir, smoke_cache_dir)
  env = {**os.environ, "COLLECTIVE_JAX_DATA_DIR": str(real_corpus_path),
         "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
  completed = subprocess.run(command(workdir, smoke_cache_dir), cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
  assert completed.returncode == 2, completed.stderr[-2000:]
  assert "was started with groups of 2 runs" in completed.stderr
  assert "--config.mesh.cpu_devices=2" in completed.stderr
