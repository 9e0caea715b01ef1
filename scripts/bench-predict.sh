#!/usr/bin/env bash
# Time to the first L4 for a leak shared as it is (alone, under its catalogued
# name) on a local swarm: with predicted infohashes looked up every round, and
# with BEP 51 sampling alone. Usage: scripts/bench-predict.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
go test -run '^$' -bench 'BenchmarkTimeToL4' -benchtime "${runs}x" -timeout 60m -v ./cmd/leakhunt |
  grep -E 'BenchmarkTimeToL4|L4 after|no L4'
