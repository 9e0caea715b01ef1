#!/usr/bin/env bash
# Fingerprints the same file with leakhunt and with rhash, side by side, and
# prints wall time, ratio and peak memory. Usage: scripts/bench-fingerprint.sh [SIZE_MIB] [RUNS]
# The file lives in /dev/shm so the disk does not count.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-3}
command -v rhash >/dev/null || { echo "rhash is needed: apt-get install rhash" >&2; exit 2; }
bin=$(mktemp -d)/leakhunt
go build -o "$bin" ./cmd/leakhunt
file=/dev/shm/leakhunt-bench-$size_mib.bin
trap 'rm -f "$file" "$bin"' EXIT
head -c $((size_mib << 20)) /dev/urandom >"$file"

best() { # best wall seconds and peak RSS (KiB) of RUNS runs of a command
  local b=999999 m=0
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null; } 2>&1 | tail -1)
    read -r t mem <<<"$out"
    b=$(awk -v a="$b" -v c="$t" 'BEGIN{print (c<a)?c:a}')
    m=$(( mem > m ? mem : m ))
  done
  echo "$b $m"
}

read -r lt lm < <(best "$bin" fingerprint "$file")
read -r rt rm_ < <(best rhash --md5 --sha1 --sha256 --ed2k --tth --btih "$file")
echo "file: ${size_mib} MiB in /dev/shm, best of $runs runs, $(nproc) cores"
printf '%-50s %8s s %8s MB/s  peak RSS %6d MiB\n' "leakhunt fingerprint (7 hashes)" "$lt" "$(awk -v s=$size_mib -v t=$lt 'BEGIN{printf "%.0f", s*1.048576/t}')" $((lm/1024))
printf '%-50s %8s s %8s MB/s  peak RSS %6d MiB\n' "rhash --md5 --sha1 --sha256 --ed2k --tth --btih" "$rt" "$(awk -v s=$size_mib -v t=$rt 'BEGIN{printf "%.0f", s*1.048576/t}')" $((rm_/1024))
echo "leakhunt is $(awk -v a=$rt -v b=$lt 'BEGIN{printf "%.2f", a/b}')x faster than rhash"

# rhash one hash at a time, for the per-hash table next to
# `go test -run '^$' -bench Hash ./fingerprint/`.
echo "rhash per hash (MB/s, wall time, includes reading the file):"
for h in md5 sha1 sha256 ed2k tth; do
  read -r t _ < <(best rhash --$h "$file")
  printf '  %-7s %6s MB/s\n' "$h" "$(awk -v s=$size_mib -v t=$t 'BEGIN{printf "%.0f", s*1.048576/t}')"
done
