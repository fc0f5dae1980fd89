#!/usr/bin/env bash
# Installs what the PyTorch side of the speed comparison needs on Debian: PyTorch 1.13 (CPU) and an optimised BLAS.
# Without libopenblas0 Debian's torch falls back to the reference BLAS of libblas3, about 30x slower at matrix
# products, and the comparison would be meaningless. Safe to run again.
set -euo pipefail
need=()
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || [ -e /usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3 ] || need+=(libopenblas0-pthread)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
