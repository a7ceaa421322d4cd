"""Benchmark the sweep program against single runs in sequence, PyTorch and the matmul peak.

    python bench/benchmark.py --quick
    python bench/benchmark.py --output=bench_results.json
    python bench/benchmark.py --levers=all --skip=sweep,sequential,torch,matmul,tokenize \
        --nomain_job --noprofile --output=levers.json

Configurations, all on one model size, sequence length, batch and number of optimizer steps:
  (a) sweep_K<k>: k runs vmapped in one compiled program (make_sweep_step + make_multi_step),
      with the run axis sharded across the largest number of CPU devices, at most one per core,
      that divides k;
  (b) sequential: runs one after another with the single-run step (make_train_step +
      make_multi_step);
  (c) torch: a plain PyTorch loop over transformers' BertForSequenceClassification, with as
      many threads as cores, and torch_1_thread, the same with one thread;
  (d) matmul_peak: large jnp.dot in the workload's dtype, the machine's matmul ceiling.
Also tokenization throughput, the main job's wall time by phase, a profile of the training
step, and optionally levers (variants of (a) at LEVER_RUNS runs per program).

Every configuration runs in a fresh subprocess (peak memory is per configuration), and the
repetitions are interleaved: repetition r runs every configuration once before r + 1 starts.
The summary reports medians over repetitions.
"""

import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
from absl import logging

from workload import LEVER_RUNS
from workload import LEVERS
from workload import Variant
from workload import Workload
from workload import in_process_levers

_QUICK = flags.DEFINE_bool(
    "quick", False, "Run a reduced benchmark (one repetition, K = 1, 2 and 4, 20 steps, one run for "
    "(b) and (c), 2,000 documents, no main job, no profile), about 1 minute on an idle 2-core "
    "CPU, and print one JSON line.")
_OUTPUT = flags.DEFINE_string(
    "output", None, "Path of the JSON results file. Default: benchmark_results.json in the "
    "current folder in full mode, no file in quick mode.")
_REPEATS = flags.DEFINE_integer("repeats", None, "Repetitions of every configuration (3; quick: 1).")
_RUNS = flags.DEFINE_list("runs", None, "Runs per program K of the sweep program (1,2,4,8,16; quick: 1,2,4).")
_STEPS = flags.DEFINE_integer(
    "steps", None, "Timed optimizer steps per run, a multiple of steps_per_call (60; quick: 20).")
_SEQUENTIAL_RUNS = flags.DEFINE_integer(
    "sequential_runs", None, "Runs trained one after another by (b) and (c) (3; quick: 1).")
_JOB_VARIANT = flags.DEFINE_string(
    "job_variant", None, "Variant of configs/signal.py whose model, sequence length, batch, dtype "
    "and dropout make the workload, for example 'paper' (default: the main job's, no variant).")
