#!/usr/bin/env bash
# thread-times.sh CMD...: runs CMD and samples its threads' CPU time every 0.1 s; prints each
# thread's last figure (seconds of user + system time) with its name (common/thread_name.h names
# the job's stages: ms-reader-N, ms-engine-N, ms-writer, ms-encoder, ms-pool). For the GPU machine,
# which has no profiler; a thread that lived less than 0.1 s may be missed.
"$@" & pid=$!
declare -A cpu name
while kill -0 $pid 2>/dev/null; do
  for t in /proc/$pid/task/*; do
    read -r line 2>/dev/null < $t/stat || continue
    id=${t##*/}; c=${line#*(}; n=${c%%)*}; rest=${c#*) }
    set -- $rest; cpu[$id]=$(( ${12} + ${13} )); name[$id]=$n
  done
  sleep 0.1
done
wait $pid; echo "rc=$?"
for id in "${!cpu[@]}"; do echo "$id ${name[$id]} ${cpu[$id]}"; done | sort -n | awk '{printf "  tid %s %-16s %.2f s\n", $1, $2, $3/100}'
