#!/usr/bin/env bash
# flowrun check vs flowchart.js's own parse, on genflow flows.
#
#   benches/compare-fcjs.sh [--1m] [--runs N] [--shape S] [--seed S]
#
# For 1k, 10k and 100k nodes (and 1M with --1m: flowchart.js needs ~40 min
# there) it generates a flow with shared/tools/genflow.py, times the whole
# `target/release/flowrun check FILE` process (hyperfine when installed, else a
# loop of N runs with `date +%s%N`, best run reported), times flowchart.js's
# `flowchart.parse` of the same text with benches/fcjs-parse-time.js (the
# oracle's installed flowchart.js, loaded with its raphael stub; best of N
# in-process runs, package load not counted), and prints a table with the
# ratio. At the largest size it also reports flowrun's peak memory
# (/usr/bin/time -v) and throughput.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${FLOWRUN_SHARED:-$root/../shared}"
[ -d "$shared/tools" ] || shared=/work/shared
genflow="$shared/tools/genflow.py"
fcjs_timer="$here/fcjs-parse-time.js"
export FCJS_ORACLE_DIR="${FCJS_ORACLE_DIR:-$shared/tools/fcjs-oracle}"

sizes=(1000 10000 100000)
runs=5
shape=branchy
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --1m) sizes+=(1000000) ;;
    --runs) runs="$2"; shift ;;
    --shape) shape="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

command -v python3 >/dev/null || { echo "python3 is needed for genflow.py" >&2; exit 2; }
command -v node >/dev/null || { echo "node is needed for flowchart.js" >&2; exit 2; }
(cd "$root" && cargo build --release --quiet)
flowrun="$root/target/release/flowrun"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Seconds (best of $runs) for the whole `flowrun check FILE` process.
time_flowrun() {
  local file="$1" n="$2" best="" t0 t1 ms i
  if command -v hyperfine >/dev/null; then
    hyperfine --runs "$n" --warmup 1 -N -i --export-json "$tmp/h.json" \
      "$flowrun check $file" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["min"])' "$tmp/h.json"
    return
  fi
  for ((i = 0; i < n; i++)); do
    t0=$(date +%s%N)
    "$flowrun" check "$file" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  python3 -c "print('%.4f' % ($best / 1e6))"
}

# Seconds (best of $runs, in one node process) for flowchart.parse.
time_fcjs() {
  local file="$1" n="$2"
  node "$fcjs_timer" "$file" "$n" | awk -F= '/^parse_ms=/ { if (best == "" || $2 < best) best = $2 } END { printf "%.4f\n", best / 1000 }'
}

printf '%-9s %10s %12s %14s %10s %9s\n' nodes bytes flowrun_s flowchartjs_s ratio MB/s
last_file=""
for n in "${sizes[@]}"; do
  file="$tmp/flow-$n.flow"
  python3 "$genflow" "$n" --seed "$seed" --shape "$shape" -o "$file"
  bytes=$(wc -c <"$file")
  fr_runs=$runs; fc_runs=$runs
  if [ "$n" -ge 100000 ]; then fc_runs=1; fi
  if [ "$n" -ge 1000000 ]; then fr_runs=3; fi
  fr=$(time_flowrun "$file" "$fr_runs")
  fc=$(time_fcjs "$file" "$fc_runs")
  python3 -c "
n, b, fr, fc = $n, $bytes, $fr, $fc
print('%-9d %10d %12.4f %14.4f %9.1fx %9.1f' % (n, b, fr, fc, fc / fr, b / 1e6 / fr))"
  last_file="$file"; last_n=$n; last_bytes=$bytes
done

if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$flowrun" check "$last_file" >/dev/null 2>"$tmp/time.txt" || true
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$tmp/time.txt")
  echo
  echo "flowrun check at $last_n nodes ($last_bytes bytes): peak RSS ${rss} KB ($((rss / 1024)) MB), wall $wall"
fi
