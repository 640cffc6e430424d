#!/usr/bin/env bash
# Times annette and Inpla on the same programs at 1 and 2 threads and
# prints the wall times and the ratio annette/Inpla for each.
#
# Usage: bench/compare.sh [PROGRAM.in ...]
#
# Inpla is taken from $INPLA, or else from `inpla` on the PATH; it must be
# Inpla's threaded build (make thread), which takes -t. When $INPLA1 names
# Inpla's single-thread build (make), the 1-thread column uses it instead
# of the threaded build with -t 1. annette is built from this repository
# unless $ANNETTE names a binary. Without programs, every
# bench/programs/*-quick.in is timed. Those run in milliseconds, so their
# times mostly measure process start-up: name full-size programs, such as
# bench/programs/fib-38.in, to compare speed. $RUNS (default 3) runs of
# each are made and the median is kept. The two-thread row also gives
# each runtime's gain from its second thread: its one-thread time over
# its two-thread time (for Inpla, the one-thread time of $INPLA1 when it
# is set).
#
# Every run must print its interaction count, and both programs must
# print the same count and the same results. Otherwise the script stops
# with an error.
set -euo pipefail

# abs PATH prints PATH made absolute against the current directory.
abs() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

# Resolve every path given before moving to the repository root.
inpla=${INPLA:-$(command -v inpla || true)}
if [[ -z "$inpla" || ! -x "$inpla" ]]; then
  echo "compare.sh: no Inpla binary: set INPLA or put inpla on the PATH" >&2
  exit 2
fi
inpla=$(abs "$inpla")
inpla1=${INPLA1:-}
if [[ -n "$inpla1" ]]; then
  if [[ ! -x "$inpla1" ]]; then
    echo "compare.sh: INPLA1=$inpla1 is not an executable file" >&2
    exit 2
  fi
  inpla1=$(abs "$inpla1")
fi
annette=${ANNETTE:-}
if [[ -n "$annette" ]]; then
  annette=$(abs "$annette")
fi
progs=()
for prog in "$@"; do
  if [[ ! -f "$prog" ]]; then
    echo "compare.sh: $prog: no such file" >&2
    exit 2
  fi
  progs+=("$(abs "$prog")")
done

cd "$(dirname "$0")/.."
if [[ -z "$annette" ]]; then
  build_dir=$(mktemp -d)
  trap 'rm -rf "$build_dir"' EXIT
  annette=$build_dir/annette
  go build -o "$annette" ./cmd/annette
fi
runs=${RUNS:-3}
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "compare.sh: invalid RUNS '$runs': give a whole number of at least 1" >&2
  exit 2
fi
if [[ ${#progs[@]} -eq 0 ]]; then
  progs=("$PWD"/bench/programs/*-quick.in)
  echo "compare.sh: timing the quick programs, whose times are mostly start-up" >&2
fi

# count_of OUTPUT prints the interactions that a run printed, summed over
# its nets, or nothing if it printed no count.
count_of() {
  sed -n 's/^(\([0-9][0-9]*\) interactions.*/\1/p' <<< "$1" |
    awk '{n += $1; seen = 1} END {if (seen) print n}'
}

# results_of OUTPUT prints a checksum of the result lines of a run: the
# lines other than the counts and Inpla's banner.
results_of() {
  grep -v -e '^([0-9][0-9]* interactions' -e '^Inpla [0-9]' <<< "$1" | md5sum | cut -d ' ' -f 1
}

# median_time CMD... runs CMD $runs times and prints the median wall
# time in seconds, then the interaction count and the checksum of the
# results of the last run. Inpla 0.13.4 exits with status 255 on success,
# so the exit status is not checked: a run counts only if it printed its
# interaction count.
median_time() {
  local times=() out count=""
  for ((i = 0; i < runs; i++)); do
    local start end
    start=$(date +%s.%N)
    out=$("$@" 2>&1 || true)
    end=$(date +%s.%N)
    count=$(count_of "$out")
    if [[ -z "$count" ]]; then
      echo "compare.sh: no interaction count from: $*" >&2
      head -n 5 <<< "$out" >&2
      exit 1
    fi
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g |
    awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'
  echo "$count"
  results_of "$out"
}

printf '%-28s %7s %14s %10s %10s %8s %14s %12s\n' program threads interactions annette_s inpla_s ratio annette_gain inpla_gain
for prog in "${progs[@]}"; do
  a1="" b1=""
  for t in 1 2; do
    { read -r a; read -r na; read -r ra; } < <(median_time "$annette" run -t "$t" "$prog")
    if [[ $t -eq 1 && -n "$inpla1" ]]; then
      { read -r b; read -r nb; read -r rb; } < <(median_time "$inpla1" -f "$prog")
    else
      { read -r b; read -r nb; read -r rb; } < <(median_time "$inpla" -t "$t" -f "$prog")
    fi
    if [[ -z "$a" || -z "$b" ]]; then
      echo "compare.sh: a run of $(basename "$prog") failed" >&2
      exit 1
    fi
    if [[ "$na" != "$nb" ]]; then
      echo "compare.sh: $(basename "$prog"): annette did $na interactions, Inpla $nb" >&2
      exit 1
    fi
    if [[ "$ra" != "$rb" ]]; then
      echo "compare.sh: $(basename "$prog"): annette and Inpla printed different results" >&2
      exit 1
    fi
    line=$(printf '%-28s %7d %14s %10.3f %10.3f %8.2f' "$(basename "$prog")" "$t" "$na" "$a" "$b" "$(echo "$a / $b" | bc -l)")
    if [[ $t -eq 1 ]]; then
      a1=$a b1=$b
      printf '%s\n' "$line"
    else
      printf '%s %14.2f %12.2f\n' "$line" "$(echo "$a1 / $a" | bc -l)" "$(echo "$b1 / $b" | bc -l)"
    fi
  done
done
