"""The benchmark's measurements on a very small model, and its summary and job plan."""

import csv
import dataclasses
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

BENCH_DIR = pathlib.Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH_DIR))

import benchmark  # noqa: E402
import measure_pipeline  # noqa: E402
import measure_training  # noqa: E402
import step_profile  # noqa: E402
from workload import LEVERS  # noqa: E402
from workload import Variant  # noqa: E402
from workload import Workload  # noqa: E402
from workload import attention_variant  # noqa: E402

TINY = Workload(preset="test", seq_len=16, batch_size=4, vocab_size=100, num_labels=4, steps=4,
                steps_per_call=2, target=1)
TRAINING_KEYS = {"examples_per_second", "train_seconds", "peak_rss_mib", "final_loss"}


def test_flops_of_cpu_tiny_by_hand():
  config = Workload(preset="cpu_tiny", seq_len=128, vocab_size=8_000, num_labels=10).encoder_config()
  per_layer = 8 * 128 * 64 * 64 + 4 * 128 * 128 * 64 + 4 * 128 * 64 * 256
  # Last layer at the first position: key and value at 128 positions, the rest at one.
  first_token_layer = 4 * 128 * 64 * 64 + 4 * 64 * 64 + 4 * 128 * 64 + 4 * 64 * 256
  head = 2 * 64 * 64 + 2 * 64 * 10
  all_positions = 3 * (2 * per_layer + head)
  assert all_positions == 100_691_712
  assert measure_training.training_flops_per_example(config, 128) == 3 * (
      per_layer + first_token_layer + head)
  assert measure_training.training_flops_per_example(
      config, 128, last_layer_all_tokens=True) == all_positions


def test_workload_follows_main_job_config():
  from workload import default_job_config

  config = default_job_config()
  workload = Workload.from_job_config(steps=40)
  assert workload.preset == config.model.preset
  assert workload.seq_len == config.seq_len
  assert workload.batch_size == config.batch_size
  assert workload.vocab_size == config.tokenizer.vocab_size
  assert workload.steps_per_call == config.steps_per_call
  assert workload.steps == 40


def test_workload_paper_variant():
  import jax.numpy as jnp

  workload = Workload.from_job_config("paper", steps=40)
  assert workload.preset == "distilbert"
  assert workload.seq_len == 256
  assert workload.dtype == "bfloat16"
  assert workload.dropout_rate == 0.1
  assert workload.encoder_config().dtype == jnp.bfloat16


def test_workload_rejects_unknown_dtype():
  with pytest.raises(ValueError, match="dtype='float16'"):
    Workload(dtype="float16")


def test_bfloat16_sweep_finite_loss():
  result = measure_training.measure_sweep(dataclasses.replace(TINY, dtype="bfloat16"), num_runs=1)
  assert np.isfinite(result["final_loss"])


def test_bfloat16_workload_rejects_torch(capsys):
  with pytest.raises(SystemExit) as exit_info:
    benchmark.check_torch_installed(skip=set(), workload=dataclasses.replace(TINY, dtype="bfloat16"))
  assert exit_info.value.code == 2
  assert "--skip=torch" in capsys.readouterr().err


def test_workload_rejects_missing_target():
  with pytest.raises(ValueError, match="target=4"):
    Workload(num_labels=4, target=4)


def test_sweep_rate_positive():
  result = measure_training.measure_sweep(TINY, num_runs=2)
  assert TRAINING_KEYS <= set(result)
  assert result["examples_per_second"] > 0
  assert result["compile_seconds"] > 0
  assert result["num_runs"] == 2
  assert np.isfinite(result["final_loss"])


def test_sequential_rate_positive():
  result = measure_training.measure_sequential(TINY, num_runs=2)
  assert TRAINING_KEYS <= set(result)
  assert result["examples_per_second"] > 0
  assert result["compile_seconds"] > 0


def test_sweep_and_sequential_same_loss():
  sweep = measure_training.measure_sweep(TINY, num_runs=2)
  sequential = measure_training.measure_sequential(TINY, num_runs=2)
  assert sweep["final_loss"] == pytest.approx(sequential["final_loss"], rel=1e-4)


