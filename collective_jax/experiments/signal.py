"""Plant a signal: the sweep over collective sizes on a text-classification corpus.

The experiment reads and splits the corpus, trains or loads the tokenizer, and encodes clean
and signal-planted documents (cached). It trains every (α, seed) run with one compiled
program and evaluates success, success on non-target documents and clean accuracy. It writes
config.json, results.jsonl, results.csv and success_vs_alpha.png into the workdir.
"""

import json
import pathlib
import time

from absl import logging
import jax
import numpy as np

from collective_jax import distributed
from collective_jax import membership as membership_lib
from collective_jax import metrics
from collective_jax import models
from collective_jax import plotting
from collective_jax import results as results_lib
from collective_jax import signals as signals_lib
from collective_jax import strategies as strategies_lib
from collective_jax import sweep as sweep_lib
from collective_jax import train as train_lib
from collective_jax.experiments import signal_setup

RESULT_COLUMNS = [
    "alpha", "seed", "n_members", "success", "success_ci_low", "success_ci_high",
    "success_non_target", "success_non_target_ci_low", "success_non_target_ci_high",
    "clean_accuracy", "clean_accuracy_ci_low", "clean_accuracy_ci_high", "n_test",
    "n_test_non_target", "run_index",
]
METRICS = ("success", "success_non_target", "clean_accuracy")
SUMMARY_COLUMNS = ["alpha", "num_seeds"] + [
    f"{key}_{part}" for key in METRICS for part in ("mean", "seed_ci_low", "seed_ci_high")]
# Settings of how a sweep runs, so a resumed run may change them. All but mesh.cpu_devices leave
# every result unchanged, and the device split changes results only within the tolerance
# given in docs/reproducibility.md.
RUNTIME_FIELDS = ("runtime.checkpoint_every_steps", "runtime.log_every_seconds",
                  "runtime.cache_dir", "runtime.stop_after_steps", "mesh.cpu_devices")


def run(config, workdir: str) -> list[dict]:
  """Run the sweep that `config` describes in `workdir`; return the result records."""
  timings = {}
  clock = time.perf_counter()
  workdir = pathlib.Path(workdir)
  signal_setup.validate_config(config)
  results_lib.check_or_write_config(workdir, config.to_dict(), ignore=RUNTIME_FIELDS)

  train_split, test_split = signal_setup.load_splits(config)
  target = train_split.label_index(config.target)
  alphas = signal_setup.sweep_alphas(config, len(train_split))
  signal = signals_lib.build_signal(config.signal)
  timings["load"] = time.perf_counter() - clock

  clock = time.perf_counter()
  checkpoint = signal_setup.load_checkpoint(config, len(train_split.label_names))
  if checkpoint is not None and not config.tokenizer.path:
    tokenizer = checkpoint.tokenizer
  else:
    tokenizer = signal_setup.get_tokenizer(config, train_split, signal, workdir)
  arrays = signal_setup.encode_splits(config, tokenizer, signal, train_split, test_split)
  signal_report = signals_lib.signal_token_report(
      signal, arrays["train_input_ids"],
      tokenizer(signal.inserted_text, add_special_tokens=False)["input_ids"],
      tokenizer.unk_token_id)
  timings["tokenize"] = time.perf_counter() - clock
  if results_lib.is_writer():
    (workdir / "signal_report.json").write_text(json.dumps(signal_report, indent=2) + "\n")

  if checkpoint is not None:
    model = models.EncoderClassifier(checkpoint.model_config)
  else:
    model = models.EncoderClassifier(signal_setup.model_config(config, len(tokenizer),
                                                               len(train_split.label_names)))
  mesh = distributed.make_mesh(config.mesh.data_shards)
  logging.info("Device mesh %s (devices: %d %s; processes: %d).", dict(mesh.shape),
               mesh.size, jax.default_backend(), jax.process_count())
  runs_per_program = signal_setup.runs_per_program(config, mesh)
  data = distributed.place(train_lib.TrainData(
      input_ids=arrays["train_input_ids"],
      signal_input_ids=arrays["train_signal_input_ids"],
      labels=train_split.labels.astype(np.float32),
  ), distributed.replicated(mesh))
  runs = sweep_lib.plan_runs(alphas, config.seeds)
  program = build_program(config, model, target, len(train_split), tokenizer.pad_token_id, arrays,
                          test_split.labels, alphas, mesh, checkpoint)

  clock = time.perf_counter()
  records = sweep_lib.run_sweep(
      runs, program,
      group_inputs=lambda group: sweep_lib.run_inputs(group, alphas, len(train_split), config.epochs),
      data=data, workdir=workdir, runs_per_program=runs_per_program,
      checkpoint_every_steps=config.runtime.checkpoint_every_steps,
      log_every_seconds=config.runtime.log_every_seconds,
      stop_after_steps=config.runtime.stop_after_steps or None,
  )
  timings["train_and_evaluate"] = time.perf_counter() - clock

  clock = time.perf_counter()
  write_outputs(workdir, records, config)
  timings["write"] = time.perf_counter() - clock
  logging.info("Wall time by phase (s): %s", {k: round(v, 1) for k, v in timings.items()})
  return records


