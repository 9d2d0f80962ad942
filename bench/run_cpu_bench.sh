#!/usr/bin/env bash
# 复现 bench/README.md 中 CPU 速度与内存的全部测量（SC-001，以及 MTP 的 SC-002）。
# 用法：bash bench/run_cpu_bench.sh [输出目录]（默认 bench/results）。需要约 30 GB 磁盘、20 GB 内存、1 小时多。
# 机器是共享虚拟机：每项取多轮中位数；带宽与解码逐段配对测量（见 docs/performance.md）。
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results}
B=./build/dsinfer
WORK=${WORK:-/tmp/dsinfer-bench}
mkdir -p "$OUT" "$WORK"
make build >/dev/null

V2L=$WORK/v2lite-8L-bf16
V2LM=$WORK/v2lite-8L-bf16-mtp
[ -f $V2L/config.json ] || $B make-model --preset v2-lite --layers 8 --dtype bf16 --seed 0 -o $V2L
[ -f $V2LM/config.json ] || $B make-model --preset v2-lite --layers 8 --dtype bf16 --mtp-layers 1 --seed 0 -o $V2LM

# 1. 读带宽（STREAM 式，1 与 2 线程）
for t in 1 2; do $B bench --bandwidth -t $t --json > $OUT/bandwidth-t$t.json; done

# 2. 预填充 pp512 / 解码 tg128，权重读入匿名内存（与 llama.cpp 的 -lm none 对应），latent，1 与 2 线程
for t in 2 1; do
  $B bench -m $V2L --load-mode read -p 512 -n 128 --reps 5 --bandwidth -t $t --json > $OUT/v2lite8-bf16-read-t$t.json
done
# 同样的测量用 mmap（默认加载方式）
$B bench -m $V2L --load-mode mmap -p 512 -n 128 --reps 3 --bandwidth -t 2 --json > $OUT/v2lite8-bf16-mmap-t2.json
# BF16 激活（matmul_precision = bf16）：预填充在有 AVX512_BF16 时用其点积，解码的点积少读一半激活
$B bench -m $V2L --load-mode read -p 512 -n 128 --reps 5 --bandwidth -t 2 --matmul-precision bf16 --json \
  > $OUT/v2lite8-bf16-read-t2-bf16matmul.json

# GEMV 软件预取提前量：1024（Zen 3 上调的值）与本机默认（AMD 1024，其余 3072）交替 3 对
for i in 1 2 3; do
  DSINFER_PREFETCH_BYTES=1024 $B bench -m $V2L --load-mode read -p 16 -n 128 --reps 3 --bandwidth -t 2 --json \
    > $OUT/v2lite8-bf16-read-t2-prefetch1024-$i.json
  $B bench -m $V2L --load-mode read -p 16 -n 128 --reps 3 --bandwidth -t 2 --json > $OUT/v2lite8-bf16-read-t2-prefetchdefault-$i.json
done

# 3. SC-001：上下文 8192 时两种 MLA 模式的 KV 字节、峰值内存与解码速度（各自独立进程，峰值内存互不影响）
for mode in latent expanded; do
  $B bench -m $V2L --load-mode read -p 0 -n 32 --ctx 8192 --reps 1 --no-warmup --mla-mode $mode -t 2 --json \
    > $OUT/v2lite8-bf16-ctx8192-$mode.json
done
$B info -m $V2L --ctx 8192 --kv-budget 1073741824 --json > $OUT/v2lite8-info-kv-budget-1GiB.json

# 4. 各指令集路径与线程数的贪心结果一致（真实形状）；本机没有 AVX-512 时跳过该路径（强制它会报错退出）
ISAS="scalar avx2"
grep -q avx512bw /proc/cpuinfo && ISAS="$ISAS avx512"
for isa in $ISAS; do for t in 1 2; do
  $B run -m $V2L --load-mode read --ids 100,2000,30000,400 -n 8 --ignore-eos --isa $isa --threads $t \
    > $OUT/greedy-$isa-t$t.txt
done; done

# 5. MTP（SC-002）：内置模型 batch 1 / 8，--mtp 0 与 --mtp 4；内存带宽受限的模型上的神谕草稿上限
M=models/dsinfer-tiny-v3
for b in 1 8; do
  for k in 0 1 2 4; do
    $B bench -m $M -p 16 -n 128 --batch $b --mtp $k --reps 5 -t 2 --json > $OUT/tiny-mtp$k-batch$b.json
  done
  $B bench -m $M -p 16 -n 128 --batch $b --mtp 4 --mtp-adaptive true --reps 5 -t 2 --json > $OUT/tiny-mtp4-adaptive-batch$b.json
done
for b in 1 8; do
  $B bench -m $V2LM --load-mode read -p 16 -n 64 --batch $b --mtp 0 --reps 3 -t 2 --json > $OUT/v2lite8mtp-mtp0-batch$b.json
  $B bench -m $V2LM --load-mode read -p 16 -n 64 --batch $b --mtp 4 --oracle-drafts --reps 3 -t 2 --json \
    > $OUT/v2lite8mtp-mtp4-oracle-batch$b.json
  # 起草只算前 8192 个 token 的 logits（省掉每次起草读 419 MB 的输出头）
  $B bench -m $V2LM --load-mode read -p 16 -n 64 --batch $b --mtp 4 --oracle-drafts --mtp-draft-vocab 8192 --reps 3 -t 2 \
    --json > $OUT/v2lite8mtp-mtp4-oracle-dv8192-batch$b.json
done
echo "结果在 $OUT"
