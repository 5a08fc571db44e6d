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
ls -1
