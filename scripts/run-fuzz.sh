#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz` / `make fuzz-smoke` (README "Fuzzing").
#
#   scripts/run-fuzz.sh FUZZ_BUILD SECONDS TARGET...
#
# Each target runs for SECONDS over its seed corpus test/fuzz/corpus/TARGET (read, never written)
# and FUZZ_BUILD/corpus/TARGET, where new inputs go. A crash, a leak, an UndefinedBehaviorSanitizer
# report, a timeout or running out of memory stops that target and leaves the input in
# FUZZ_BUILD/crashes/TARGET/ (the run's log says which file); the script goes on with the others
# and fails at the end. FUZZ_JOBS targets run at once (default 1); each target's log is
# FUZZ_BUILD/logs/TARGET.log. FUZZ_FLAGS adds libFuzzer options (e.g. -max_len=65536).
set -uo pipefail

build=$1 seconds=$2
shift 2
jobs=${FUZZ_JOBS:-1}
here=$(cd "$(dirname "$0")/.." && pwd)

run_one() {
  local t=$1
  local bin=$build/${t}_fuzz seeds=$here/test/fuzz/corpus/$t dict=$here/test/fuzz/$t.dict
  mkdir -p "$build/corpus/$t" "$build/crashes/$t" "$build/logs"
  local args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$build/crashes/$t/" -close_fd_mask=2)
  [ -f "$dict" ] && args+=(-dict="$dict")
  # stderr of the program itself is closed (-close_fd_mask=2: the application's own log lines);
  # libFuzzer's and the sanitizers' reports still reach the log.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" "${args[@]}" ${FUZZ_FLAGS:-} "$build/corpus/$t" "$seeds" >"$build/logs/$t.log" 2>&1
  local rc=$?
  local execs cov
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$build/logs/$t.log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "fuzz: $t: ok, ${execs:-?} executions in ${seconds}s, ${cov:-cov: ?}, corpus $(ls "$build/corpus/$t" | wc -l) new inputs"
  else
    echo "fuzz: $t: FAILED (exit $rc) after ${execs:-?} executions; see $build/logs/$t.log, input in $build/crashes/$t/"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$build/logs/$t.log" | head -5 | sed 's/^/fuzz:   /'
  fi
  return $rc
}

running=0
for t in "$@"; do
  rm -f "$build/logs/$t.rc"
  (run_one "$t"; echo $? >"$build/logs/$t.rc") &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
failed=()
for t in "$@"; do
  [ "$(cat "$build/logs/$t.rc" 2>/dev/null)" = 0 ] || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
