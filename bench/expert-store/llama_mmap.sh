#!/bin/bash
# 同一检查点在 12.5 GiB 可用内存下：llama.cpp 的 mmap、dsinfer 的 mmap、dsinfer 的 12G 专家存储，交替 ROUNDS 轮。
# 需要 root（清页缓存）、llama-bench 与同一权重的 deepseek2 GGUF（LLAMA_BENCH、GGUF）。
set -u
B=${DSINFER:-build/dsinfer}
M=${MODEL:-v2lite-27L-bf16}
G=${GGUF:-v2lite-27L-bf16.gguf}
L=${LLAMA_BENCH:-llama-bench}
O=${OUT:-out-llama}
T=${TOOLS:-bench/expert-store}
BALLOON=${BALLOON:-$T/balloon}   # gcc -O2 $T/balloon.c -o …
ROUNDS=${ROUNDS:-3}
mkdir -p $O
log() { echo "[$(date +%T)] $*" >> $O/progress.log; }
drop() { sync; echo 1 > /proc/sys/vm/drop_caches; }
timed() { local name=$1; shift; drop; log "start $name"
  /usr/bin/time -v "$@" > $O/$name.out 2> $O/$name.err
  log "done $name rc=$? $(grep -E 'Elapsed|Maximum resident' $O/$name.err | tr '\n' ' ')"; }
# make-model 不写分词器；profile-experts 编码文本用内置模型的分词器（词表小于模型的 vocab_size）
[ -f $M/tokenizer.json ] || cp models/dsinfer-tiny-v3/tokenizer.json models/dsinfer-tiny-v3/tokenizer_config.json $M/
# frequency 的统计取自随机文本（bench 解码的是随机 token，真实文本的统计对它不准）
[ -f $O/random_text.txt ] || head -c 8192 /dev/urandom | base64 > $O/random_text.txt
[ -f $O/v2l-stats-random.json ] || { drop; $B profile-experts -m $M -f $O/random_text.txt --max-tokens 1024 \
  --mem-budget 12G -o $O/v2l-stats-random.json 2> $O/profile.err; log "profile rc=$?"; }
FREQ="--moe-cache-policy frequency --moe-prefetch next-layer --moe-expert-stats $O/v2l-stats-random.json"
$BALLOON 12.5 2> $O/balloon.log & BPID=$!; for i in $(seq 60); do grep -q holds $O/balloon.log && break; sleep 1; done
log "balloon $(cat $O/balloon.log) $(grep MemAvailable /proc/meminfo)"
for r in $(seq $ROUNDS); do
  timed llama_mmap_$r $L -m $G -t 2 -p 128 -n 32 -r 1 -o json
  timed dsinfer_mmap_$r $B bench -m $M -t 2 -p 128 -n 32 --reps 1 --json
  timed dsinfer_freq_nl_$r $B bench -m $M -t 2 -p 128 -n 32 --reps 1 --disk-bandwidth-mib 4096 --json --mem-budget 12G $FREQ
done
kill $BPID; wait $BPID 2>/dev/null
log "all done"
