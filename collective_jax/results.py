"""Run folders: the config record, append-only JSONL results, the CSV table and plots."""

import csv
import json
import os
import pathlib
from collections.abc import Iterable

import jax

from collective_jax.errors import UserInputError

CONFIG_FILE = "config.json"
RESULTS_FILE = "results.jsonl"


def is_writer() -> bool:
  """Only process 0 of a multi-host job writes files."""
  return jax.process_index() == 0


def check_or_write_config(workdir: pathlib.Path, config_dict: dict, ignore: Iterable[str] = ()) -> None:
  """Write config.json, or check that the one in `workdir` describes the same experiment.

  Keys in `ignore` (dotted paths of settings that do not change results, such as the
  checkpoint interval) may differ.

  Raises:
    UserInputError: `workdir` contains a run of a different config.
  """
  path = workdir / CONFIG_FILE
  config_dict = json.loads(json.dumps(config_dict))  # Tuples become lists, as when read back.
  if path.is_file():
    previous = json.loads(path.read_text())
    differences = _differences(previous, config_dict, set(ignore))
    if differences:
      listed = "; ".join(f"{key}: {old!r} in the folder, {new!r} now" for key, old, new in differences[:5])
      raise UserInputError(
          f"--workdir={str(workdir)!r} contains a run of a different config ({listed}). Use a new "
          f"--workdir, or the config stored in {path} to resume that run."
      )
    return
  if is_writer():
    workdir.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(config_dict, indent=2, sort_keys=True) + "\n")


def _differences(old, new, ignore, prefix=""):
  if isinstance(old, dict) and isinstance(new, dict):
    found = []
    for key in sorted(set(old) | set(new)):
      path = f"{prefix}{key}"
      if path in ignore:
        continue
      found += _differences(old.get(key), new.get(key), ignore, path + ".")
    return found
  if old != new:
    return [(prefix.rstrip("."), old, new)]
  return []


def _write_atomically(path: pathlib.Path, text: str) -> None:
  temporary = path.with_name(path.name + ".tmp")
  temporary.write_text(text)
  os.replace(temporary, path)


def read_results(workdir: pathlib.Path) -> list[dict]:
  """Return the complete result lines of `workdir`/results.jsonl, dropping a cut-off last line.

  A process killed while appending can leave a last line without its newline; that line is
  removed from the file so that the next append starts on a fresh line.
  """
  path = workdir / RESULTS_FILE
  if not path.is_file():
    return []
  data = path.read_bytes()
  complete, _, partial = data.rpartition(b"\n")
  if partial and is_writer():
    with path.open("r+b") as file:
      file.truncate(len(complete) + 1 if complete else 0)
  text = complete.decode() if complete or data.endswith(b"\n") else ""
  return [json.loads(line) for line in text.splitlines() if line.strip()]


def append_result(workdir: pathlib.Path, record: dict) -> None:
  """Append one JSON line with a single write and fsync, so a line is complete or absent."""
  if not is_writer():
    return
  line = (json.dumps(record, sort_keys=True) + "\n").encode()
  descriptor = os.open(workdir / RESULTS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
  try:
    os.write(descriptor, line)
    os.fsync(descriptor)
  finally:
    os.close(descriptor)


def write_csv(path: pathlib.Path, records: list[dict], columns: list[str]) -> None:
  """Write `records` as a CSV table with `columns` first and any other keys after them."""
  if not is_writer():
    return
  extra = sorted({key for record in records for key in record} - set(columns))
  temporary = path.with_name(path.name + ".tmp")
  with temporary.open("w", newline="") as file:
    writer = csv.DictWriter(file, fieldnames=columns + extra, restval="")
    writer.writeheader()
    for record in records:
      writer.writerow({k: v if not isinstance(v, (list, dict)) else json.dumps(v) for k, v in record.items()})
  os.replace(temporary, path)
