#!/usr/bin/env bash
# Run the paper-scale signal sweep as a SLURM job on one or more GPU nodes.
#
# Usage: sbatch --nodes=N --gpus-per-node=G launch/slurm.sh WORKDIR [--config.FIELD=VALUE ...]
#
# Submit from the repository root: the job runs in the folder it was submitted from, and the
# default CONFIG is relative to it. Add the options your cluster needs (--partition, --account,
# --time, --cpus-per-task) to the sbatch line.
#
# Needs on every node: Python 3.10 or newer with this project and CUDA JAX installed, once, from
# the repository root with
#     pip install -e . "jax[cuda12]"
# WORKDIR must be on a file system that every node mounts, because every process reads the
# config, tokenizer and results there, and all processes take part in saving orbax checkpoints.
#
# srun starts the same command once on every node, and each process drives all GPUs of its
# node. collective_jax.main calls jax.distributed.initialize() itself when the job has more
# than one task, and JAX reads the coordinator address, process count and process id from
# SLURM's variables.
#
# Alternative: a SLURM array of independent single-node jobs, one per seed, for example
#     sbatch --array=0-4 --nodes=1 --gpus-per-node=G launch/slurm.sh WORKDIR
# Array task i runs --config.seeds="(i,)" in WORKDIR/seed_i. Collect the per-seed results.jsonl
# files afterwards.
#
# Environment:
#   CONFIG                          config file and variant (default: configs/signal.py:paper)
#   PYTHON                          Python interpreter on the nodes (default: python)
#   COLLECTIVE_JAX_DATA_DIR         folder with the resume corpus, seen by every node
#                                   (default: ./data)
#   XLA_PYTHON_CLIENT_MEM_FRACTION  fraction of each GPU's memory that JAX reserves up front
#                                   (default here: 0.90; JAX's own default is 0.75)
#
#SBATCH --job-name=collective_jax
#SBATCH --ntasks-per-node=1
#SBATCH --output=%x-%j.out
set -euo pipefail

usage="Usage: sbatch --nodes=N --gpus-per-node=G launch/slurm.sh WORKDIR [--config.FIELD=VALUE ...]"
if [[ -z "${SLURM_JOB_ID:-}" ]]; then
  echo "error: no SLURM allocation found (SLURM_JOB_ID is unset). Submit this script with" \
    "sbatch." >&2
  echo "${usage}" >&2
  exit 2
fi
if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "${usage}" >&2
  exit 2
fi
workdir="$1"
shift

config="${CONFIG:-configs/signal.py:paper}"
python="${PYTHON:-python}"
export XLA_PYTHON_CLIENT_MEM_FRACTION="${XLA_PYTHON_CLIENT_MEM_FRACTION:-0.90}"

overrides=()
if [[ -n "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  workdir="${workdir}/seed_${SLURM_ARRAY_TASK_ID}"
  overrides+=("--config.seeds=(${SLURM_ARRAY_TASK_ID},)")
fi

# SLURM sets SLURM_GPUS_ON_NODE and CUDA_VISIBLE_DEVICES for jobs that request GPUs.
gpus_per_node="${SLURM_GPUS_ON_NODE:-}"
if [[ -z "${gpus_per_node}" && -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  gpus_per_node="$(tr ',' '\n' <<<"${CUDA_VISIBLE_DEVICES}" | wc -l)"
fi
if [[ -z "${gpus_per_node}" || "${gpus_per_node}" -lt 1 ]]; then
  echo "error: the job has no GPUs. Request them with sbatch --gpus-per-node=G." >&2
  exit 1
fi
# When jax.distributed detects SLURM, JAX 0.10.2 limits each process to the GPU numbered
# SLURM_LOCALID, which is GPU 0 with one task per node. Listing every GPU of the node here
# keeps all of them in use.
JAX_LOCAL_DEVICE_IDS="$(seq -s, 0 $((gpus_per_node - 1)))"
export JAX_LOCAL_DEVICE_IDS

echo "Job ${SLURM_JOB_ID}: ${SLURM_JOB_NUM_NODES:-1} nodes with ${gpus_per_node} GPUs each," \
  "writing to ${workdir}."
srun --ntasks-per-node=1 --kill-on-bad-exit=1 \
  "${python}" -m collective_jax.main --config="${config}" --workdir="${workdir}" \
  "${overrides[@]}" "$@"