def build_program(config, model, target, num_train, pad_id, arrays, test_labels, alphas, mesh,
                  checkpoint=None):
  """Compile-ready functions shared by every group of runs.

  With a pretrained `checkpoint`, every run starts from its weights, and a classification head
  that the checkpoint lacks is drawn from the run's initialisation key.
  """
  steps_per_epoch = num_train // config.batch_size
  total_steps = steps_per_epoch * config.epochs
  tx = train_lib.make_optimizer(config.learning_rate, total_steps,
                                int(config.warmup_fraction * total_steps), config.weight_decay)
  strategy = strategies_lib.get_strategy(config.strategy)
  step_config = train_lib.StepConfig(batch_size=config.batch_size, steps_per_epoch=steps_per_epoch,
                                     target=target, multi_label=config.multi_label, pad_id=pad_id)
  train_step = train_lib.make_train_step(model, tx, strategy, step_config,
                                         batch_sharding=distributed.batch_sharding(mesh))
  sweep_step = train_lib.make_sweep_step(train_step, spmd_axis_name=distributed.RUNS)
  steps_per_call = min(config.steps_per_call, total_steps)
  remainder = total_steps % steps_per_call

  if checkpoint is None:
    init = jax.jit(lambda init_key, dropout_key: train_lib.init_run_state(
        model, tx, init_key, dropout_key, config.seq_len))
  else:
    def init(init_key, dropout_key):
      params = checkpoint.init_params(init_key)
      return train_lib.RunState(params=params, opt_state=tx.init(params), dropout_key=dropout_key)
  evaluate = make_evaluate(model, config, arrays, test_labels, target, pad_id, num_train, mesh)
  return sweep_lib.SweepProgram(
      init_state=init,
      multi_step=train_lib.make_multi_step(sweep_step, steps_per_call),
      last_step=train_lib.make_multi_step(sweep_step, remainder) if remainder else None,
      evaluate=evaluate,
      steps_per_call=steps_per_call,
      total_steps=total_steps,
      examples_per_step=config.batch_size,
      mesh=mesh,
  )


def make_evaluate(model, config, arrays, test_labels, target, pad_id, num_train, mesh):
  """Return evaluate(stacked params, runs) -> one metrics dict per run."""
  predict = train_lib.make_predict(model)
  non_target = ~test_labels[:, target].astype(bool)

  def logits_of(params, input_ids):
    return predict_in_batches(predict, params, input_ids, pad_id, config.eval_batch_size, mesh)

  def evaluate(params, runs):
    clean_logits = logits_of(params, arrays["test_input_ids"])
    planted_logits = logits_of(params, arrays["test_signal_input_ids"])
    records = []
    for position, run in enumerate(runs):
      hits, n = metrics.success_rate(planted_logits[position], target)
      hits_nt, n_nt = metrics.success_rate(planted_logits[position][non_target], target)
      hits_clean, n_clean = metrics.top1_accuracy(clean_logits[position], test_labels)
      record = {"n_members": membership_lib.collective_size(run.alpha, num_train),
                "n_test": n, "n_test_non_target": n_nt}
      for key, (k, m) in (("success", (hits, n)), ("success_non_target", (hits_nt, n_nt)),
                          ("clean_accuracy", (hits_clean, n_clean))):
        low, high = metrics.wilson_interval(k, m)
        record.update({key: k / m if m else float("nan"), f"{key}_ci_low": low,
                       f"{key}_ci_high": high})
      records.append(record)
    return records

  return evaluate


def predict_in_batches(predict, params, input_ids: np.ndarray, pad_id: int, batch_size: int,
                       mesh) -> np.ndarray:
  """Return float32[R, n, C] logits; the last batch is padded to keep one compiled shape."""
  num = input_ids.shape[0]
  outputs = []
  for start in range(0, num, batch_size):
    chunk = input_ids[start:start + batch_size]
    valid = chunk.shape[0]
    if valid < batch_size:
      chunk = np.concatenate([chunk, np.full((batch_size - valid, chunk.shape[1]), pad_id,
                                             dtype=chunk.dtype)])
    chunk, mask = distributed.place((chunk, chunk != pad_id), distributed.replicated(mesh))
    outputs.append(distributed.to_host(predict(params, chunk, mask))[:, :valid])
  return np.concatenate(outputs, axis=1)


def summarise_over_seeds(records: list[dict]) -> list[dict]:
  """One row per α: the mean of each metric over seeds and its 95% Student-t interval.

  With one seed the interval is NaN; the per-run Wilson intervals are in results.csv.
  """
  rows = {}
  for key in METRICS:
    for row in plotting.summarise_across_seeds(records, key):
      summary = rows.setdefault(row["alpha"], {"alpha": row["alpha"],
                                               "num_seeds": row["num_seeds"]})
      summary.update({f"{key}_mean": row["mean"], f"{key}_seed_ci_low": row["low"],
                      f"{key}_seed_ci_high": row["high"]})
  return [rows[alpha] for alpha in sorted(rows)]


def write_outputs(workdir: pathlib.Path, records: list[dict], config) -> None:
  """Write results.csv and success_vs_alpha.png from the result records."""
  if not results_lib.is_writer():
    return
  records = sorted(records, key=lambda r: r["run_index"])
  results_lib.write_csv(workdir / "results.csv", records, RESULT_COLUMNS)
  results_lib.write_csv(workdir / "summary.csv", summarise_over_seeds(records), SUMMARY_COLUMNS)
  title = (f"{config.strategy} strategy, target {config.target}\n"
           f"signal {signals_lib.build_signal(config.signal)!r}")
  plotting.plot_success_vs_alpha(records, workdir / "success_vs_alpha.png", title)
  logging.info("Wrote %s, %s, %s and %s.", workdir / results_lib.RESULTS_FILE,
               workdir / "results.csv", workdir / "summary.csv", workdir / "success_vs_alpha.png")
  header = f"{'alpha':>8} {'seed':>4} {'members':>7} {'success':>8} {'non-target':>10} {'clean acc':>9}"
  lines = [header] + [
      f"{r['alpha']:>8g} {r['seed']:>4d} {r['n_members']:>7d} {r['success']:>8.3f} "
      f"{r['success_non_target']:>10.3f} {r['clean_accuracy']:>9.3f}" for r in records]
  logging.info("Results:\n%s", "\n".join(lines))
