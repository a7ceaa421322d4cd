"""Helpers shared by tests: loading config files and writing small corpora."""

import importlib.util
import pathlib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


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
