#!/usr/bin/env bash
# How long a probe takes to learn that libtorrent closed a uTP connection, with
# the pure-Go uTP leakhunt uses and with the C libutp (bounded by a 10 s
# handshake deadline). Needs /usr/bin/python3 with libtorrent and cgo.
# Usage: scripts/bench-utp.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
go test -run '^$' -bench 'BenchmarkUTPClosedHandshake' -benchtime "${runs}x" ./internal/peerdial |
  grep -E '^Benchmark'
