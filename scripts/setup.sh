#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine, skipping what is already there:
# Debian's Python stack for the training pipeline and its tests, the project virtual environment
# .venv (Debian's packages plus the pinned PyPI ones of training/requirements.txt), chromium for
# the UI tests, and node_modules (onnxruntime-node without its CUDA download).
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
/usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null || need_apt+=(python3-torch python3-onnx python3-numpy)
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || need_apt+=(libopenblas0-pthread)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "missing Debian packages (run as root): ${need_apt[*]}" >&2; exit 1; }
  echo "== apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" libkrb5-dev >/dev/null
fi
# .venv sees Debian's torch, onnx and numpy (--system-site-packages); it is rebuilt only when
# training/requirements.txt differs from the copy it was installed from.
if ! cmp -s training/requirements.txt .venv/requirements.installed; then
  echo "== .venv (pip install -r training/requirements.txt)"
  rm -rf .venv
  /usr/bin/python3 -m venv --system-site-packages .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r training/requirements.txt
  cp training/requirements.txt .venv/requirements.installed
fi
if [ ! -d node_modules/onnxruntime-node ] || [ ! -d node_modules/mocha ]; then
  echo "== npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