@pytest.mark.parametrize("lever", ["steps_per_call_1", "no_donation", "fused_qkv_attention",
                                   "all_positions"])
def test_lever_rate_positive(lever):
  result = measure_training.measure_sweep(TINY, num_runs=1, variant=LEVERS[lever])
  assert result["examples_per_second"] > 0


def test_torch_rate_positive():
  pytest.importorskip("torch")
  pytest.importorskip("transformers")
  result = measure_training.measure_torch(TINY, num_runs=2, threads=1)
  assert TRAINING_KEYS <= set(result)
  assert result["examples_per_second"] > 0
  assert result["threads"] == 1
  assert np.isfinite(result["final_loss"])


def test_matmul_peak_bfloat16():
  result = measure_training.measure_matmul_peak(sizes=(64,), repeats=1, dtype="bfloat16")
  assert result["dtype"] == "bfloat16"
  assert result["peak_flops"] > 0


def test_matmul_peak_positive():
  result = measure_training.measure_matmul_peak(sizes=(64, 128), repeats=2)
  assert result["peak_flops"] > 0
  assert set(result["flops_by_size"]) == {"64", "128"}
  assert result["peak_flops"] == max(result["flops_by_size"].values())


@pytest.mark.parametrize("name", ["explicit", "dense_2d", "fused_qkv"])
def test_attention_variant_same_logits(name):
  import jax
  import jax.numpy as jnp
  from collective_jax import models
  from collective_jax.models import bert

  config = models.encoder_config("test", 50, 3, max_length=16, num_layers=2)
  tokens = jax.random.randint(jax.random.key(0), (2, 16), 5, 50)
  mask = jnp.arange(16)[None, :] < jnp.array([[16], [10]])
  params = models.EncoderClassifier(config).init(jax.random.key(1), tokens, mask)["params"]
  expected = models.EncoderClassifier(config).apply({"params": params}, tokens, mask)
  with attention_variant(name):
    variant_params = models.EncoderClassifier(config).init(jax.random.key(1), tokens, mask)["params"]
    logits = models.EncoderClassifier(config).apply({"params": params}, tokens, mask)
  assert jax.tree.structure(variant_params) == jax.tree.structure(params)
  np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
  assert bert.SelfAttention.__name__ == "SelfAttention"
  assert jax.nn.dot_product_attention.__name__ == "dot_product_attention"


def test_attention_variant_rejects_unknown():
  with pytest.raises(ValueError, match="unknown"):
    with attention_variant("flash"):
      pass


def test_tokenization_synthetic_rates(monkeypatch):
  monkeypatch.delenv("COLLECTIVE_JAX_DATA_DIR", raising=False)
  result = measure_pipeline.measure_tokenization(num_docs=60, seq_len=32, vocab_size=300,
                                                 num_train=50)
  assert result["source"] == "synthetic resumes"
  assert result["clean_docs_per_second"] > 0
  assert result["planted_docs_per_second"] > 0
  assert result["projected_corpus_seconds"] > 0
  assert result["clean_shape"] == [60, 32]
  assert result["signal_tokens_per_planted_document"] >= 1


def test_synthetic_resume_lengths():
  texts = measure_pipeline.synthetic_resumes(300)
  words = np.array([len(text.split()) for text in texts])
  assert len(texts) == 300
  assert 400 < np.median(words) < 1_000


def test_parse_phase_times():
  log = ("I1204 12:00:00 signal.py:99] Wall time by phase (s): {'load': 4.1, 'tokenize': 30.2, "
         "'train_and_evaluate': 380.5, 'write': 0.7}\n")
  assert measure_pipeline.parse_phase_times(log) == {
      "load": 4.1, "tokenize": 30.2, "train_and_evaluate": 380.5, "write": 0.7}


def test_parse_phase_times_missing_line():
  with pytest.raises(ValueError, match="Wall time by phase"):
    measure_pipeline.parse_phase_times("I1204 nothing here\n")


