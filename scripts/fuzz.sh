#!/usr/bin/env bash
# 限时运行全部 libFuzzer 目标（make fuzz / make fuzz-ci 调用）。
# 用法：scripts/fuzz.sh 构建目录 每个目标的秒数 并行数
# 种子语料（tests/fuzz/corpus/<目标>/）与回归输入只读；新发现的输入写到 构建目录/fuzz-work/<目标>/corpus，
# 下次运行接着用。发现崩溃时崩溃输入留在 构建目录/fuzz-work/<目标>/crash-*，脚本以非零状态退出。
set -euo pipefail
BUILD=${1:?构建目录} SECONDS_EACH=${2:?秒数} JOBS=${3:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ=$ROOT/tests/fuzz

run_target() {
  local t=$1 work=$BUILD/fuzz-work/$1
  mkdir -p "$work/corpus"
  local args=(-max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1
    -artifact_prefix="$work/")
  [ -f "$FUZZ/dict/$t.dict" ] && args+=(-dict="$FUZZ/dict/$t.dict")
  local dirs=("$work/corpus" "$FUZZ/corpus/$t")
  [ -d "$FUZZ/regressions/$t" ] && dirs+=("$FUZZ/regressions/$t")
  if "$BUILD/tests/fuzz/fuzz_$t" "${args[@]}" "${dirs[@]}" >"$work/log" 2>&1; then
    echo "$t: 通过，执行 $(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log") 次"
  else
    echo "$t: 失败（日志 $work/log）"
    tail -n 40 "$work/log"
    return 1
  fi
}

targets=()
for d in "$FUZZ"/corpus/*/; do targets+=("$(basename "$d")"); done
failed=0 running=0
for t in "${targets[@]}"; do
  if ((running >= JOBS)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
exit $failed
