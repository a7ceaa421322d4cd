"""Tokenization throughput and the wall time of the main job by phase."""

import ast
import os
import pathlib
import re
import time

import numpy as np

from workload import default_job_config

# Labelled resumes of the corpus (29,783 less the 748 with an empty label file).
CORPUS_DOCUMENTS = 29_035
# Median and spread of the words per resume in the corpus (median 693 words, mean 986).
SYNTHETIC_MEDIAN_WORDS, SYNTHETIC_WORD_SIGMA = 700, 0.8
PHASE_LINE = re.compile(r"Wall time by phase \(s\): (\{.*\})")


def synthetic_resumes(num_docs: int, seed: int = 0) -> list[str]:
  """Return `num_docs` texts of random words with the corpus's spread of lengths.

  Lengths are log-normal with median 700 words. Words come from 20,000 random lowercase
  strings drawn with Zipf-like frequencies, with capitalised words and punctuation mixed in
  so the BERT pre-tokenizer has work similar to real text.
  """
  rng = np.random.default_rng(seed)
  letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
  vocabulary = ["".join(rng.choice(letters, size=rng.integers(2, 11))) for _ in range(20_000)]
  vocabulary[::17] = [word.capitalize() for word in vocabulary[::17]]
  vocabulary[::29] = [word + "," for word in vocabulary[::29]]
  weights = 1.0 / np.arange(1, len(vocabulary) + 1)
  weights /= weights.sum()
  lengths = np.maximum(20, rng.lognormal(np.log(SYNTHETIC_MEDIAN_WORDS), SYNTHETIC_WORD_SIGMA,
                                         num_docs)).astype(int)
  words = rng.choice(len(vocabulary), size=int(lengths.sum()), p=weights)
  texts, start = [], 0
  for length in lengths:
    texts.append(" ".join(vocabulary[i] for i in words[start:start + length]))
    start += length
  return texts


def load_texts(num_docs: int = 0) -> tuple[list[str], str]:
  """Return the resume corpus's texts if $COLLECTIVE_JAX_DATA_DIR points at it, else synthetic ones.

  num_docs: 0 for every document (of the corpus, or CORPUS_DOCUMENTS synthetic ones), else the
  first num_docs. Also returns where the texts came from.
  """
  from collective_jax.data import resumes

  if os.environ.get(resumes.DATA_DIR_ENV):
    corpus = resumes.read_resume_corpus(None)
    texts = list(corpus.texts)
    source = f"resume corpus at {os.environ[resumes.DATA_DIR_ENV]}"
  else:
    texts = synthetic_resumes(num_docs or CORPUS_DOCUMENTS)
    source = "synthetic resumes"
  return (texts[:num_docs] if num_docs else texts), source


def measure_tokenization(num_docs: int = 0, seq_len: int = 128, vocab_size: int = 8_000,
                         num_train: int = 25_000) -> dict:
  """Time `tokenization.encode` of clean and signal-planted documents.

  The tokenizer is a WordPiece vocabulary of `vocab_size` trained on the start
  (`truncate_words`) of the first `num_train` documents, as the main job trains it on its
  training split. Its training time is reported apart. The signal is the main job's, `CharacterEveryKWords("{", 20)`, applied inside
  `encode`. The projection to the corpus is CORPUS_DOCUMENTS / rate, clean plus planted.
  """
  from collective_jax import signals
  from collective_jax import tokenization

  load_start = time.perf_counter()
  texts, source = load_texts(num_docs)
  load_seconds = time.perf_counter() - load_start
  signal = signals.CharacterEveryKWords("{", 20)

  start = time.perf_counter()
  train_texts = [tokenization.truncate_words(text, seq_len) for text in texts[:num_train]]
  tokenizer = tokenization.train_tokenizer(train_texts, vocab_size, signal.inserted_text)
  train_seconds = time.perf_counter() - start

  start = time.perf_counter()
  clean = tokenization.encode(tokenizer, texts, seq_len)
  clean_seconds = time.perf_counter() - start
  start = time.perf_counter()
  planted = tokenization.encode(tokenizer, texts, seq_len, transform=signal)
  planted_seconds = time.perf_counter() - start

  signal_id = tokenizer.convert_tokens_to_ids(signal.inserted_text)
  clean_rate, planted_rate = len(texts) / clean_seconds, len(texts) / planted_seconds
  return {
      "source": source,
      "documents": len(texts),
      "load_seconds": load_seconds,
      "train_tokenizer_seconds": train_seconds,
      "clean_seconds": clean_seconds,
      "planted_seconds": planted_seconds,
      "clean_docs_per_second": clean_rate,
      "planted_docs_per_second": planted_rate,
      "projected_corpus_seconds": CORPUS_DOCUMENTS / clean_rate + CORPUS_DOCUMENTS / planted_rate,
      "signal_tokens_per_planted_document": float((planted == signal_id).sum(1).mean()),
      "clean_shape": list(clean.shape),
  }


