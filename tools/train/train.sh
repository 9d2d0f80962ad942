#!/bin/bash
# 训练内置模型的唯一入口：bash tools/train/train.sh [参数见 python3 -m tools.train.main --help]
# glibc 默认把大块内存直接 mmap 并在释放时还给系统，每步几百 MB 的 logits 都要重新缺页，
# 在本项目的虚拟机上这会让训练慢一倍以上：关掉 mmap 分配、不收缩堆，让内存复用。
set -euo pipefail
cd "$(dirname "$0")/../.."
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=100000000000 MALLOC_TOP_PAD_=1000000000
# PYTHON：装有 PyTorch 的解释器；默认 Debian 的 python3-torch 所在的 /usr/bin/python3
exec "${PYTHON:-/usr/bin/python3}" -m tools.train.main "$@"