_PRESET = flags.DEFINE_string("preset", None, "Model preset (default: the main job's, cpu_tiny).")
_SEQ_LEN = flags.DEFINE_integer("seq_len", None, "Tokens per example (default: the main job's).")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", None, "Examples per step and run (default: the main job's).")
_TOKENIZE_DOCS = flags.DEFINE_integer(
    "tokenize_docs", None, "Documents to tokenize; 0 for all 29,035 (quick: 2,000).")
_LEVERS = flags.DEFINE_list(
    "levers", [], f"Variants of (a) at K = {LEVER_RUNS} to compare with the library's program: 'all' or names "
    f"from {', '.join(LEVERS)}.")
_COMPARE = flags.DEFINE_list(
    "compare", [], "Levers to time in turns with the library's program inside one process (K = 1), "
    "which cancels drifts in load: 'all' for every lever that changes no process-wide setting.")
_COMPARE_ROUNDS = flags.DEFINE_integer("compare_rounds", 7, "Rounds of --compare.")
_MAIN_JOB = flags.DEFINE_bool(
    "main_job", None, "Run the main job with --main_job_alphas for its wall time by phase "
    "(default: on in full mode when COLLECTIVE_JAX_DATA_DIR is set).")
_MAIN_JOB_ALPHAS = flags.DEFINE_list(
    "main_job_alphas", ["0.0", "0.02"], "Collective sizes α of the main job run for the breakdown.")
_MAIN_JOB_LOG = flags.DEFINE_string(
    "main_job_log", None, "Instead of running the main job, parse 'Wall time by phase' from this log "
    "of a finished `python -m collective_jax.main` run.")
_PROFILE = flags.DEFINE_bool(
    "profile", None, "Profile the training step and tokenization (default: on in full mode).")
_SKIP = flags.DEFINE_list(
    "skip", [], "Configurations to leave out: sweep, sequential, torch, matmul, tokenize.")
_WORKER = flags.DEFINE_string("worker", None, "Internal: run one measurement job given as JSON.")
_RESULT_FILE = flags.DEFINE_string("result_file", None, "Internal: where a worker writes its result.")

WORKER_TIMEOUT_SECONDS = 3_600
TARGETS = {"ratio_vs_torch": 1.5, "fraction_of_matmul_peak": 0.5, "tokenization_seconds": 30.0}


# ----------------------------------------------------------------------------- worker side


def run_job(job: dict) -> dict:
  """Run one measurement job in this process; see `plan_jobs` for the job fields."""
  kind = job["kind"]
  workload = Workload(**job["workload"]) if "workload" in job else None
  variant = Variant(**job.get("variant", {}))
  if variant.cores:
    os.sched_setaffinity(0, range(variant.cores))
  if variant.prng_impl:
    import jax
    jax.config.update("jax_default_prng_impl", variant.prng_impl)

  if kind == "sweep":
    from collective_jax import distributed
    distributed.configure_cpu_devices(variant.cpu_devices or sweep_devices(job["num_runs"]),
                                      job["num_runs"])
  import measure_training
  if kind == "sweep":
    return measure_training.measure_sweep(workload, job["num_runs"], variant)
  if kind == "compare":
    return measure_training.compare_variants(workload, job["levers"], job["rounds"])
  if kind == "sequential":
    return measure_training.measure_sequential(workload, job["num_runs"], variant)
  if kind == "torch":
    return measure_training.measure_torch(workload, job["num_runs"], job.get("threads"))
  if kind == "matmul":
    return measure_training.measure_matmul_peak(tuple(job["sizes"]), job["repeats"],
                                                job.get("dtype", "float32"))
  import measure_pipeline
  if kind == "tokenize":
    return measure_pipeline.measure_tokenization(job["documents"], workload.seq_len,
                                                 workload.vocab_size)
  if kind == "main_job":
    with tempfile.TemporaryDirectory(prefix="collective_jax_bench_") as workdir:
      return measure_pipeline.measure_main_job(workdir, tuple(job["alphas"]))
  if kind == "tokenize_profile":
    return measure_pipeline.profile_tokenization(job["documents"], workload.seq_len,
                                                 workload.vocab_size)
  if kind == "profile":
    import step_profile
    return step_profile.profile_step(workload)
  raise ValueError(f"Unknown job kind {kind!r}.")


def sweep_devices(num_runs: int) -> int:
  """Return the most CPU devices, at most one per core, that split `num_runs` runs evenly.

  The main job pads its last group instead, but padding runs would count as work here.
  """
  from collective_jax import distributed
  cores = distributed.available_cores()
  return max(d for d in range(1, min(cores, num_runs) + 1) if num_runs % d == 0)


# ----------------------------------------------------------------------------- parent side


def spawn_job(job: dict, log_dir: pathlib.Path) -> dict:
  """Run `job` in a fresh Python process; return its result with timing and load averages.

  A job that fails (out of memory, say) returns {"error": ...} with the tail of its log, so
  the other configurations still run.
  """
  variant = Variant(**job.get("variant", {}))
  env = dict(os.environ)
  if variant.xla_flags:
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {variant.xla_flags}".strip()
  result_file = log_dir / f"{job['id']}.json"
  log_file = log_dir / f"{job['id']}.log"
  command = [sys.executable, str(pathlib.Path(__file__).resolve()), f"--worker={json.dumps(job)}",
             f"--result_file={result_file}"]
  load_before = os.getloadavg()
  start = time.perf_counter()
  with open(log_file, "w") as log:
    try:
      process = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                               timeout=WORKER_TIMEOUT_SECONDS, check=False)
      returncode = process.returncode
    except subprocess.TimeoutExpired:
      returncode = "timed out"
  record = {"label": job["label"], "repetition": job.get("repetition", 0),
            "wall_seconds": time.perf_counter() - start,
            "load_average_before": list(load_before), "load_average_after": list(os.getloadavg())}
  if returncode == 0 and result_file.is_file():
    record.update(json.loads(result_file.read_text()))
  else:
    tail = log_file.read_text()[-2_000:]
    record["error"] = f"worker exited with {returncode}; log tail:\n{tail}"
    logging.error("Job %s failed (%s); its log is %s.", job["label"], returncode, log_file)
  return record


