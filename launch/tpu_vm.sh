#!/usr/bin/env bash
# Run the paper-scale signal sweep on a Cloud TPU VM, or on every worker of a multi-host slice.
#
# Usage: launch/tpu_vm.sh TPU_NAME ZONE WORKDIR [--config.FIELD=VALUE ...]
#
# Run it on your own machine, from a git checkout of this repository. Needs: the gcloud CLI,
# logged in and set to the TPU's project (or PROJECT set), and a TPU VM that exists already.
# It takes three steps, each on all workers at once (--worker=all):
#   1. copies the committed tree (git archive HEAD) to REMOTE_DIR on every worker, and the corpus
#      if DATA_FILE is set; uncommitted changes are not copied;
#   2. installs the project there with  pip install -e . "jax[tpu]"  (skipped with INSTALL=0);
#   3. starts the same command on every worker:
#        python3 -m collective_jax.main --config=CONFIG --workdir=WORKDIR [--config.FIELD=VALUE ...]
#
# Each worker runs one process. collective_jax.main calls jax.distributed.initialize() itself
# when TPU_WORKER_HOSTNAMES lists several workers, and JAX finds its peers from the TPU's
# metadata. Output of all workers streams back here and stops when this connection closes, so
# run the script inside tmux or screen.
#
# Data: every worker reads the corpus from DATA_DIR on its own disk, because the script sets
# COLLECTIVE_JAX_DATA_DIR to it on every worker. Set DATA_FILE=path/to/resumes_corpus.zip to
# copy it there, or place it on the workers yourself.
# WORKDIR is a path on the workers, relative to REMOTE_DIR. On a multi-host slice it must be on
# a file system that every worker mounts (Filestore or gcsfuse, say), because every process
# reads the config, tokenizer and results there, and all processes take part in saving orbax
# checkpoints.
#
# Environment:
#   CONFIG      config file and variant (default: configs/signal.py:paper)
#   PROJECT     Google Cloud project (default: gcloud's configured project)
#   REMOTE_DIR  folder on the workers for the code, relative to the home folder (default:
#               collective_jax)
#   DATA_DIR    folder on the workers for the corpus, relative to the home folder (default:
#               REMOTE_DIR/data)
#   DATA_FILE   local corpus file to copy into DATA_DIR on every worker (default: none)
#   INSTALL     1 to pip install on the workers before the run, 0 to skip it (default: 1)
set -euo pipefail

usage="Usage: launch/tpu_vm.sh TPU_NAME ZONE WORKDIR [--config.FIELD=VALUE ...]"
if [[ $# -lt 3 || "$1" == -* || "$2" == -* || "$3" == -* ]]; then
  echo "${usage}" >&2
  exit 2
fi
tpu_name="$1"
zone="$2"
workdir="$3"
shift 3

config="${CONFIG:-configs/signal.py:paper}"
remote_dir="${REMOTE_DIR:-collective_jax}"
data_dir="${DATA_DIR:-${remote_dir}/data}"
install="${INSTALL:-1}"

if ! command -v gcloud >/dev/null; then
  echo "error: gcloud not found. Install the Google Cloud CLI and run gcloud auth login." >&2
  exit 1
fi
if [[ -n "${DATA_FILE:-}" && ! -f "${DATA_FILE}" ]]; then
  echo "error: DATA_FILE=${DATA_FILE} not found." >&2
  exit 1
fi

gcloud_flags=(--zone="${zone}" --worker=all)
if [[ -n "${PROJECT:-}" ]]; then
  gcloud_flags+=(--project="${PROJECT}")
fi

on_all_workers() {
  gcloud compute tpus tpu-vm ssh "${tpu_name}" "${gcloud_flags[@]}" --command="$1"
}

# Step 1: the committed code, and the corpus when DATA_FILE is set.
archive_dir="$(mktemp -d)"
trap 'rm -rf "${archive_dir}"' EXIT
archive="${archive_dir}/code.tar.gz"
git -C "$(dirname "${BASH_SOURCE[0]}")/.." archive --format=tar.gz -o "${archive}" HEAD
on_all_workers "mkdir -p $(printf '%q' "${remote_dir}") $(printf '%q' "${data_dir}")"
gcloud compute tpus tpu-vm scp "${archive}" "${tpu_name}:${remote_dir}/code.tar.gz" \
  "${gcloud_flags[@]}"
if [[ -n "${DATA_FILE:-}" ]]; then
  gcloud compute tpus tpu-vm scp "${DATA_FILE}" "${tpu_name}:${data_dir}/" "${gcloud_flags[@]}"
fi

# Steps 2 and 3 in one command per worker. Arguments are quoted with printf %q so that values
# such as --config.seeds='(0,1)' reach the workers unchanged.
remote_command="set -euo pipefail"
remote_command+="; export COLLECTIVE_JAX_DATA_DIR=\"\$(realpath -m $(printf '%q' "${data_dir}"))\""
remote_command+="; cd $(printf '%q' "${remote_dir}") && tar -xzf code.tar.gz"
if [[ "${install}" == 1 ]]; then
  remote_command+="; python3 -m pip install --quiet -e . \"jax[tpu]\""
fi
remote_command+="; python3 -m collective_jax.main$(printf ' %q' \
  --config="${config}" --workdir="${workdir}" "$@")"

echo "Starting on every worker of ${tpu_name}: ${remote_command}"
on_all_workers "${remote_command}"