def parse_phase_times(log_text: str) -> dict[str, float]:
  """Return the last "Wall time by phase (s): {...}" dict that the main job logged in `log_text`.

  Raises ValueError when the log contains no such line.
  """
  matches = PHASE_LINE.findall(log_text)
  if not matches:
    raise ValueError("The log contains no 'Wall time by phase (s): {...}' line; pass the log of a "
                     "finished main job (python -m collective_jax.main ... 2> LOG).")
  return {name: float(value) for name, value in ast.literal_eval(matches[-1]).items()}


class _CompileClock:
  """Sum of JAX's tracing, lowering and XLA compilation durations, and the part inside evaluation."""

  EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
            "/jax/core/compile/jaxpr_to_mlir_module_duration",
            "/jax/core/compile/backend_compile_duration")

  def __init__(self):
    self.total = 0.0
    self.in_evaluation = 0.0
    self.evaluating = False

  def __call__(self, event: str, duration: float, **unused) -> None:
    if event in self.EVENTS:
      self.total += duration
      if self.evaluating:
        self.in_evaluation += duration


def measure_main_job(workdir: str, alphas: tuple[float, ...] | None = None,
                     overrides: dict | None = None) -> dict:
  """Run the main job in this process with fewer α and split its wall time by phase.

  The job is `configs/signal.py` as `python -m collective_jax.main` runs it, with `alphas`
  in place of the default seven and no token cache, so tokenization is timed in full. Its
  own "Wall time by phase" gives load, tokenize, train_and_evaluate and write; JAX's
  compile-duration events and a timer around evaluation split train_and_evaluate into
  compile, train and evaluate. The projection to the default job scales train and evaluate
  by the number of runs. `overrides` maps dotted config fields ("model.preset") to values,
  for tests on a small corpus.
  """
  import logging

  from absl import logging as absl_logging
  import jax
  from collective_jax.experiments import signal as signal_experiment

  config = default_job_config()
  default_runs = len(config.alphas) * len(config.seeds)
  if alphas is not None:
    config.alphas = tuple(alphas)
  config.runtime.cache_dir = "none"
  for field, value in (overrides or {}).items():
    *parents, name = field.split(".")
    node = config
    for parent in parents:
      node = node[parent]
    node[name] = value

  messages = []

  class Capture(logging.Handler):
    def emit(self, record):
      messages.append(record.getMessage())

  absl_logging.set_verbosity(absl_logging.INFO)
  handler = Capture()
  logging.getLogger("absl").addHandler(handler)
  clock = _CompileClock()
  jax.monitoring.register_event_duration_secs_listener(clock)

  evaluation = {"seconds": 0.0}
  make_evaluate = signal_experiment.make_evaluate

  def timed_make_evaluate(*args, **kwargs):
    evaluate = make_evaluate(*args, **kwargs)

    def timed_evaluate(*eval_args):
      clock.evaluating = True
      start = time.perf_counter()
      try:
        return evaluate(*eval_args)
      finally:
        evaluation["seconds"] += time.perf_counter() - start
        clock.evaluating = False

    return timed_evaluate

  signal_experiment.make_evaluate = timed_make_evaluate
  start = time.perf_counter()
  try:
    records = signal_experiment.run(config, workdir)
  finally:
    signal_experiment.make_evaluate = make_evaluate
    logging.getLogger("absl").removeHandler(handler)
  wall = time.perf_counter() - start

  phases = parse_phase_times("\n".join(messages))
  num_runs = len(records)
  compile_seconds = clock.total
  evaluate_seconds = evaluation["seconds"] - clock.in_evaluation
  train_seconds = phases["train_and_evaluate"] - compile_seconds - evaluate_seconds
  breakdown = {
      "load": phases["load"],
      "tokenize": phases["tokenize"],
      "compile": compile_seconds,
      "train": train_seconds,
      "evaluate": evaluate_seconds,
      "write": phases["write"],
  }
  per_run = (train_seconds + evaluate_seconds) / num_runs
  projected = dict(breakdown, train=train_seconds / num_runs * default_runs,
                   evaluate=evaluate_seconds / num_runs * default_runs)
  return {
      "alphas": list(config.alphas),
      "runs": num_runs,
      "wall_seconds": wall,
      "logged_phases": phases,
      "phases": breakdown,
      "seconds_per_run": per_run,
      "default_job_runs": default_runs,
      "projected_default_job_phases": projected,
      "projected_default_job_seconds": sum(projected.values()),
      "workdir": str(pathlib.Path(workdir)),
  }