def plan_jobs(workload: Workload, run_counts: list[int], sequential_runs: int, repeats: int,
              levers: list[str], tokenize_docs: int, matmul: dict, skip: set[str],
              torch_one_thread: bool = False) -> list[dict]:
  """Return the interleaved job list: repetition 0 of every configuration, then repetition 1, …

  The order of configurations rotates by one each repetition, so drifts in the machine's load
  do not fall on the same configuration every time.
  """
  common = {"workload": dataclasses.asdict(workload)}
  configurations = []
  if "matmul" not in skip:
    configurations.append({"kind": "matmul", "label": "matmul_peak", **matmul})
  if "sweep" not in skip:
    configurations += [{"kind": "sweep", "label": f"sweep_K{k}", "num_runs": k, **common}
                       for k in run_counts]
  if "sequential" not in skip:
    configurations.append({"kind": "sequential", "label": "sequential", "num_runs": sequential_runs,
                           **common})
  if "torch" not in skip:
    configurations.append({"kind": "torch", "label": "torch", "num_runs": sequential_runs, **common})
  if torch_one_thread and "torch" not in skip:
    configurations.append({"kind": "torch", "label": "torch_1_thread", "num_runs": sequential_runs,
                           "threads": 1, **common})
  if "tokenize" not in skip:
    configurations.append({"kind": "tokenize", "label": "tokenization", "documents": tokenize_docs,
                           **common})
  for name in levers:
    configurations.append({"kind": "sweep", "label": f"lever:{name}", "num_runs": LEVER_RUNS,
                           "variant": dataclasses.asdict(LEVERS[name]), **common})
  if levers and f"sweep_K{LEVER_RUNS}" not in [c["label"] for c in configurations]:
    configurations.append({"kind": "sweep", "label": f"sweep_K{LEVER_RUNS}",
                           "num_runs": LEVER_RUNS, **common})

  jobs = []
  for repetition in range(repeats if configurations else 0):
    shift = repetition % len(configurations)
    for configuration in configurations[shift:] + configurations[:shift]:
      jobs.append(dict(configuration, repetition=repetition,
                       id=f"{len(jobs):03d}_{configuration['label'].replace(':', '_')}"))
  return jobs


def _median(records: list[dict], key: str) -> float | None:
  values = [r[key] for r in records if isinstance(r.get(key), (int, float))]
  return statistics.median(values) if values else None


