#!/usr/bin/env bash
# scripts/check_layers.sh 的自检：在临时目录里造几棵小的源码树，合规的通过，有违例的失败并点名违例。
# 用法：check_layers_test.sh <check_layers.sh 的路径>
set -uo pipefail
check="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# tree 名字：建一棵最小的树（core 与 kernels，kernels 依赖 core）
tree() {
  local t="$tmp/$1"
  mkdir -p "$t/src/core" "$t/src/kernels"
  echo '#pragma once' > "$t/src/core/a.h"
  printf '#include "core/a.h"\n#include "kernels/b.h"\n' > "$t/src/kernels/b.cpp"
  echo 'target_link_libraries(dsinfer_kernels PUBLIC dsinfer_core)' > "$t/src/kernels/CMakeLists.txt"
  echo "$t"
}

# expect 名字 期望退出码 期望出现在输出中的文字 树
expect() {
  local name=$1 want=$2 text=$3 t=$4 out rc
  out=$("$check" "$t" 2>&1)
  rc=$?
  if [ "$rc" != "$want" ] || ! grep -qF -- "$text" <<<"$out"; then
    echo "失败：$name（退出码 $rc，期望 $want；输出：$out）"
    failures=$((failures + 1))
  fi
}

ok=$(tree ok)
expect "合规的树通过" 0 "" "$ok"

up=$(tree include_up)
mkdir -p "$up/src/formats" && echo '#pragma once' > "$up/src/formats/c.h"
echo '#include "formats/c.h"' >> "$up/src/kernels/b.cpp"
expect "低层包含高层的头文件" 1 "kernels 不得依赖 formats" "$up"

sibling=$(tree include_sibling)
mkdir -p "$sibling/src/config/sub"
echo '#include "kernels/b.h"' > "$sibling/src/config/sub/d.cpp"
expect "同层互相包含（子目录中的文件也检查）" 1 "config 不得依赖 kernels" "$sibling"

link=$(tree link_up)
echo 'target_link_libraries(dsinfer_core PUBLIC dsinfer_kernels)' > "$link/src/core/CMakeLists.txt"
expect "低层链接高层的库" 1 "core 不得依赖 kernels" "$link"

unknown=$(tree unknown_dir)
mkdir -p "$unknown/src/plugins"
expect "未登记的目录" 1 "未登记层次的目录" "$unknown"

[ "$failures" = 0 ] && echo "check_layers.sh 自检通过"
exit $((failures > 0))
