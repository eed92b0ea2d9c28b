#!/usr/bin/env bash
# The GPU check of issue 5: PyTorch SGNS against gensim on the same walks, on CUDA, printing the same table
# and RESULT line as bench_train.py on the CPU.
#
# The lent GPU machines (the `device` tool) have PyTorch, numba, pandas, scikit-learn ... but no network and
# no gensim, so the wheels it lacks travel with the repository:
#   bash benchmarks/gpu.sh --fetch        # here, with network: gensim + smart_open wheels for its Python into .whl/
#   bash benchmarks/gpu.sh [SCALE]        # there (carry .whl): SCALE ci | default (the default) | electronics
# Anywhere else with network and a CUDA torch (Colab), the second line alone works: missing packages come from pip.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"

if [[ "${1:-}" == "--fetch" ]]; then
    version="${GPU_PYTHON_VERSION:-3.12}"  # the device image's python3
    platforms=()
    for p in manylinux_2_28_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64; do
        platforms+=(--platform "$p")
    done
    rm -rf .whl
    "$python" -m pip download -q --no-deps --only-binary=:all: --python-version "$version" --implementation cp \
        "${platforms[@]}" -d .whl "gensim>=4.4" "smart_open>=1.8.1"
    ls -l .whl
    exit 0
fi

scale="${1:-default}"
if compgen -G ".whl/*.whl" >/dev/null; then  # carried wheels: install them offline, beside the image's packages
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/gpu-site \
        .whl/*.whl
    export PYTHONPATH="/tmp/gpu-site"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # the package from this checkout, no install step
"$python" -c "import gensim" 2>/dev/null || "$python" -m pip install -q "gensim>=4.4"
"$python" - <<'EOF'
import torch
assert torch.cuda.is_available(), "no CUDA device"
print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
EOF
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
PYTHONUNBUFFERED=1 "$python" benchmarks/bench_train.py --scale "$scale" --device cuda
