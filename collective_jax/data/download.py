"""Download the resume corpus into a data folder.

    python -m collective_jax.data.download --dest=data

The archive is written to DEST/resumes_corpus.zip through a temporary file, so an interrupted
download never leaves a partial archive under the final name.
"""

import os
import pathlib
import sys
import urllib.error
import urllib.request

from absl import app
from absl import flags
from absl import logging
import tqdm

from collective_jax.data import resumes
from collective_jax.errors import UserInputError

_DEST = flags.DEFINE_string(
    "dest", None, f"Folder to write {resumes.ZIP_NAME} into; default ${resumes.DATA_DIR_ENV} or ./data."
)
_URL = flags.DEFINE_string("url", resumes.UPSTREAM_URL, "Address of the archive (http(s) or file).")


def download(url: str, dest: str | os.PathLike, chunk_bytes: int = 1 << 20) -> pathlib.Path:
  """Download `url` to `dest`/resumes_corpus.zip with a progress bar and return the file path.

  Raises:
    UserInputError: the address cannot be reached (no network, wrong URL) or the download
      is not a readable resume corpus.
  """
  dest = pathlib.Path(dest)
  try:
    dest.mkdir(parents=True, exist_ok=True)
  except OSError as error:
    raise UserInputError(f"Cannot create the data folder {str(dest)!r} ({error}); pass another "
                         f"--dest.") from error
  target = dest / resumes.ZIP_NAME
  partial = target.with_name(target.name + ".part")
  try:
    with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as file:
      total = int(response.headers.get("Content-Length") or 0) or None
      with tqdm.tqdm(total=total, unit="B", unit_scale=True, desc=resumes.ZIP_NAME) as bar:
        while chunk := response.read(chunk_bytes):
          file.write(chunk)
          bar.update(len(chunk))
  except ValueError as error:
    partial.unlink(missing_ok=True)
    raise UserInputError(f"--url={url!r} is not a valid address ({error}); give an http(s):// "
                         f"or file:// URL.") from error
  except (urllib.error.URLError, OSError) as error:
    partial.unlink(missing_ok=True)
    raise UserInputError(
        f"Could not download {url} ({error}). Check the address and the network connection, or "
        f"download the file by other means and place it at {target}."
    ) from error
  try:
    resumes.read_resume_corpus(partial)
  except UserInputError:
    partial.unlink(missing_ok=True)
    raise
  os.replace(partial, target)
  logging.info("Wrote %s (%d bytes).", target, target.stat().st_size)
  return target


def main(argv):
  del argv
  try:
    path = download(_URL.value, resumes.resolve_data_path(_DEST.value))
  except UserInputError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
  print(path)


if __name__ == "__main__":
  app.run(main)
