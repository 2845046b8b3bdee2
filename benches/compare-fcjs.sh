#!/usr/bin/env bash
# flowrun check vs flowchart.js's own parse, on genflow flows.
#
#   benches/compare-fcjs.sh [--1m] [--fcjs-1m] [--runs N] [--shape S] [--seed S] [--timer T]
#
# For 1k, 10k and 100k nodes (and 1M with --1m; flowchart.js is timed there
# only with --fcjs-1m, as it needs ~40 min) it generates a flow with
# shared/tools/genflow.py and times:
# - the whole `flowrun check FILE` release process: N runs after one warm-up,
#   best and median, timed from spawn to exit with no shell in between:
#   `--timer hyperfine` (`hyperfine -N`; the default when it is installed) or
#   `--timer spawn` (Python's posix_spawn and waitpid). An earlier version
#   took `date +%s%N` before and after each run; the second `date` process's
#   own start was counted too (at 10k nodes, 40 runs twice: best 12.6-12.9 ms
#   that way, 11.4 ms from spawn to exit; medians 12.9-16.9 against 11.7);
# - flowchart.js's `flowchart.parse` of the same text, with
#   benches/fcjs-parse-time.js (the oracle's flowchart.js with its raphael stub,
#   package load not counted): best of N runs in one process, since its first
#   runs are slow while the JIT warms up.
# It prints flowchart.js's best time over flowrun's best and over its median
# run (runs on a small shared VM vary by 20-30%: the best run alone flatters
# flowrun), flowchart.js's median over flowrun's median (flowchart.js's median
# leaves out its first 5 runs, the JIT's warm-up; like for like, since its best
# run flatters it as much), and at the largest size flowrun's peak memory
# (/usr/bin/time -v).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
shared="${FLOWRUN_SHARED:-$root/../shared}"
[ -d "$shared/tools" ] || shared=/work/shared
genflow="$shared/tools/genflow.py"
fcjs_timer="$here/fcjs-parse-time.js"

sizes=(1000 10000 100000)
fcjs_1m=false
runs=5
shape=branchy
seed=1
timer=spawn
command -v hyperfine >/dev/null && timer=hyperfine
while [ $# -gt 0 ]; do
  case "$1" in
    --1m) sizes+=(1000000) ;;
    --fcjs-1m) fcjs_1m=true ;;
    --runs) runs="$2"; shift ;;
    --shape) shape="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --timer) timer="$2"; shift ;;
    -h|--help) sed -n "2,24p" "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

command -v python3 >/dev/null || { echo "python3 is needed for genflow.py" >&2; exit 2; }
command -v node >/dev/null || { echo "node is needed for flowchart.js" >&2; exit 2; }
# The oracle installs flowchart.js on first use: into its folder, or into a
# cache when that folder is read-only.
printf 'st=>start: a\ne=>end: b\nst->e\n' | "$shared/tools/fcjs-oracle/run.sh" --no-render >/dev/null
if [ -z "${FCJS_ORACLE_DIR:-}" ]; then
  FCJS_ORACLE_DIR="$shared/tools/fcjs-oracle"
  [ -f "$FCJS_ORACLE_DIR/node_modules/flowchart.js/package.json" ] ||
    FCJS_ORACLE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/fcjs-oracle"
fi
export FCJS_ORACLE_DIR
(cd "$root" && cargo build --release --quiet)
# Where cargo put it: CARGO_TARGET_DIR (relative to the project) if set.
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
flowrun="$target/release/flowrun"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# "best median" seconds of a list of seconds on stdin.
best_median() {
  python3 -c 'import statistics, sys; v = [float(x) for x in sys.stdin.read().split()]; print("%.4f %.4f" % (min(v), statistics.median(v)))'
}

# Seconds ("best median" of $runs) for the whole `flowrun check FILE` process.
time_flowrun() {
  local file="$1" n="$2"
  case "$timer" in
    hyperfine)
      hyperfine --runs "$n" --warmup 1 -N -i --export-json "$tmp/h.json" \
        "$flowrun check $file" >/dev/null 2>&1
      python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["results"][0]["times"])' "$tmp/h.json" | best_median
      ;;
    spawn)
      python3 -c '
import os, sys, time
n, argv = int(sys.argv[1]), sys.argv[2:]
null = os.open(os.devnull, os.O_WRONLY)
quiet = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
for i in range(n + 1):
    t = time.perf_counter()
    os.waitpid(os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet), 0)
    if i:
        print(time.perf_counter() - t)
' "$n" "$flowrun" check "$file" | best_median
      ;;
    *) echo "unknown timer: $timer (hyperfine or spawn)" >&2; exit 2 ;;
  esac
}

# Seconds ("best median" of $runs, in one node process) for flowchart.parse;
# the median leaves out the first 5 runs (JIT warm-up) when there are more.
time_fcjs() {
  local file="$1" n="$2"
  node "$fcjs_timer" "$file" "$n" | awk -F= '/^parse_ms=/ { print $2 / 1000 }' |
    python3 -c 'import statistics, sys; v = [float(x) for x in sys.stdin.read().split()]; w = v[5:] if len(v) > 5 else v; print("%.4f %.4f" % (min(v), statistics.median(w)))'
}

if $fcjs_1m && [[ " ${sizes[*]} " != *" 1000000 "* ]]; then sizes+=(1000000); fi
printf '%-8s %9s %9s %9s %10s %10s %11s %11s %11s %8s %8s\n' nodes bytes best_s median_s fcjs_s fcjs_med_s ratio_best ratio_med ratio_medmed MB/s_best MB/s_med
last_file=""
for n in "${sizes[@]}"; do
  file="$tmp/flow-$n.flow"
  python3 "$genflow" "$n" --seed "$seed" --shape "$shape" -o "$file"
  bytes=$(wc -c <"$file")
  fr_runs=$runs; fc_runs=$runs
  if [ "$n" -ge 100000 ]; then fc_runs=1; fi
  if [ "$n" -ge 1000000 ] && [ "$runs" -gt 8 ]; then fr_runs=8; fi
  read -r fr fr_med < <(time_flowrun "$file" "$fr_runs")
  fc=None; fc_med=None
  if [ "$n" -lt 1000000 ] || $fcjs_1m; then read -r fc fc_med < <(time_fcjs "$file" "$fc_runs"); fi
  python3 -c "
n, b, fr, frm, fc, fcm = $n, $bytes, $fr, $fr_med, $fc, $fc_med
cells = ('%10.4f %10.4f %10.1fx %10.1fx %10.1fx' % (fc, fcm, fc / fr, fc / frm, fcm / frm)) if fc else '%10s %10s %11s %11s %11s' % ('-', '-', '-', '-', '-')
print('%-8d %9d %9.4f %9.4f %s %8.1f %8.1f' % (n, b, fr, frm, cells, b / 1e6 / fr, b / 1e6 / frm))"
  last_file="$file"; last_n=$n; last_bytes=$bytes
done

if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$flowrun" check "$last_file" >/dev/null 2>"$tmp/time.txt" || true
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$tmp/time.txt")
  echo
  echo "flowrun check at $last_n nodes ($last_bytes bytes): peak RSS ${rss} KB ($((rss / 1024)) MB), wall $wall"
fi
