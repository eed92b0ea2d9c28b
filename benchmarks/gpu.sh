#!/usr/bin/env bash
# The GPU check of issue 5, as one short script for a lent GPU machine (the `device` tool runs it from the
# repository root): install the package into a fresh venv next to the machine's CUDA torch, then train
# PyTorch SGNS against gensim on the same walks and print the same table and RESULT line as on the CPU.
#   bash benchmarks/gpu.sh [SCALE]        # SCALE: ci | default (the default) | electronics
set -euo pipefail
scale="${1:-default}"
python3 -m venv --system-site-packages .venv-gpu        # keeps a preinstalled CUDA torch if there is one
.venv-gpu/bin/python -c "import torch" 2>/dev/null || .venv-gpu/bin/python -m pip install -q torch
.venv-gpu/bin/python -m pip install -q -e .
.venv-gpu/bin/python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
.venv-gpu/bin/python benchmarks/bench_train.py --scale "$scale" --device cuda