def summarise(records: list[dict], workload: Workload) -> dict:
  """Return medians by configuration, the ratios, the fraction of the matmul peak and targets.

  Ratios are ratios of medians. The headline ratios use the K with the highest median
  throughput of (a); the `_by_runs` entries give every K.
  """
  from measure_training import training_flops_per_example

  by_label = {}
  for record in records:
    by_label.setdefault(record["label"], []).append(record)
  configurations = {}
  for label, group in by_label.items():
    ok = [r for r in group if "error" not in r]
    entry = {"repetitions": len(ok), "failed": len(group) - len(ok)}
    for key in ("examples_per_second", "compile_seconds", "peak_rss_mib", "rss_after_import_mib",
                "peak_flops", "clean_docs_per_second", "planted_docs_per_second",
                "projected_corpus_seconds", "train_tokenizer_seconds"):
      value = _median(ok, key)
      if value is not None:
        entry[key] = value
    if "examples_per_second" in entry:
      entry["examples_per_second_all"] = [r["examples_per_second"] for r in ok]
    if ok and "error" in group[-1]:
      entry["last_error"] = group[-1]["error"][-300:]
    elif not ok:
      entry["last_error"] = group[-1]["error"][-300:]
    configurations[label] = entry

  flops_per_example = training_flops_per_example(workload.encoder_config(), workload.seq_len)
  # What a model that computes every position of its last layer would count, as PyTorch's does.
  all_positions_flops = training_flops_per_example(workload.encoder_config(), workload.seq_len,
                                                   last_layer_all_tokens=True)
  summary = {"configurations": configurations, "training_flops_per_example": flops_per_example,
             "training_flops_per_example_all_positions": all_positions_flops}
  rate = lambda label: configurations.get(label, {}).get("examples_per_second")
  peak = configurations.get("matmul_peak", {}).get("peak_flops")
  sweeps = {int(label.removeprefix("sweep_K")): rate(label) for label in configurations
            if label.startswith("sweep_K") and rate(label)}
  ratios_torch, ratios_sequential, fractions = {}, {}, {}
  for runs, value in sorted(sweeps.items()):
    if rate("torch"):
      ratios_torch[runs] = value / rate("torch")
    if rate("sequential"):
      ratios_sequential[runs] = value / rate("sequential")
    if peak:
      fractions[runs] = value * flops_per_example / peak
  summary.update(ratio_vs_torch_by_runs=ratios_torch, ratio_vs_sequential_by_runs=ratios_sequential,
                 fraction_of_matmul_peak_by_runs=fractions)
  if sweeps:
    summary["paired_ratios_by_repetition"] = _paired_ratios(
        by_label, f"sweep_K{max(sweeps, key=sweeps.get)}")
  if rate("torch_1_thread") and sweeps:
    summary["ratio_vs_torch_1_thread_by_runs"] = {
        runs: value / rate("torch_1_thread") for runs, value in sorted(sweeps.items())}
    summary["ratio_vs_torch_1_thread"] = max(sweeps.values()) / rate("torch_1_thread")
  if sweeps:
    best = max(sweeps, key=sweeps.get)
    summary.update(best_runs_per_program=best,
                   ratio_vs_torch=ratios_torch.get(best),
                   ratio_vs_sequential=ratios_sequential.get(best),
                   fraction_of_matmul_peak=fractions.get(best),
                   achieved_flops=sweeps[best] * flops_per_example)
    if peak:
      summary["fraction_of_matmul_peak_all_positions_flops"] = (
          sweeps[best] * all_positions_flops / peak)
  if peak:
    summary["matmul_peak_flops"] = peak
  tokenization = configurations.get("tokenization", {})
  if "projected_corpus_seconds" in tokenization:
    summary["tokenization_projected_seconds"] = tokenization["projected_corpus_seconds"]

  levers = {}
  baseline = rate(f"sweep_K{LEVER_RUNS}")
  for label in configurations:
    if label.startswith("lever:") and rate(label) and baseline:
      levers[label.removeprefix("lever:")] = {"examples_per_second": rate(label),
                                              "speedup_vs_library": rate(label) / baseline}
  if levers:
    summary["levers"] = levers

  summary["targets"] = {
      "ratio_vs_torch >= 1.5": _meets(summary.get("ratio_vs_torch"), TARGETS["ratio_vs_torch"], True),
      "fraction_of_matmul_peak >= 0.5": _meets(summary.get("fraction_of_matmul_peak"),
                                              TARGETS["fraction_of_matmul_peak"], True),
      "tokenization_seconds <= 30": _meets(summary.get("tokenization_projected_seconds"),
                                           TARGETS["tokenization_seconds"], False),
  }
  loads = [r["load_average_before"][0] for r in records] + [r["load_average_after"][0] for r in records]
  if loads:
    summary["load_average_1min"] = {"min": min(loads), "median": statistics.median(loads),
                                    "max": max(loads)}
  # The benchmark itself keeps at most every core busy, so more load means other processes.
  summary["machine_busy"] = bool(loads) and statistics.median(loads) > os.cpu_count()
  return summary


