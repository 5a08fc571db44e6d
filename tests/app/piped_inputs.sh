#!/bin/sh
# Inputs through a pipe are refused before any work, naming the input, and leave no database:
# each reader said something wrong ("empty", "cannot read the header", a first record missing its
# start) and the jobs left a failed run behind (found in review).
# Usage: piped_inputs.sh CLI DB DATA_DIR (DATA_DIR holds q.fa and q.vcf.gz)
cli=$1 db=$2 data=$3
rm -f "$db"
printf '@r1\nACGTACGTTTGACCAGGATTACA\n+\nIIIIIIIIIIIIIIIIIIIIIII\n' > "$db.fq"
check() {  # INPUT_FILE ARGS...: runs the CLI with INPUT_FILE piped to /dev/stdin
  input=$1; shift
  err=$(cat "$input" | "$cli" "$@" 2>&1)
  rc=$?
  [ $rc -eq 1 ] || { echo "$*: exit $rc: $err"; exit 1; }
  echo "$err" | grep -q "^error: .*'/dev/stdin' is a pipe, not a file: inputs are read more than once" ||
    { echo "$*: $err"; exit 1; }
  [ ! -e "$db" ] || { echo "$*: left $db behind"; exit 1; }
}
check "$data/q.vcf.gz" variants --fasta "$data/q.fa" --vcf /dev/stdin --out "$db.vcf" --device cpu
check "$data/q.fa" embed --fasta /dev/stdin --db "$db" --device cpu
check "$db.fq" classify --reads /dev/stdin --db "$db" --device cpu
check "$data/q.fa" info /dev/stdin