def test_main_job_breakdown_small_csv(tmp_path):
  texts = measure_pipeline.synthetic_resumes(120)
  labels = ["Security_Analyst", "Java_Developer", "Web_Developer"]
  corpus = tmp_path / "corpus.csv"
  with corpus.open("w", newline="") as file:
    writer = csv.writer(file)
    writer.writerow(["text", "labels"])
    for index, text in enumerate(texts):
      writer.writerow([text, labels[index % 3]])
  result = measure_pipeline.measure_main_job(str(tmp_path / "work"), (0.0, 0.05), {
      "data.format": "csv", "data.path": str(corpus), "data.num_train": 80,
      "model.preset": "test", "seq_len": 32, "batch_size": 8, "tokenizer.vocab_size": 200,
      "steps_per_call": 5})
  assert set(result["phases"]) == {"load", "tokenize", "compile", "train", "evaluate", "write"}
  assert result["runs"] == 2
  assert result["phases"]["compile"] > 0
  assert result["phases"]["evaluate"] > 0
  assert result["phases"]["train"] > 0
  assert result["projected_default_job_seconds"] > 0


def test_profile_matmul_shapes_count_flops():
  workload = Workload(preset="cpu_tiny", seq_len=128, batch_size=32, vocab_size=8_000)
  shapes = step_profile.model_matmul_shapes(workload)
  flops = sum(2 * s["batch"] * s["m"] * s["k"] * s["n"] * s["count"] for s in shapes)
  head = 3 * (2 * 64 * 64 + 2 * 64 * 10)
  per_example = measure_training.training_flops_per_example(workload.encoder_config(), 128)
  assert flops == (per_example - head) * 32


def test_profile_step_parts_positive():
  seconds = step_profile.time_step_parts(TINY, repeats=1)
  for part in ("forward", "forward_backward", "optimizer", "full_step"):
    assert seconds[part] > 0, part
  assert "backward" in seconds


def test_profile_matmuls_and_hlo_cost():
  shapes = step_profile.model_matmul_shapes(TINY)[:2]
  matmuls = step_profile.time_model_matmuls(TINY, repeats=1, per_call=2, shapes=shapes)
  assert len(matmuls["matmuls"]) == 2
  assert matmuls["matmul_bound_flops"] > 0
  cost = step_profile.hlo_cost(TINY)
  assert cost["hlo_flops_per_example"] >= cost["analytic_flops_per_example"] > 0
  assert cost["hlo_dot_ops"] > 0


def _record(label, repetition, **values):
  return {"label": label, "repetition": repetition, "load_average_before": [1.0, 1.0, 1.0],
          "load_average_after": [2.0, 1.0, 1.0], **values}


def test_summary_ratios_and_keys():
  records = []
  for repetition, scale in enumerate((1.0, 1.1, 0.9)):
    records += [
        _record("sweep_K1", repetition, examples_per_second=400 * scale, compile_seconds=3.0),
        _record("sweep_K4", repetition, examples_per_second=300 * scale, compile_seconds=5.0),
        _record("sequential", repetition, examples_per_second=500 * scale, compile_seconds=3.0),
        _record("torch", repetition, examples_per_second=200 * scale),
        _record("matmul_peak", repetition, peak_flops=1e11),
        _record("tokenization", repetition, projected_corpus_seconds=20.0,
                clean_docs_per_second=3000.0, planted_docs_per_second=2000.0),
    ]
  summary = benchmark.summarise(records, TINY)
  assert summary["best_runs_per_program"] == 1
  assert summary["ratio_vs_torch"] == pytest.approx(2.0)
  assert summary["ratio_vs_sequential"] == pytest.approx(0.8)
  flops = measure_training.training_flops_per_example(TINY.encoder_config(), TINY.seq_len)
  assert summary["fraction_of_matmul_peak"] == pytest.approx(400 * flops / 1e11)
  assert summary["ratio_vs_torch_by_runs"][4] == pytest.approx(1.5)
  assert summary["targets"]["ratio_vs_torch >= 1.5"] is True
  assert summary["targets"]["tokenization_seconds <= 30"] is True
  assert summary["configurations"]["sweep_K1"]["repetitions"] == 3
  assert summary["load_average_1min"] == {"min": 1.0, "median": 1.5, "max": 2.0}
  assert summary["paired_ratios_by_repetition"]["sweep_K1/torch"] == pytest.approx([2.0] * 3)


