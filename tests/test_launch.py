"""The launch scripts: syntax, usage lines, and the command each one starts.

Each script runs against stand-ins for nvidia-smi, srun, gcloud and Python that record their
arguments, so the tests need neither GPUs, SLURM nor a TPU.
"""

import os
import pathlib
import shutil
import stat
import subprocess

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
LAUNCH = REPO_ROOT / "launch"
SCRIPTS = ["gpu_node.sh", "slurm.sh", "tpu_vm.sh"]

# Records every argument on its own line, then the environment variables that the scripts set.
FAKE_PYTHON = """#!/usr/bin/env bash
if [[ "$1" == -c ]]; then echo "${FAKE_JAX_DEVICES:-2}"; exit "${FAKE_JAX_STATUS:-0}"; fi
{
  printf 'arg %s\\n' "$@"
  echo "COLLECTIVE_JAX_DATA_DIR=${COLLECTIVE_JAX_DATA_DIR:-}"
  echo "XLA_PYTHON_CLIENT_MEM_FRACTION=${XLA_PYTHON_CLIENT_MEM_FRACTION:-}"
  echo "JAX_LOCAL_DEVICE_IDS=${JAX_LOCAL_DEVICE_IDS:-}"
  echo "cwd=$PWD"
} >>"$CALLS"
"""

FAKE_NVIDIA_SMI = """#!/usr/bin/env bash
echo "GPU 0: Test GPU (UUID: GPU-0)"
echo "GPU 1: Test GPU (UUID: GPU-1)"
"""

# Drops srun's own options, records them, and runs the command as one task would.
FAKE_SRUN = """#!/usr/bin/env bash
while [[ "$1" == --* ]]; do echo "srun $1" >>"$CALLS"; shift; done
exec "$@"
"""

# Acts as one TPU worker whose home folder is $HOME: scp copies, ssh runs the command there.
FAKE_GCLOUD = """#!/usr/bin/env bash
printf 'gcloud %s\\n' "$*" >>"$CALLS"
if [[ "$4" == ssh ]]; then
  for argument in "$@"; do
    if [[ "$argument" == --command=* ]]; then command="${argument#--command=}"; fi
  done
  cd "$HOME" && exec bash -c "$command"
elif [[ "$4" == scp ]]; then
  cd "$HOME" && cp "$5" "${6#*:}"
fi
"""


def _write_executable(path: pathlib.Path, text: str) -> pathlib.Path:
  path.write_text(text)
  path.chmod(path.stat().st_mode | stat.S_IXUSR)
  return path


@pytest.fixture
def fake_tools(tmp_path):
  """A bin folder of stand-ins, and the file their calls are recorded in."""
  bin_dir = tmp_path / "bin"
  bin_dir.mkdir()
  _write_executable(bin_dir / "python", FAKE_PYTHON)
  _write_executable(bin_dir / "python3", FAKE_PYTHON)
  _write_executable(bin_dir / "nvidia-smi", FAKE_NVIDIA_SMI)
  _write_executable(bin_dir / "srun", FAKE_SRUN)
  _write_executable(bin_dir / "gcloud", FAKE_GCLOUD)
  calls = tmp_path / "calls.txt"
  calls.touch()
  return bin_dir, calls


def _run(script: str, args: list[str], fake_tools, tmp_path, **env) -> subprocess.CompletedProcess:
  bin_dir, calls = fake_tools
  environment = {
      "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
      "HOME": str(tmp_path / "home"),
      "CALLS": str(calls),
      **env,
  }
  (tmp_path / "home").mkdir(exist_ok=True)
  return subprocess.run(["bash", str(LAUNCH / script), *args], env=environment, cwd=tmp_path,
                        capture_output=True, text=True, timeout=60)


def _recorded(fake_tools) -> list[str]:
  return fake_tools[1].read_text().splitlines()


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_syntax_is_valid(script):
  result = subprocess.run(["bash", "-n", str(LAUNCH / script)], capture_output=True, text=True)
  assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_passes_shellcheck(script):
  if shutil.which("shellcheck") is None:
    pytest.skip("shellcheck is not installed")
  result = subprocess.run(["shellcheck", str(LAUNCH / script)], capture_output=True, text=True)
  assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_header_and_command(script):
  text = (LAUNCH / script).read_text()
  header = [line for line in text.splitlines()[1:] if line.startswith("#")]
  assert any(line.startswith("# Usage: ") and script in line for line in header)
  assert "collective_jax.main" in text
  assert "configs/signal.py:paper" in text
  assert "--workdir=" in text


def test_readme_lists_every_usage_line():
  readme = (LAUNCH / "README.md").read_text()
  for script in SCRIPTS:
    usage = next(line for line in (LAUNCH / script).read_text().splitlines()
                 if line.startswith("# Usage: "))
    assert usage.removeprefix("# Usage: ") in readme, script


def test_gpu_node_starts_main(fake_tools, tmp_path):
  result = _run("gpu_node.sh", ["runs/paper", "--config.seeds=(0,1)"], fake_tools, tmp_path)
  assert result.returncode == 0, result.stderr

  calls = _recorded(fake_tools)
  assert calls[:5] == [
      "arg -m", "arg collective_jax.main", f"arg --config={REPO_ROOT}/configs/signal.py:paper",
      "arg --workdir=runs/paper", "arg --config.seeds=(0,1)",
  ]
  assert "XLA_PYTHON_CLIENT_MEM_FRACTION=0.90" in calls
  assert "nvidia-smi lists 2 GPUs and JAX uses 2" in result.stdout


