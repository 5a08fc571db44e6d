#!/usr/bin/env bash
# The generated bash completion of mambascope-cli, driven as bash would drive it: COMP_WORDS and
# COMP_CWORD set, the function called, COMPREPLY compared with what a user must be offered.
# No `set -e`: compopt fails outside a real completion (as here), which must not end the test.
set -u
# shellcheck source=/dev/null
source "$1"
failures=0
expect() {   # expect "WANTED" WORDS...: completing the last word of WORDS offers exactly WANTED
    local wanted=$1; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _mambascope_cli
    local got="${COMPREPLY[*]}"
    if [ "$got" != "$wanted" ]; then
        echo "FAIL: completing '$*' gave '$got', expected '$wanted'"; failures=$((failures + 1))
    fi
}
expect "score" mambascope-cli sc
expect "merge mutagenesis" mambascope-cli m
expect "--help --version" mambascope-cli --
expect "--strand" mambascope-cli score --str
expect "--keep-secondary --keep-supplementary --keep-duplicates --keep-qc-fail" mambascope-cli info --keep-
expect "fwd both" mambascope-cli score --strand ""
expect "both" mambascope-cli variants --strand b
expect "" mambascope-cli score --region ""             # a locus: nothing to offer
expect "--embeddings" mambascope-cli export --db x.db --emb
expect "--json" mambascope-cli info --js
# File values and positionals complete to files.
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
touch "$dir/genome.fa"
expect "$dir/genome.fa" mambascope-cli score --fasta "$dir/gen"
expect "$dir/genome.fa" mambascope-cli info "$dir/ge"
# The hidden `reference` command is not offered.
expect "" mambascope-cli ref
[ "$failures" -eq 0 ] && echo "bash completion: all cases pass"
exit "$failures"
