#!/usr/bin/env bash
# Run here (Debian 12): downloads the Debian packages the engine-only build needs on the GPU
# machine, whose image has CUDA, CMake and ninja but no Debian libraries, into .deps/debs
# (ignored by git; named in the device tool's `carry`).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .deps/debs
cd .deps/debs
apt-get download nlohmann-json3-dev libcli11-dev libopenblas-dev libopenblas-pthread-dev \
                 libopenblas0-pthread libgfortran5 >/dev/null
# The headless build (CLI + results store, no Qt) also needs htslib, SQLite, zstd, libcrypto and
# pkg-config to find them, and libBigWig for exports (its libcurl-gnutls runtime is in the image)
# (tools/device/headless-check.sh).
apt-get download libhts-dev libhts3 libhtscodecs2 libdeflate0 libdeflate-dev zlib1g-dev liblzma-dev libbz2-dev \
                 libsqlite3-dev libsqlite3-0 libzstd-dev libzstd1 libssl-dev libssl3 \
                 pkgconf pkgconf-bin libpkgconf3 libbigwig-dev libbigwig0 libcurl4-gnutls-dev >/dev/null
ls -1
