#!/bin/bash
# 10 轮对话的预填充 token 总数：前缀缓存开 / 关（内置模型，每轮回复 32 个 token，同一种子）；两边的回复应逐字相同。
set -eu
B=${DSINFER:-build/dsinfer}
M=${MODEL:-models/dsinfer-tiny-v3}
O=$(mktemp -d)
for i in $(seq 10); do echo "第 $i 个问题：天下大事，分久必合，合久必分，这是为什么？"; done > $O/turns.txt
for pc in true false; do
  $B chat -m $M -n 32 --seed 1 --prefix-cache $pc --stats-json $O/$pc.json < $O/turns.txt > $O/$pc.out 2> /dev/null
  python3 -c "import json; j = json.load(open('$O/$pc.json')); print('prefix_cache=$pc', 'prefill_tokens', j['prefill_tokens'], 'decode_tokens', j['decode_tokens'])"
done
cmp -s $O/true.out $O/false.out && echo "回复逐字相同" || echo "回复不同"
