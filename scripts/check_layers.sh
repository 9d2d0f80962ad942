#!/usr/bin/env bash
# 分层检查：src/ 下各库只能依赖比自己低的层（依赖只朝一个方向）：
#   app → server → runtime → model → {formats, tokenizer} → {kernels, config, monitor} → core
# 同层的库互不依赖（如 config 与 kernels）。检查两处：
#   1. 每个源文件的 #include "X/..."：X 必须是本目录或更低的层；
#   2. 每个 src/<目录>/CMakeLists.txt 中出现的 dsinfer_X 库：X 必须比本目录低。
# 用法：scripts/check_layers.sh [仓库根目录]（默认为本脚本所在仓库）。有违例时逐条打印并以 1 退出。
set -euo pipefail

root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
declare -A level=([core]=0 [kernels]=1 [config]=1 [monitor]=1 [formats]=2 [tokenizer]=2 [model]=3 [runtime]=4 [server]=5 [app]=6)

status=0
fail() {
  echo "$1" >&2
  status=1
}

# dir 能否依赖 dep（same=1 时允许依赖本目录）
allowed() {
  local dir=$1 dep=$2 same=$3
  [ -n "${level[$dep]+x}" ] || return 1
  if [ "$dir" = "$dep" ]; then [ "$same" = 1 ]; return; fi
  [ "${level[$dep]}" -lt "${level[$dir]}" ]
}

[ -d "$root/src" ] || { echo "找不到 $root/src" >&2; exit 2; }
for path in "$root"/src/*/; do
  dir=$(basename "$path")
  if [ -z "${level[$dir]+x}" ]; then
    fail "src/$dir：未登记层次的目录（在 scripts/check_layers.sh 的 level 表中登记）"
    continue
  fi
  while IFS=: read -r file line dep; do
    allowed "$dir" "$dep" 1 || fail "${file#"$root"/}:$line：包含 $dep/（$dir 不得依赖 $dep）"
  done < <(grep -rnoE '^#include "[a-z_]+/' "$path" --include='*.h' --include='*.cpp' |
           sed -E 's/#include "([a-z_]+)\//\1/')
  cmake="$path/CMakeLists.txt"
  [ -f "$cmake" ] || continue
  for lib in $(grep -v '^\s*#' "$cmake" | grep -oE '\bdsinfer_[a-z_]+' | sort -u); do
    dep=${lib#dsinfer_}
    case $dep in library | warnings) continue ;; esac
    [ "$dep" = "$dir" ] && continue
    allowed "$dir" "$dep" 0 || fail "src/$dir/CMakeLists.txt：链接 $lib（$dir 不得依赖 $dep）"
  done
done
exit $status