def test_gpu_node_keeps_memory_fraction(fake_tools, tmp_path):
  result = _run("gpu_node.sh", ["runs/paper"], fake_tools, tmp_path,
                XLA_PYTHON_CLIENT_MEM_FRACTION="0.5", CONFIG="configs/signal.py:smoke")
  assert result.returncode == 0, result.stderr
  calls = _recorded(fake_tools)
  assert "XLA_PYTHON_CLIENT_MEM_FRACTION=0.5" in calls
  assert "arg --config=configs/signal.py:smoke" in calls


def test_gpu_node_rejects_cpu_jax(fake_tools, tmp_path):
  result = _run("gpu_node.sh", ["runs/paper"], fake_tools, tmp_path, FAKE_JAX_STATUS="1")
  assert result.returncode == 1
  assert "does not use the GPUs" in result.stderr
  assert _recorded(fake_tools) == []


def test_gpu_node_without_nvidia_smi(fake_tools, tmp_path):
  (fake_tools[0] / "nvidia-smi").unlink()
  bin_without_gpu_tools = {"PATH": f"{fake_tools[0]}{os.pathsep}/usr/bin{os.pathsep}/bin"}
  if shutil.which("nvidia-smi", path=bin_without_gpu_tools["PATH"]):
    pytest.skip("this machine has nvidia-smi on /usr/bin")
  result = _run("gpu_node.sh", ["runs/paper"], fake_tools, tmp_path, **bin_without_gpu_tools)
  assert result.returncode == 1
  assert "nvidia-smi not found" in result.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_arguments_print_usage(script, fake_tools, tmp_path):
  result = _run(script, [], fake_tools, tmp_path, SLURM_JOB_ID="7")
  assert result.returncode == 2
  assert "Usage: " in result.stderr
  assert script in result.stderr


def test_slurm_starts_one_process_per_node(fake_tools, tmp_path):
  result = _run("slurm.sh", ["runs/paper", "--config.epochs=3"], fake_tools, tmp_path,
                SLURM_JOB_ID="7", SLURM_JOB_NUM_NODES="2", SLURM_GPUS_ON_NODE="4")
  assert result.returncode == 0, result.stderr

  calls = _recorded(fake_tools)
  assert "srun --ntasks-per-node=1" in calls
  assert calls[calls.index("arg -m"):calls.index("arg -m") + 5] == [
      "arg -m", "arg collective_jax.main", "arg --config=configs/signal.py:paper",
      "arg --workdir=runs/paper", "arg --config.epochs=3",
  ]
  assert "JAX_LOCAL_DEVICE_IDS=0,1,2,3" in calls


def test_slurm_array_task_runs_its_seed(fake_tools, tmp_path):
  result = _run("slurm.sh", ["runs/paper"], fake_tools, tmp_path, SLURM_JOB_ID="7",
                SLURM_ARRAY_TASK_ID="3", CUDA_VISIBLE_DEVICES="0,1")
  assert result.returncode == 0, result.stderr
  calls = _recorded(fake_tools)
  assert "arg --workdir=runs/paper/seed_3" in calls
  assert "arg --config.seeds=(3,)" in calls
  assert "JAX_LOCAL_DEVICE_IDS=0,1" in calls


def test_slurm_without_gpus_fails(fake_tools, tmp_path):
  result = _run("slurm.sh", ["runs/paper"], fake_tools, tmp_path, SLURM_JOB_ID="7")
  assert result.returncode == 1
  assert "--gpus-per-node" in result.stderr


def test_slurm_outside_sbatch_fails(fake_tools, tmp_path):
  result = _run("slurm.sh", ["runs/paper"], fake_tools, tmp_path)
  assert result.returncode == 2
  assert "Submit this script with sbatch" in result.stderr


def test_tpu_vm_installs_and_starts_main(fake_tools, tmp_path):
  if shutil.which("git") is None:
    pytest.skip("git is not installed")
  corpus = tmp_path / "resumes_corpus.zip"
  corpus.write_bytes(b"zip")
  result = _run("tpu_vm.sh", ["my-tpu", "us-central2-b", "runs/paper", "--config.seeds=(0, 1)"],
                fake_tools, tmp_path, DATA_FILE=str(corpus), PROJECT="my-project")
  assert result.returncode == 0, result.stderr

  home = tmp_path / "home"
  calls = _recorded(fake_tools)
  gcloud_calls = [line for line in calls if line.startswith("gcloud ")]
  assert all("--worker=all" in line and "--zone=us-central2-b" in line for line in gcloud_calls)
  assert all("--project=my-project" in line for line in gcloud_calls)
  assert (home / "collective_jax" / "configs" / "signal.py").is_file()
  assert (home / "collective_jax" / "data" / "resumes_corpus.zip").read_bytes() == b"zip"

  install = ["arg -m", "arg pip", "arg install", "arg --quiet", "arg -e", "arg .", "arg jax[tpu]"]
  assert calls[calls.index("arg pip") - 1:calls.index("arg pip") + 6] == install
  start = calls.index("arg collective_jax.main")
  assert calls[start - 1:start + 4] == [
      "arg -m", "arg collective_jax.main", "arg --config=configs/signal.py:paper",
      "arg --workdir=runs/paper", "arg --config.seeds=(0, 1)",
  ]
  assert f"COLLECTIVE_JAX_DATA_DIR={home}/collective_jax/data" in calls[start:]
  assert f"cwd={home}/collective_jax" in calls[start:]


def test_tpu_vm_can_skip_install(fake_tools, tmp_path):
  if shutil.which("git") is None:
    pytest.skip("git is not installed")
  result = _run("tpu_vm.sh", ["my-tpu", "us-central2-b", "runs/paper"], fake_tools, tmp_path,
                INSTALL="0")
  assert result.returncode == 0, result.stderr
  calls = _recorded(fake_tools)
  assert "arg pip" not in calls
  assert "arg collective_jax.main" in calls
