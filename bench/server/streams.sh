#!/bin/bash
# dsinfer serve 在 1 / 4 / 16 / 64 个并发流下的合计生成 tok/s 与首 token 延迟（bench/server/load.mjs）。
# 每个并发数一行 JSON。开头的变量：可执行文件、模型、端口、并行数、每流请求数、每个请求生成的 token 数。
set -eu
B=${DSINFER:-build/dsinfer}
M=${MODEL:-models/dsinfer-tiny-v3}
PORT=${PORT:-18090}
PARALLEL=${PARALLEL:-64}
PER_STREAM=${PER_STREAM:-4}
TOKENS=${TOKENS:-64}
$B serve -m $M --port $PORT --parallel $PARALLEL --ctx 1024 2> /tmp/dsinfer-serve-bench.log &
PID=$!
trap 'kill $PID 2> /dev/null; wait $PID 2> /dev/null' EXIT
for i in $(seq 100); do curl -sf localhost:$PORT/health > /dev/null && break; sleep 0.2; done
node "$(dirname "$0")/load.mjs" http://127.0.0.1:$PORT 1 1 8 > /dev/null  # 预热
for c in 1 4 16 64; do node "$(dirname "$0")/load.mjs" http://127.0.0.1:$PORT $c $PER_STREAM $TOKENS; done
