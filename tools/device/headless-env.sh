# Sourced by the GPU-machine scripts of the headless build (headless-check.sh, jobs-timing.sh):
# unpacks the carried Debian packages into /tmp/deps (`deps`), points the loader, CMake and
# pkg-config at them, and sets `out` to $OUT (or /tmp/out).
out=${OUT:-/tmp/out}
deps=/tmp/deps
mkdir -p "$out" "$deps"
for f in .deps/debs/*.deb; do dpkg -x "$f" "$deps"; done
export LD_LIBRARY_PATH=$deps/usr/lib/x86_64-linux-gnu/openblas-pthread:$deps/usr/lib/x86_64-linux-gnu:$deps/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$deps/usr/bin:$PATH
export CMAKE_PREFIX_PATH=$deps/usr
# The .pc files say prefix=/usr: the sysroot puts the unpacked tree in front of every path.
export PKG_CONFIG_SYSROOT_DIR=$deps PKG_CONFIG_LIBDIR=$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig
