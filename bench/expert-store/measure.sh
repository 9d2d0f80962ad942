#!/bin/bash
# 测量内存预算下 31.4 GB V2-Lite 形状模型的速度与峰值内存
set -u
B=${DSINFER:-build/dsinfer}
M=${MODEL:-v2lite-27L-bf16}
O=${OUT:-out}
T=${TOOLS:-bench/expert-store}
HALF=14983M   # 29.26 GiB / 2
log() { echo "[$(date +%T)] $*" >> $O/progress.log; }
drop() { sync; echo 1 > /proc/sys/vm/drop_caches; }
balloon_on() { $T/balloon $1 2> $O/balloon.log & BPID=$!; for i in $(seq 60); do grep -q holds $O/balloon.log && break; sleep 1; done; log "balloon $(cat $O/balloon.log) avail=$(grep MemAvailable /proc/meminfo)"; }
balloon_off() { kill $BPID; wait $BPID 2>/dev/null; sleep 2; }
bench() { # name, args...
  local name=$1; shift; drop; log "start $name"
  /usr/bin/time -v $B bench -m $M -p 128 -n 32 --reps 1 --disk-bandwidth-mib 4096 --json "$@" > $O/$name.json 2> $O/$name.err
  log "done $name rc=$? $(grep -E 'Elapsed|Maximum resident' $O/$name.err | tr '\n' ' ')"
}
FREQ="--moe-cache-policy frequency --moe-prefetch next-layer --moe-expert-stats $T/v2l-stats.json"
log "profile"
drop; /usr/bin/time -v $B profile-experts -m $M -f /usr/share/common-licenses/GPL-3 --max-tokens 512 --mem-budget 12G -o $T/v2l-stats.json 2> $O/profile.err; log "profile rc=$?"
# 逐位相同：一半模型字节的预算 vs 普通 mmap（logits，前 8 个预填充，后 8 个逐个解码）
IDS=11,220,3300,45,5000,61,777,8080,99,1010,11111,1212,13,14140,15,1600
drop; /usr/bin/time -v $B logits -m $M --ids $IDS --decode-from 8 -o $O/logits_mmap.npy 2> $O/logits_mmap.err; log "logits mmap rc=$?"
drop; /usr/bin/time -v $B logits -m $M --ids $IDS --decode-from 8 --mem-budget $HALF --moe-cache-policy lru -o $O/logits_half.npy 2> $O/logits_half.err; log "logits half rc=$?"
cmp $O/logits_mmap.npy $O/logits_half.npy && log "logits identical" || log "logits DIFFER"
bench half_freq --mem-budget $HALF $FREQ
bench b16_freq --mem-budget 16G $FREQ
bench b8_freq --mem-budget 8G $FREQ
bench b8_lru --mem-budget 8G
balloon_on 12.5
bench b12_mmap_1
bench b12_freq_1 --mem-budget 12G $FREQ
bench b12_mmap_2
bench b12_freq_2 --mem-budget 12G $FREQ
bench b12_lru_off --mem-budget 12G
bench b12_lru_nl --mem-budget 12G --moe-prefetch next-layer
balloon_off
log "all done"