def _paired_ratios(by_label: dict[str, list[dict]], sweep_label: str) -> dict[str, list[float]]:
  """Return (a)'s ratio to each baseline within every repetition, which share the same load."""
  def rates(label):
    return {r["repetition"]: r["examples_per_second"] for r in by_label.get(label, [])
            if "examples_per_second" in r}

  sweep = rates(sweep_label)
  paired = {}
  for baseline in ("sequential", "torch", "torch_1_thread"):
    other = rates(baseline)
    paired[f"{sweep_label}/{baseline}"] = [sweep[r] / other[r] for r in sorted(sweep) if r in other]
  return paired


def _meets(value, target, at_least: bool):
  if value is None:
    return None
  return value >= target if at_least else value <= target


def machine_info() -> dict:
  """Describe the CPU, memory and package versions without importing JAX in this process."""
  model = platform.processor()
  if shutil.which("lscpu"):
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
      if line.startswith("Model name:"):
        model = line.split(":", 1)[1].strip()
  memory_gib = None
  with open("/proc/meminfo") as meminfo:
    for line in meminfo:
      if line.startswith("MemTotal:"):
        memory_gib = int(line.split()[1]) / 2**20
  versions = {}
  for package in ("jax", "jaxlib", "flax", "optax", "numpy", "tokenizers", "transformers", "torch"):
    try:
      versions[package] = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
      versions[package] = None
  commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          cwd=pathlib.Path(__file__).parent).stdout.strip()
  return {"cpu": model, "cores": os.cpu_count(), "memory_gib": memory_gib, "git_commit": commit,
          "python": platform.python_version(), "versions": versions,
          "xla_flags": os.environ.get("XLA_FLAGS", ""),
          "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}


def format_table(summary: dict, workload: Workload) -> str:
  """Render the medians as a Markdown table, then the ratios."""
  lines = ["| configuration | examples/s (median) | all repetitions | compile s | peak RSS MiB |",
           "|---|---|---|---|---|"]
  for label, entry in summary["configurations"].items():
    if "examples_per_second" not in entry:
      continue
    runs = ", ".join(f"{v:.0f}" for v in entry["examples_per_second_all"])
    compile_seconds = entry.get("compile_seconds")
    lines.append(f"| {label} | {entry['examples_per_second']:.0f} | {runs} | "
                 f"{'' if compile_seconds is None else f'{compile_seconds:.1f}'} | "
                 f"{entry.get('peak_rss_mib', float('nan')):.0f} |")
  if "matmul_peak_flops" in summary:
    lines.append(f"\nmatmul peak: {summary['matmul_peak_flops'] / 1e9:.0f} GFLOP/s; training: "
                 f"{summary['training_flops_per_example'] / 1e6:.1f} MFLOP per example")
  for key in ("best_runs_per_program", "ratio_vs_torch", "ratio_vs_sequential",
              "fraction_of_matmul_peak", "tokenization_projected_seconds"):
    if summary.get(key) is not None:
      lines.append(f"{key}: {summary[key]:.3g}")
  for lever, entry in summary.get("levers", {}).items():
    lines.append(f"lever {lever}: {entry['examples_per_second']:.0f} examples/s, "
                 f"{entry['speedup_vs_library']:.2f}× the library's program")
  lines.append(f"targets: {summary['targets']}")
  lines.append(f"workload: {dataclasses.asdict(workload)}")
  return "\n".join(lines)


def resolve_settings() -> dict:
  """Turn the flags into settings, filling the quick or full defaults."""
  quick = _QUICK.value
  overrides = {"steps": _STEPS.value or (20 if quick else 60)}
  for name, flag in (("preset", _PRESET), ("seq_len", _SEQ_LEN), ("batch_size", _BATCH_SIZE)):
    if flag.value is not None:
      overrides[name] = flag.value
  try:
    workload = Workload.from_job_config(_JOB_VARIANT.value, **overrides)
  except ValueError as error:
    _exit_with_error(f"{error} Pass one with --job_variant, or leave it out for the main job.")
  levers = list(LEVERS) if _LEVERS.value == ["all"] else list(_LEVERS.value)
  unknown = sorted(set(levers) - set(LEVERS))
  if unknown:
    _exit_with_error(f"--levers names unknown levers {unknown}; valid: all, {', '.join(LEVERS)}.")
  data_dir = os.environ.get("COLLECTIVE_JAX_DATA_DIR")
  return {
      "quick": quick,
      "workload": workload,
      "repeats": _REPEATS.value or (1 if quick else 3),
      "runs": [int(k) for k in (_RUNS.value or (["1", "2", "4"] if quick else ["1", "2", "4", "8", "16"]))],
      "sequential_runs": _SEQUENTIAL_RUNS.value or (1 if quick else 3),
      "tokenize_docs": _TOKENIZE_DOCS.value if _TOKENIZE_DOCS.value is not None else (
          2_000 if quick else 0),
      "matmul": ({"sizes": [2048, 3072], "repeats": 3, "dtype": workload.dtype} if quick else
                 {"sizes": [2048, 3072, 4096], "repeats": 5, "dtype": workload.dtype}),
      "levers": levers,
      "main_job": _MAIN_JOB.value if _MAIN_JOB.value is not None else (not quick and bool(data_dir)),
      "main_job_alphas": [float(a) for a in _MAIN_JOB_ALPHAS.value],
      "profile": _PROFILE.value if _PROFILE.value is not None else not quick,
      "compare": in_process_levers() if _COMPARE.value == ["all"] else list(_COMPARE.value),
      "compare_rounds": _COMPARE_ROUNDS.value,
      "skip": set(_SKIP.value),
      "output": _OUTPUT.value or (None if quick else "benchmark_results.json"),
  }


def _exit_with_error(message: str) -> None:
  print(f"error: {message}", file=sys.stderr)
  sys.exit(2)


def check_steps(settings: dict) -> None:
  """Exit with an error unless every JAX configuration can run --steps in whole compiled calls."""
  workload = settings["workload"]
  calls = {"the workload": workload.steps_per_call}
  calls.update({f"lever {name}": LEVERS[name].steps_per_call for name in settings["levers"]
                if LEVERS[name].steps_per_call})
  for source, steps_per_call in calls.items():
    if workload.steps % steps_per_call:
      _exit_with_error(f"--steps={workload.steps} is not a multiple of the {steps_per_call} steps "
                       f"per compiled call of {source}; pass a multiple of {steps_per_call}.")


def check_torch_installed(skip: set[str], workload: Workload) -> None:
  if "torch" in skip:
    return
  if workload.dtype != "float32":
    _exit_with_error(f"the PyTorch baseline (c) trains in float32 only, and the workload's dtype "
                     f"is {workload.dtype}; pass --skip=torch.")
  missing = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]
  if missing:
    _exit_with_error(f"the PyTorch baseline (c) needs {' and '.join(missing)}, which is not "
                     f"installed. Install the bench extra with `pip install -e '.[bench]'`, or "
                     f"pass --skip=torch.")


