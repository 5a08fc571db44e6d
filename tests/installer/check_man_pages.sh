#!/usr/bin/env bash
# The generated man pages (mambascope-cli, mambascope, mambascope-engine) render without groff
# warnings, mambascope-cli(1) has a section and an example for every command `mambascope-cli --help`
# lists, and the help2man pages carry what the programs' --help says.
set -euo pipefail
cli=$1; shift
failures=0
for page in "$@"; do
    warnings=$(zcat "$page" | LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z 2>&1 || true)
    if [ -n "$warnings" ]; then echo "FAIL: groff warnings in $page:"; echo "$warnings"; failures=$((failures + 1)); fi
done
commands=$("$cli" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || { echo "FAIL: no commands in mambascope-cli --help"; exit 1; }
for c in $commands; do
    m=${c//-/\\-}   # as roff writes it: delete-run is delete\-run
    zcat "$1" | grep -qxF ".SS $m" || { echo "FAIL: mambascope-cli(1) has no section for '$c'"; failures=$((failures + 1)); }
    zcat "$1" | grep -qF "\$ mambascope\\-cli $m " || { echo "FAIL: mambascope-cli(1) has no example of '$c'"; failures=$((failures + 1)); }
done
zcat "$2" | grep -q '^\\fB\\-\\-snapshot\\fR' || { echo "FAIL: mambascope(1) lacks --snapshot from the GUI's --help"; failures=$((failures + 1)); }
zcat "$3" | grep -q '^forward' || { echo "FAIL: mambascope-engine(1) lacks the forward command of its --help"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] && echo "man pages: $(echo $commands | wc -w) commands, no groff warnings"
exit "$failures"