def profile_tokenization(num_docs: int = 0, seq_len: int = 128, vocab_size: int = 8_000,
                         num_train: int = 25_000) -> dict:
  """Split `tokenization.encode` into its steps and time two faster variants of them.

  The steps are the Python preparation (the signal, then `truncate_words`) and the
  `tokenizers` call `encode_batch`. The variants: planting the signal after cutting the text
  to `truncate_words`'s length, which gives the same words for a signal that only inserts
  words, and `encode_batch_fast`, which skips the character offsets. Each variant's output is
  compared with the library's.
  """
  import tokenizers
  from collective_jax import signals
  from collective_jax import tokenization

  texts, source = load_texts(num_docs)
  signal = signals.CharacterEveryKWords("{", 20)
  truncate = tokenization.truncate_words
  tokenizer = tokenization.train_tokenizer([truncate(text, seq_len) for text in texts[:num_train]],
                                           vocab_size, signal.inserted_text)
  backend = tokenizers.Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
  backend.enable_truncation(max_length=seq_len)
  backend.enable_padding(length=seq_len, pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token)
  seconds = {}

  def timed(name, function):
    start = time.perf_counter()
    value = function()
    seconds[name] = time.perf_counter() - start
    return value

  clean = timed("prepare_clean", lambda: [truncate(text, seq_len) for text in texts])
  planted = timed("prepare_planted", lambda: [truncate(signal(text, index), seq_len)
                                              for index, text in enumerate(texts)])
  planted_after_cut = timed("prepare_planted_after_cut", lambda: [
      truncate(signal(truncate(text, seq_len), index), seq_len) for index, text in enumerate(texts)])
  clean_ids = timed("encode_batch_clean", lambda: np.asarray(
      [e.ids for e in backend.encode_batch(clean)], dtype=np.int32))
  planted_ids = timed("encode_batch_planted", lambda: np.asarray(
      [e.ids for e in backend.encode_batch(planted)], dtype=np.int32))
  fast_clean_ids = timed("encode_batch_fast_clean", lambda: np.asarray(
      [e.ids for e in backend.encode_batch_fast(clean)], dtype=np.int32))
  fast_ids = timed("encode_batch_fast_planted", lambda: np.asarray(
      [e.ids for e in backend.encode_batch_fast(planted)], dtype=np.int32))

  library = seconds["prepare_clean"] + seconds["prepare_planted"] + (
      seconds["encode_batch_clean"] + seconds["encode_batch_planted"])
  faster = seconds["prepare_clean"] + seconds["prepare_planted_after_cut"] + (
      seconds["encode_batch_fast_clean"] + seconds["encode_batch_fast_planted"])
  scale = CORPUS_DOCUMENTS / len(texts)
  return {
      "source": source,
      "documents": len(texts),
      "seconds": seconds,
      "planted_after_cut_same_text": planted_after_cut == planted,
      "encode_batch_fast_same_ids": bool(np.array_equal(fast_ids, planted_ids)
                                         and np.array_equal(fast_clean_ids, clean_ids)),
      "clean_ids_shape": list(clean_ids.shape),
      "projected_corpus_seconds_library": library * scale,
      "projected_corpus_seconds_with_both_variants": faster * scale,
  }
