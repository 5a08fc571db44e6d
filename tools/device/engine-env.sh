# Sourced by the GPU-machine scripts of the engine-only build (engine-check.sh, scan-check.sh):
# unpacks the carried Debian packages (OpenBLAS, nlohmann-json, CLI11) into /tmp/deps and points
# CMake and the loader at them; sets `out` to $OUT (or /tmp/out).
out=${OUT:-/tmp/out}
mkdir -p "$out" /tmp/deps
for f in .deps/debs/*.deb; do dpkg -x "$f" /tmp/deps; done
export LD_LIBRARY_PATH=/tmp/deps/usr/lib/x86_64-linux-gnu/openblas-pthread:/tmp/deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CMAKE_PREFIX_PATH=/tmp/deps/usr
