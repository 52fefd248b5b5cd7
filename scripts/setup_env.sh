#!/usr/bin/env bash
# Create the project virtualenv and install sciml with its dev tools.
#
# - An existing torch (in the venv, or importable by the base python) is left alone.
# - Otherwise: CUDA build from PyPI when an NVIDIA GPU is visible, else the CPU build
#   (a local wheel when pip's find-links has one, else PyTorch's CPU index).
set -euo pipefail

VENV="${1:-.venv}"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup: $PY is $("$PY" --version 2>&1); sciml needs Python >= 3.10 (set PYTHON=...)" >&2
    exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
    if "$PY" -c 'import torch' 2>/dev/null; then
        echo "setup: using the torch already installed for $PY"
        "$PY" -m venv --system-site-packages "$VENV"
    else
        "$PY" -m venv "$VENV"
    fi
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

if "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    echo "setup: torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)') present, left alone"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "setup: NVIDIA GPU found, installing the CUDA build of torch"
    "${PIP[@]}" install "torch>=2.1"
elif "${PIP[@]}" install --quiet --no-index --no-deps "torch==2.13.0" 2>/dev/null; then
    # a CPU wheel in pip's find-links; its dependencies come from the index
    "${PIP[@]}" install --quiet "torch==2.13.0"
    echo "setup: installed the local CPU build of torch 2.13.0"
else
    echo "setup: no GPU, installing the CPU build of torch"
    "${PIP[@]}" install torch --index-url https://download.pytorch.org/whl/cpu
fi

"${PIP[@]}" install --quiet -e ".[dev]"
echo "setup: done ($VENV)"