@pytest.mark.parametrize("load, busy", [(0.5, False), (os.cpu_count() + 1.0, True)])
def test_summary_flags_busy_machine(load, busy):
  records = [dict(_record("sweep_K1", 0, examples_per_second=100.0),
                  load_average_before=[load] * 3, load_average_after=[load] * 3)]
  assert benchmark.summarise(records, TINY)["machine_busy"] is busy


def test_summary_keeps_failed_configuration():
  records = [_record("sweep_K1", 0, examples_per_second=100.0),
             _record("sweep_K16", 0, error="worker exited with -9")]
  summary = benchmark.summarise(records, TINY)
  assert summary["configurations"]["sweep_K16"]["failed"] == 1
  assert "-9" in summary["configurations"]["sweep_K16"]["last_error"]
  assert summary["best_runs_per_program"] == 1


def test_plan_interleaves_repetitions():
  jobs = benchmark.plan_jobs(TINY, [1, 4], sequential_runs=2, repeats=2, levers=["no_donation"],
                             tokenize_docs=10, matmul={"sizes": [64], "repeats": 1}, skip=set())
  labels = [job["label"] for job in jobs]
  per_repetition = len(labels) // 2
  assert sorted(labels[:per_repetition]) == sorted(labels[per_repetition:])
  assert labels[0] != labels[per_repetition]
  assert [job["repetition"] for job in jobs] == [0] * per_repetition + [1] * per_repetition
  assert "lever:no_donation" in labels
  assert len({job["id"] for job in jobs}) == len(jobs)


def test_spawned_worker_returns_result(tmp_path):
  job = {"kind": "matmul", "label": "matmul_peak", "id": "matmul", "sizes": [64], "repeats": 1}
  record = benchmark.spawn_job(job, tmp_path)
  assert "error" not in record, record.get("error")
  assert record["peak_flops"] > 0
  assert len(record["load_average_before"]) == 3


def test_spawned_sweep_splits_cpu(tmp_path):
  job = {"kind": "sweep", "label": "sweep_K2", "id": "sweep", "num_runs": 2,
         "workload": dataclasses.asdict(TINY)}
  record = benchmark.spawn_job(job, tmp_path)
  assert "error" not in record, record.get("error")
  assert record["devices"] == min(2, len(os.sched_getaffinity(0)))
  assert record["examples_per_second"] > 0


def test_missing_torch_exits_with_message(monkeypatch, capsys):
  real_find_spec = benchmark.importlib.util.find_spec
  monkeypatch.setattr(benchmark.importlib.util, "find_spec",
                      lambda name: None if name == "torch" else real_find_spec(name))
  with pytest.raises(SystemExit) as exit_info:
    benchmark.check_torch_installed(skip=set(), workload=TINY)
  assert exit_info.value.code == 2
  assert "pip install -e '.[bench]'" in capsys.readouterr().err


def test_variant_defaults_are_library():
  variant = Variant()
  assert variant.donate
  assert variant.attention == "library"
  assert variant.steps_per_call is None


@pytest.mark.parametrize("num_runs", range(1, 17))
def test_sweep_devices_divide_runs(num_runs):
  devices = benchmark.sweep_devices(num_runs)
  assert num_runs % devices == 0
  assert 1 <= devices <= len(os.sched_getaffinity(0))


def test_check_steps_rejects_partial_call(capsys):
  settings = {"workload": dataclasses.replace(TINY, steps=7), "levers": []}
  with pytest.raises(SystemExit) as exit_info:
    benchmark.check_steps(settings)
  assert exit_info.value.code == 2
  assert "--steps=7 is not a multiple of the 2 steps" in capsys.readouterr().err


@pytest.mark.parametrize("flag, expected", [
    ("--job_variant=nonsense", "Unknown variant 'nonsense'"),
    ("--levers=nonsense", "unknown levers ['nonsense']"),
    ("--steps=7", "--steps=7 is not a multiple"),
])
def test_bad_flag_one_line_error(flag, expected):
  completed = subprocess.run([sys.executable, str(BENCH_DIR / "benchmark.py"), flag,
                              "--skip=torch"], capture_output=True, text=True, timeout=120)
  assert completed.returncode == 2
  assert completed.stdout == ""
  errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
  assert len(errors) == 1, completed.stderr[-2000:]
  assert expected in errors[0]
