#!/bin/bash
# 12 GiB 可用内存下普通 mmap 与专家存储（12G 预算）交替：mmap / frequency + next-layer / lru + next-layer，
# 然后是合成偏斜（Zipf）的命中率。开头的变量是路径；AVAIL 是气球留给系统的可用内存（GiB），ROUNDS 是交替轮数。
set -u
B=${DSINFER:-build/dsinfer}
M=${MODEL:-v2lite-27L-bf16}
O=${OUT:-out2}
T=${TOOLS:-bench/expert-store}
AVAIL=${AVAIL:-12.0}
ROUNDS=${ROUNDS:-3}
mkdir -p $O
log() { echo "[$(date +%T)] $*" >> $O/progress.log; }
drop() { sync; echo 1 > /proc/sys/vm/drop_caches; }
bench() { local name=$1; shift; drop; log "start $name"
  /usr/bin/time -v $B bench -m $M -p 128 -n 32 --reps 1 --disk-bandwidth-mib 4096 --json "$@" > $O/$name.json 2> $O/$name.err
  log "done $name rc=$? $(grep -E 'Elapsed|Maximum resident' $O/$name.err | tr '\n' ' ')"; }
[ -f $T/v2l-stats-random.json ] || { drop; $B profile-experts -m $M -f $T/random_text.txt --max-tokens 1024 --mem-budget 12G -o $T/v2l-stats-random.json 2> $O/profile.err; log "profile rc=$?"; }
FREQ="--moe-cache-policy frequency --moe-prefetch next-layer --moe-expert-stats $T/v2l-stats-random.json"
$T/balloon $AVAIL 2> $O/balloon.log & BPID=$!; for i in $(seq 60); do grep -q holds $O/balloon.log && break; sleep 1; done
log "balloon $(cat $O/balloon.log) $(grep MemAvailable /proc/meminfo)"
for r in $(seq $ROUNDS); do
  bench mmap_$r
  bench freq_nl_$r --mem-budget 12G $FREQ
  bench lru_nl_$r --mem-budget 12G --moe-prefetch next-layer
done
kill $BPID; wait $BPID 2>/dev/null; sleep 2
# 合成偏斜：真实 TieredExpertStore、真实读盘，不做矩阵计算
EB=${EXPERT_CACHE_BENCH:-build/bench/expert_cache_bench}
for s in 0 0.5 1.0 1.5; do for p in lru frequency; do
  for slots in 5 14 23; do $EB models/dsinfer-tiny-v3 $slots $p $s 4000 >> $O/skew_tiny.jsonl; done
  drop; $EB $M 21 $p $s 48 >> $O/skew_v2l.jsonl
done; done
log "all done"
