"""End to end: each theory config's smoke variant through `python -m collective_jax.main`."""

import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import pytest

from collective_jax import experiments
from collective_jax.errors import UserInputError

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
CONFIG_FOLDER = REPOSITORY / "configs"

EXPERIMENTS = ("theory_classification", "theory_risk", "theory_gradient")
# An invalid override run through main, and the text that the error must contain; main turns
# the UserInputError into exit status 2. INVALID_FIELDS checks the other fields in-process.
INVALID = {
    "alpha": ("theory_classification", "--config.alpha_min=1.5", "config.alpha_min=1.5"),
    "epsilon": ("theory_classification", "--config.epsilons=oops", "config.epsilons[0]='oops'"),
}
# More invalid fields, checked without starting a process: (experiment, dotted field, value,
# text that the error must contain).
INVALID_FIELDS = [
    ("theory_classification", "strategy", "relabel", "config.strategy='relabel'"),
    ("theory_classification", "target", 7, "config.target=7"),
    ("theory_classification", "uniquenesses", (0.0, 1.0), "config.uniquenesses[1]=1.0"),
    ("theory_classification", "num_signal_rows", 30, "config.num_signal_rows=30"),
    ("theory_classification", "epsilons", (0.01, -0.1), "config.epsilons[1]=-0.1"),
    ("theory_risk", "models", ("ridge",), "config.models[0]='ridge'"),
    ("theory_risk", "grid_size", 1, "config.grid_size=1"),
    ("theory_risk", "logistic.ridge", 0.0, "config.logistic.ridge=0.0"),
    ("theory_risk", "linear.theta_true", (1.0,), "config.linear.theta_true=(1.0,)"),
    ("theory_gradient", "alphas", (0.0, 0.5), "config.alphas[0]=0.0"),
    ("theory_gradient", "strength_cap", 2.0, "config.strength_cap=2.0"),
    ("theory_gradient", "problems", ("svm",), "config.problems[0]='svm'"),
]


def _command(experiment, workdir, *overrides):
  return [sys.executable, "-m", "collective_jax.main", f"--config=configs/{experiment}.py:smoke",
          f"--workdir={workdir}", *overrides]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  """Start every run at once, so that the processes share the CPU cores, then wait for all."""
  started = {}
  for experiment in EXPERIMENTS:
    workdir = tmp_path_factory.mktemp(experiment)
    started[experiment] = (workdir, subprocess.Popen(
        _command(experiment, workdir), cwd=REPOSITORY, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  for name, (experiment, override, _) in INVALID.items():
    workdir = tmp_path_factory.mktemp(f"invalid_{name}")
    started[name] = (workdir, subprocess.Popen(
        _command(experiment, workdir, override), cwd=REPOSITORY, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True))
  finished = {}
  for name, (workdir, process) in started.items():
    _, stderr = process.communicate(timeout=600)
    finished[name] = (workdir, process.returncode, stderr)
  return finished


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_smoke_run_succeeds(runs, experiment):
  _, returncode, stderr = runs[experiment]
  assert returncode == 0, stderr[-3000:]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_smoke_run_writes_outputs(runs, experiment):
  workdir, _, stderr = runs[experiment]
  config = json.loads((workdir / "config.json").read_text())
  assert config["experiment"] == experiment
  assert (workdir / f"{experiment}.png").read_bytes()[:4] == b"\x89PNG"
  records = [json.loads(line) for line in (workdir / "results.jsonl").read_text().splitlines()]
  assert records
  assert str(workdir / "results.jsonl") in stderr  # the log names each file it wrote


def test_classification_records(runs):
  workdir, _, _ = runs["theory_classification"]
  records = [json.loads(line) for line in (workdir / "results.jsonl").read_text().splitlines()]
  curves = [r for r in records if r["record"] == "curve"]
  assert len(curves) == 2 * 8  # two uniquenesses ξ, eight collective sizes
  for record in curves:
    assert record["bound"] <= record["exact"] + 1e-12
    assert record["bound_epsilon_0.01"] <= record["worst_case_0.01"] + 1e-12
    assert record["staircase_0.01"] <= record["worst_case_0.01"] + 1e-12
  masses = [r for r in records if r["record"] == "critical_mass"]
  assert [m["xi"] for m in masses] == [0.0, 0.1]
  for record in masses:
    assert record["alpha_bound"] >= record["alpha_exact"] - 1e-12


def test_risk_records(runs):
  workdir, _, _ = runs["theory_risk"]
  records = [json.loads(line) for line in (workdir / "results.jsonl").read_text().splitlines()]
  plans = {r["model"]: r for r in records if r["record"] == "plan"}
  assert sorted(plans) == ["linear", "logistic"]
  for record in records:
    if record["record"] != "minimiser":
      continue
    if record["alpha"] >= record["alpha0"] * (1 + 1e-3) * (1 - 1e-12):
      assert record["relative_distance"] <= 1e-4
    else:
      assert record["distance"] <= record["predicted_bound"] * (1 + 1e-9)


def test_gradient_records(runs):
  workdir, _, _ = runs["theory_gradient"]
  records = [json.loads(line) for line in (workdir / "results.jsonl").read_text().splitlines()]
  assert {r["problem"] for r in records} == {"logistic", "mlp"}
  for record in records:
    if record["feasible"]:
      assert record["clipped_steps"] == 0
      for simulated, predicted in zip(record["distances"], record["predicted_distances"]):
        assert simulated == pytest.approx(predicted, rel=1e-9)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_config_exits_with_status_two(runs, name):
  workdir, returncode, stderr = runs[name]
  _, _, expected = INVALID[name]
  assert returncode == 2, stderr[-3000:]
  assert expected in stderr
  assert not (workdir / "results.jsonl").exists()


def _load_config(experiment, variant="smoke"):
  spec = importlib.util.spec_from_file_location(experiment, CONFIG_FOLDER / f"{experiment}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(variant)


@pytest.mark.parametrize("experiment, field, value, expected", INVALID_FIELDS)
def test_invalid_field_named_in_error(experiment, field, value, expected):
  config = _load_config(experiment)
  *parents, leaf = field.split(".")
  node = config
  for parent in parents:
    node = node[parent]
  node[leaf] = value
  with pytest.raises(UserInputError, match=re.escape(expected)):
    experiments.get(experiment).validate_config(config)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_variant_valid(experiment):
  for variant in (None, "smoke"):
    experiments.get(experiment).validate_config(_load_config(experiment, variant))
