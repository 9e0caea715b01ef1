#!/usr/bin/env bash
# Runs one Go benchmark for two revisions side by side, interleaved, so
# that the load of the machine falls on both alike, and prints each run
# and the median of a metric for each. Usage:
#   scripts/bench-ab.sh BASE_REV PACKAGE BENCHMARK [METRIC] [RUNS] [BENCHTIME]
# e.g. scripts/bench-ab.sh a240d30 ./evidence/ BenchmarkProbeL4 probes/s 7 2000x
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 pkg=$2 bench=$3 metric=${4:-ns/op} runs=${5:-5} benchtime=${6:-1x}
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q --detach "$tmp/base" "$base"
(cd "$tmp/base" && go test -c -o "$tmp/base.test" "$pkg")
go test -c -o "$tmp/head.test" "$pkg"
pkgdir=$(go list -f '{{.Dir}}' "$pkg")
basedir=$(cd "$tmp/base" && go list -f '{{.Dir}}' "$pkg")
value() { awk -v m="$metric" '/^Benchmark/{for(i=2;i<NF;i++) if($(i+1)==m) print $i}'; }
for i in $(seq "$runs"); do
  b=$(cd "$basedir" && "$tmp/base.test" -test.run xxx -test.bench "^$bench\$" -test.benchtime "$benchtime" | value)
  h=$(cd "$pkgdir" && "$tmp/head.test" -test.run xxx -test.bench "^$bench\$" -test.benchtime "$benchtime" | value)
  echo "run $i: base $b  head $h ($metric)"
  echo "$b" >>"$tmp/b"; echo "$h" >>"$tmp/h"
done
med() { sort -g "$1" | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
mb=$(med "$tmp/b") mh=$(med "$tmp/h")
echo "median over $runs interleaved runs: base ($base) $mb, head $mh $metric; head/base = $(awk -v a="$mh" -v b="$mb" 'BEGIN{printf "%.3f", a/b}')"
