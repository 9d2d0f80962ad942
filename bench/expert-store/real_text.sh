#!/bin/bash
# 真实文本路由下的专家缓存命中率：内置模型在 GPL-3 上 profile，在 Apache-2.0 的开头（提示）上贪心生成 160 个 token。
# 输出每个预算 × 策略一行：命中率、每 token 读盘 KiB（提示很短，几乎都是生成）。
set -eu
B=${DSINFER:-build/dsinfer}
M=${MODEL:-models/dsinfer-tiny-v3}
O=${OUT:-$(mktemp -d)}
$B profile-experts -m $M -f /usr/share/common-licenses/GPL-3 -o $O/stats.json 2> /dev/null
head -c 200 /usr/share/common-licenses/Apache-2.0 > $O/prompt.txt
for budget in 76M 80M 84M; do
  for policy in lru frequency; do
    for prefetch in off next-layer; do
      $B run -m $M -f $O/prompt.txt -n 160 --ignore-eos --mem-budget $budget --moe-cache-policy $policy \
        --moe-prefetch $prefetch --moe-expert-stats $O/stats.json --stats-json $O/s.json > /dev/null 2>&1
      python3 -c "import json,sys; c=json.load(open('$O/s.json'))['expert_cache']
print('$budget', '$policy', '$prefetch', 'slots', c['slots_per_layer'], 'pinned', c['pinned_per_layer'], 'released', c['pins_released'],
      'hit_rate %.3f' % c['hit_rate'], 'KiB/token %.0f' % (c['bytes_read_per_token'] / 1024))"
    done
  done
done
