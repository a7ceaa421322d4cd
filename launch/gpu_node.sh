#!/usr/bin/env bash
# Run the paper-scale signal sweep on one machine with NVIDIA GPUs, using all of its GPUs.
#
# Usage: launch/gpu_node.sh WORKDIR [--config.FIELD=VALUE ...]
#
# Needs: an NVIDIA driver (nvidia-smi) and Python 3.10 or newer with this project and CUDA JAX
# installed. This script installs nothing; install them once from the repository root with
#     pip install -e . "jax[cuda12]"
#
# One process drives every GPU of the machine, and the sweep shards its run axis across them.
# Arguments after WORKDIR go to collective_jax.main unchanged, for example
#     launch/gpu_node.sh runs/paper --config.seeds='(0,1)' --config.epochs=3
#
# Environment:
#   CONFIG                          config file and variant (default: configs/signal.py:paper
#                                   of this repository)
#   PYTHON                          Python interpreter (default: python)
#   COLLECTIVE_JAX_DATA_DIR         folder with the resume corpus (default: ./data)
#   XLA_PYTHON_CLIENT_MEM_FRACTION  fraction of each GPU's memory that JAX reserves up front
#                                   (default here: 0.90; JAX's own default is 0.75)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "Usage: launch/gpu_node.sh WORKDIR [--config.FIELD=VALUE ...]" >&2
  exit 2
fi
workdir="$1"
shift

config="${CONFIG:-${repo_root}/configs/signal.py:paper}"
python="${PYTHON:-python}"
# The sweep is meant to have the GPUs to itself, so JAX may reserve more than its default 75%.
# The rest is left to the CUDA libraries, which allocate outside JAX's pool.
export XLA_PYTHON_CLIENT_MEM_FRACTION="${XLA_PYTHON_CLIENT_MEM_FRACTION:-0.90}"

if ! command -v nvidia-smi >/dev/null; then
  echo "error: nvidia-smi not found. This script needs a machine with an NVIDIA driver." >&2
  exit 1
fi
num_gpus="$(nvidia-smi --list-gpus | wc -l)"
if [[ "${num_gpus}" -lt 1 ]]; then
  echo "error: nvidia-smi lists no GPUs." >&2
  exit 1
fi

# A CPU-only JAX would run the whole sweep on the CPU without complaint, so check the backend.
check_backend='import jax; assert jax.default_backend() == "gpu"; print(jax.device_count())'
if ! jax_devices="$("${python}" -c "${check_backend}")"; then
  echo "error: JAX in ${python} does not use the GPUs. Install CUDA JAX with" \
    "pip install -e . \"jax[cuda12]\" from ${repo_root}." >&2
  exit 1
fi
echo "nvidia-smi lists ${num_gpus} GPUs and JAX uses ${jax_devices}; writing to ${workdir}."

exec "${python}" -m collective_jax.main --config="${config}" --workdir="${workdir}" "$@"