def run_benchmark(settings: dict) -> dict:
  """Run every job of `settings`, then the main job and the profile; return the results."""
  workload = settings["workload"]
  jobs = plan_jobs(workload, settings["runs"], settings["sequential_runs"], settings["repeats"],
                   settings["levers"], settings["tokenize_docs"], settings["matmul"],
                   settings["skip"], torch_one_thread=True)
  machine = machine_info()
  logging.info("Benchmark on %s (%d cores): %d jobs. %s", machine["cpu"], machine["cores"],
               len(jobs), machine["uptime"])
  log_dir = pathlib.Path(tempfile.mkdtemp(prefix="collective_jax_bench_logs_"))
  records = []
  for index, job in enumerate(jobs):
    record = spawn_job(job, log_dir)
    records.append(record)
    logging.info("[%d/%d] %s, repetition %d: %s (%.0f s, load %.2f)", index + 1, len(jobs),
                 job["label"], job["repetition"], _headline(record), record["wall_seconds"],
                 record["load_average_after"][0])

  extras = {}
  if _MAIN_JOB_LOG.value:
    import measure_pipeline
    extras["main_job"] = {"source": _MAIN_JOB_LOG.value, "logged_phases":
                          measure_pipeline.parse_phase_times(pathlib.Path(_MAIN_JOB_LOG.value).read_text())}
  elif settings["main_job"]:
    extras["main_job"] = spawn_job({"kind": "main_job", "label": "main_job", "id": "main_job",
                                    "alphas": settings["main_job_alphas"]}, log_dir)
  if settings["compare"]:
    extras["compare"] = spawn_job(
        {"kind": "compare", "label": "compare", "id": "compare", "levers": settings["compare"],
         "rounds": settings["compare_rounds"], "workload": dataclasses.asdict(workload)}, log_dir)
  if settings["profile"]:
    extras["profile"] = spawn_job({"kind": "profile", "label": "profile", "id": "profile",
                                   "workload": dataclasses.asdict(workload)}, log_dir)
    if "tokenize" not in settings["skip"]:
      extras["tokenization_profile"] = spawn_job(
          {"kind": "tokenize_profile", "label": "tokenization_profile", "id": "tokenize_profile",
           "documents": settings["tokenize_docs"], "workload": dataclasses.asdict(workload)},
          log_dir)

  summary = summarise(records, workload)
  machine["uptime_at_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
  settings = dict(settings, workload=dataclasses.asdict(workload), skip=sorted(settings["skip"]))
  return {"summary": summary, "machine": machine, "settings": settings, **extras,
          "records": records, "log_dir": str(log_dir)}


def _headline(record: dict) -> str:
  if "error" in record:
    return "failed"
  for key, unit in (("examples_per_second", "examples/s"), ("peak_flops", "FLOP/s"),
                    ("projected_corpus_seconds", "s projected for the corpus")):
    if key in record:
      return f"{record[key]:.4g} {unit}"
  return "done"


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected positional arguments: {argv[1:]}")
  if _WORKER.value:
    result = run_job(json.loads(_WORKER.value))
    pathlib.Path(_RESULT_FILE.value).write_text(json.dumps(result))
    return

  settings = resolve_settings()
  check_steps(settings)
  check_torch_installed(settings["skip"], settings["workload"])
  results = run_benchmark(settings)
  logging.info("Results:\n%s", format_table(results["summary"], settings["workload"]))
  for name, entry in results.get("compare", {}).items():
    if isinstance(entry, dict) and "ratio_to_library" in entry:
      logging.info("In turns in one process: %s %.0f examples/s, %.3f× the library's program.",
                   name, entry["examples_per_second"], entry["ratio_to_library"])
  if results["summary"]["machine_busy"]:
    logging.warning("The 1-minute load average (median %.1f) exceeded the %d cores, so other "
                    "processes shared the CPU. Rates are low and ratios can mislead; PyTorch with "
                    "several threads slows down most. Rerun on an idle machine.",
                    results["summary"]["load_average_1min"]["median"], os.cpu_count())
  if settings["output"]:
    pathlib.Path(settings["output"]).write_text(json.dumps(results, indent=1) + "\n")
    logging.info("Wrote %s.", settings["output"])
  if settings["quick"]:
    summary = results["summary"]
    line = {key: summary.get(key) for key in (
        "ratio_vs_torch", "ratio_vs_torch_1_thread", "ratio_vs_sequential",
        "fraction_of_matmul_peak", "fraction_of_matmul_peak_all_positions_flops",
        "best_runs_per_program", "paired_ratios_by_repetition",
        "matmul_peak_flops", "achieved_flops", "tokenization_projected_seconds",
        "load_average_1min", "machine_busy")}
    line["examples_per_second"] = {label: entry.get("examples_per_second")
                                   for label, entry in summary["configurations"].items()
                                   if "examples_per_second" in entry}
    print(json.dumps(line))


if __name__ == "__main__":
  app.run(main)
