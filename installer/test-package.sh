#!/usr/bin/env bash
# Builds the Debian packages and the tarball from a release build folder (default build/release) and
# tries them as a user would: apt-get install of the .deb, the CLI and a demo job from the installed
# files with the bundled model (no --model, no environment), the GUI's offscreen snapshot, the man
# pages, completion, MIME type and desktop entry; then apt-get remove + purge, checked to leave nothing.
# The tarball is unpacked elsewhere, run from there, moved and run again. Needs root (apt-get); CI
# runs it after ./test.sh. A package installed by an earlier run is purged first.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build/release}")
[ "$(id -u)" -eq 0 ] || { echo "test-package: run as root (it installs and removes the package)" >&2; exit 1; }
[ -f "$build/CPackConfig.cmake" ] || { echo "test-package: no CPackConfig.cmake in $build: build it first (./test.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/mambascope-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
step() { echo "test-package: $*"; }
has_cuda=$(grep -q '^set(CPACK_COMPONENTS_ALL "[^"]*cuda' "$build/CPackConfig.cmake" && echo 1 || echo 0)

step "cpack -G DEB and -G TGZ from $build"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/packages" >"$work/cpack-deb.log" 2>&1 || { cat "$work/cpack-deb.log"; fail "cpack -G DEB"; }
cpack -G TGZ --config "$build/CPackConfig.cmake" -B "$work/packages" >"$work/cpack-tgz.log" 2>&1 || { cat "$work/cpack-tgz.log"; fail "cpack -G TGZ"; }
deb=$(ls "$work"/packages/mambascope_*_amd64.deb)
tgz=$(ls "$work"/packages/mambascope-*-linux-x86_64.tar.gz)
version=$(dpkg-deb -f "$deb" Version)
ls -l "$work"/packages/*.deb "$tgz"

step "package contents and dependencies"
depends=$(dpkg-deb -f "$deb" Depends)
echo "  Depends: $depends"
for lib in libhts3 libsqlite3-0 libqt6widgets6 libopenblas0 libzstd1 libssl3; do
  [[ $depends == *"$lib"* ]] || fail "Depends of $deb lacks $lib (dpkg-shlibdeps): $depends"
done
[[ $depends != *cuda* && $depends != *cublas* ]] || fail "the main package must not need CUDA: $depends"
dpkg-deb -c "$deb" >"$work/contents"
for f in ./usr/bin/mambascope ./usr/bin/mambascope-cli ./usr/share/mambascope/models/mambascope-dna-small/model.safetensors \
         ./usr/share/mambascope/demo/ecoli_k12_mg1655.fa ./usr/share/applications/mambascope.desktop \
         ./usr/share/icons/hicolor/scalable/apps/mambascope.svg ./usr/share/icons/hicolor/16x16/apps/mambascope.png \
         ./usr/share/icons/hicolor/256x256/apps/mambascope.png ./usr/share/mime/packages/mambascope-results.xml \
         ./usr/share/man/man1/mambascope.1.gz ./usr/share/man/man1/mambascope-cli.1.gz ./usr/share/man/man1/mambascope-engine.1.gz \
         ./usr/share/bash-completion/completions/mambascope-cli ./usr/share/doc/mambascope/user-guide.md \
         ./usr/share/doc/mambascope/images/gyrA-tracks.png ./usr/share/mambascope/workflow/Snakefile \
         ./usr/share/mambascope/tools/convert_checkpoint.py; do
  grep -q " $f\$" "$work/contents" || fail "$deb lacks $f"
done
! grep -q libmambascope_cuda "$work/contents" || fail "the CUDA module belongs to mambascope-cuda, not $deb"
if [ "$has_cuda" = 1 ]; then
  cuda_deb=$(ls "$work"/packages/mambascope-cuda_*_amd64.deb)
  dpkg-deb -c "$cuda_deb" | grep -q " ./usr/lib/mambascope/libmambascope_cuda.so$" || fail "$cuda_deb lacks the module"
  [[ $(dpkg-deb -f "$cuda_deb" Depends) == *"mambascope (= $version)"* ]] || fail "$cuda_deb must depend on mambascope (= $version)"
fi

step "apt-get install ./$(basename "$deb")"
if dpkg-query -W -f='${Status}' mambascope 2>/dev/null | grep -q "ok installed"; then
  apt-get purge -y -qq mambascope-cuda mambascope >/dev/null 2>&1 || # The package has no conffiles, so dpkg may already have forgotten it after remove; purge if not.
if dpkg-query -W mambascope >/dev/null 2>&1; then apt-get purge -y -qq mambascope >/dev/null; fi
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "$deb" >"$work/apt-install.log" 2>&1 || { cat "$work/apt-install.log"; fail "apt-get install"; }

# As a user would run it: from an empty folder, nothing of the source tree or build in reach.
run=$work/run && mkdir -p "$run/home" && cd "$run"
clean_env=(env -u MAMBASCOPE_MODEL_DIR -u MAMBASCOPE_BACKEND_DIR -u XDG_CONFIG_HOME HOME="$run/home"
           PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen)
demo=/usr/share/mambascope/demo
[ "$(command -v mambascope-cli)" = /usr/bin/mambascope-cli ] || fail "mambascope-cli is not /usr/bin/mambascope-cli"
"${clean_env[@]}" mambascope-cli --version | tee "$work/version.txt"
grep -q "^mambascope-cli $version " "$work/version.txt" || fail "--version does not say $version"
grep -q "mambascope-dna-small  /usr/share/mambascope/models/mambascope-dna-small" "$work/version.txt" \
  || fail "the installed CLI does not find the bundled model in /usr/share/mambascope/models"

step "demo job from the installed files, bundled model (no --model)"
"${clean_env[@]}" mambascope-cli score --fasta $demo/ecoli_k12_mg1655.fa --region NC_000913.2:2,334,001-2,344,000 --db demo.db --quiet
"${clean_env[@]}" mambascope-cli classify --reads $demo/lambda_longreads.fq --db reads.db --quiet
"${clean_env[@]}" mambascope-cli export --db demo.db --track loglik --out demo.loglik.bw
"${clean_env[@]}" mambascope-cli info demo.db >"$work/info.txt"
grep -q "model     mambascope-dna-small" "$work/info.txt" || { cat "$work/info.txt"; fail "the run did not use the bundled model"; }
[ -s demo.loglik.bw ] || fail "no bigWig exported"
"${clean_env[@]}" mambascope-cli export --db reads.db --predictions --out reads.tsv
[ "$(grep -vc '^#' reads.tsv)" -eq 201 ] \
  || fail "classify did not give one prediction per read of lambda_longreads.fq (200)"

step "mambascope --snapshot offscreen"
"${clean_env[@]}" mambascope --genome $demo/ecoli_k12_mg1655.fa --db demo.db --annotations $demo/ecoli_k12_mg1655.gff3 \
  --goto gyrA --snapshot gyrA.png --quit
file gyrA.png | grep -q "PNG image data, 1200 x" || fail "the snapshot is not a 1200 px wide PNG: $(file gyrA.png)"
[ "$(stat -c %s gyrA.png)" -gt 10000 ] || fail "the snapshot is suspiciously small ($(stat -c %s gyrA.png) bytes)"

step "man pages, completion, desktop entry, MIME type"
# Images with dpkg path-exclude rules for /usr/share/man (Docker's slim ones) install no man pages.
man_excluded=$(grep -rqs "path-exclude.*/usr/share/man" /etc/dpkg/dpkg.cfg.d/ && echo 1 || echo 0)
for page in mambascope mambascope-cli mambascope-engine; do
  [ "$man_excluded" = 1 ] && { step "man pages not checked installed: dpkg excludes /usr/share/man here"; break; }
  [ "$(man -w $page)" = "/usr/share/man/man1/$page.1.gz" ] || fail "man -w $page: $(man -w $page 2>&1)"
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "/usr/share/man/man1/$page.1.gz" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "groff warnings in $page(1): $warnings"
done
[ "$man_excluded" = 1 ] || MANWIDTH=200 man -P cat mambascope-cli 2>/dev/null | grep -q "mambascope-cli score --fasta $demo/ecoli_k12_mg1655.fa" \
  || fail "mambascope-cli(1) lacks the score example with the installed demo path"
completion=$(bash -c 'source /usr/share/bash-completion/completions/mambascope-cli
                      COMP_WORDS=(mambascope-cli score --str); COMP_CWORD=2; _mambascope_cli; echo "${COMPREPLY[*]}"')
[ "$completion" = "--strand" ] || fail "bash completion of 'score --str' gave '$completion'"
desktop-file-validate /usr/share/applications/mambascope.desktop || fail "desktop-file-validate"
[ -f /usr/share/icons/hicolor/48x48/apps/mambascope.png ] || fail "no 48x48 icon installed"
if command -v gio >/dev/null && [ -d /usr/share/mime/application ]; then
  type=$(gio info -a standard::content-type demo.db | sed -n 's/.*standard::content-type: //p')
  [ "$type" = application/x-mambascope-results ] || fail "a results database is '$type', not application/x-mambascope-results"
fi

step "apt-get remove, then purge"
apt-get remove -y -qq mambascope >/dev/null
[ ! -e /usr/bin/mambascope-cli ] && [ ! -e /usr/bin/mambascope ] || fail "the programs are left after remove"
# The package has no conffiles, so dpkg may already have forgotten it after remove; purge if not.
if dpkg-query -W mambascope >/dev/null 2>&1; then apt-get purge -y -qq mambascope >/dev/null; fi
dpkg-query -W -f='${Status}' mambascope 2>/dev/null | grep -q "installed" && fail "dpkg still lists mambascope"
[ ! -e /usr/share/mambascope ] || fail "/usr/share/mambascope is left after purge: $(find /usr/share/mambascope | head)"
for f in /usr/share/applications/mambascope.desktop /usr/share/mime/packages/mambascope-results.xml \
         /usr/share/man/man1/mambascope-cli.1.gz /usr/share/bash-completion/completions/mambascope-cli \
         /usr/share/icons/hicolor/48x48/apps/mambascope.png /usr/share/mime/application/x-mambascope-results.xml; do
  [ ! -e "$f" ] || fail "$f is left after purge"
done

step "tarball: unpacked elsewhere, run, moved, run again"
mkdir -p "$work/elsewhere" && tar -xzf "$tgz" -C "$work/elsewhere"
top=$(ls -d "$work"/elsewhere/mambascope-*)
for where in "$top" "$work/moved/again"; do
  if [ "$where" != "$top" ]; then mkdir -p "$(dirname "$where")" && mv "$top" "$where"; fi
  "${clean_env[@]}" "$where/bin/mambascope-cli" --version >"$work/tgz-version.txt"
  grep -q "mambascope-dna-small  $where/share/mambascope/models/mambascope-dna-small" "$work/tgz-version.txt" \
    || { cat "$work/tgz-version.txt"; fail "the tarball's CLI in $where does not find its bundled model"; }
  if [ "$has_cuda" = 1 ] && ldconfig -p | grep -q "libcublas.so.[0-9]"; then
    grep -q "module $where/lib/mambascope/libmambascope_cuda.so" "$work/tgz-version.txt" \
      || { cat "$work/tgz-version.txt"; fail "the tarball's CLI does not load its CUDA module from $where/lib/mambascope"; }
  fi
  rm -f tgz.db
  "${clean_env[@]}" "$where/bin/mambascope-cli" score --fasta "$where/share/mambascope/demo/lambda_virus.fa" \
    --region NC_001416.1:1-5000 --db tgz.db --quiet
  "${clean_env[@]}" "$where/bin/mambascope-cli" info tgz.db | grep -q "model     mambascope-dna-small" || fail "tarball job in $where"
done
step "ok: $(basename "$deb")$([ "$has_cuda" = 1 ] && echo " (+ mambascope-cuda)") and $(basename "$tgz")"
