#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine, skipping what is already there:
# Debian's Python stack for the training pipeline and its tests, chromium for the UI tests, and
# node_modules (onnxruntime-node without its CUDA download).
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
/usr/bin/python3 -c 'import torch, onnx, numpy' 2>/dev/null || need_apt+=(python3-torch python3-onnx python3-numpy)
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || need_apt+=(libopenblas0-pthread)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "missing Debian packages (run as root): ${need_apt[*]}" >&2; exit 1; }
  echo "== apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" libkrb5-dev >/dev/null
fi
if [ ! -d node_modules/onnxruntime-node ] || [ ! -d node_modules/mocha ]; then
  echo "== npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
