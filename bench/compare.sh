#!/usr/bin/env bash
# Times annette and Inpla on the same programs at 1 and 2 threads and
# prints the wall times and the ratio annette/Inpla for each.
#
# Usage: bench/compare.sh [PROGRAM.in ...]
#
# Inpla is taken from $INPLA, or else from `inpla` on the PATH; it must be
# Inpla's threaded build (make thread), which takes -t. annette is built
# from this repository unless $ANNETTE names a binary. Without programs,
# every bench/programs/*-quick.in is timed; $RUNS (default 3) runs of each
# are made and the median is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

inpla=${INPLA:-$(command -v inpla || true)}
if [[ -z "$inpla" || ! -x "$inpla" ]]; then
  echo "compare.sh: no Inpla binary: set INPLA or put inpla on the PATH" >&2
  exit 2
fi
annette=${ANNETTE:-}
if [[ -z "$annette" ]]; then
  annette=$(mktemp -d)/annette
  go build -o "$annette" ./cmd/annette
fi
runs=${RUNS:-3}
if [[ $# -eq 0 ]]; then
  set -- bench/programs/*-quick.in
fi

# median_time CMD... prints the median wall time of $runs runs, in seconds.
median_time() {
  local times=()
  for ((i = 0; i < runs; i++)); do
    local start end
    start=$(date +%s.%N)
    # Inpla 0.13.4 exits with status 255 on success, so statuses are not
    # checked here; the test suite checks annette's results.
    "$@" > /dev/null 2>&1 || true
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '%-28s %7s %10s %10s %8s\n' program threads annette_s inpla_s ratio
for prog in "$@"; do
  for t in 1 2; do
    a=$(median_time "$annette" run -t "$t" "$prog")
    b=$(median_time "$inpla" -t "$t" -f "$prog")
    printf '%-28s %7d %10.3f %10.3f %8.2f\n' "$(basename "$prog")" "$t" "$a" "$b" "$(echo "$a / $b" | bc -l)"
  done
done
