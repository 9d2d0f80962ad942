#!/usr/bin/env bash
# 生成分词基准语料（约 3 MB，中英文与代码混合）：本机 Debian 包里的文本，不提交语料本身。
# 中文：/usr/share/locale/zh_CN 下各 .mo 的译文；英文：/usr/share/doc 的 copyright/README；代码：本仓库 src/ 与 /usr/include。
# 输出 OUT.jsonl：每行 {"text": 约 4 KB 的一段}，供 bench/tokenizer/hf_bench.mjs 与 tokenizer_bench 共用。
# 用法：tools/tokenizer/make_bench_corpus.sh /tmp/bench_corpus.jsonl
set -eu  # 不用 pipefail：head 提前关闭管道是预期行为
out=${1:?用法: make_bench_corpus.sh OUT.jsonl}
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for mo in $(ls /usr/share/locale/zh_CN/LC_MESSAGES/*.mo | sort); do
  msgunfmt "$mo" 2>/dev/null | sed -n 's/^msgstr "\(.*\)"$/\1/p' | grep -v '^$' || true
done | head -c 1000000 > "$tmp/zh.txt"
find /usr/share/doc -maxdepth 2 \( -name copyright -o -name 'README*' \) -type f ! -name '*.gz' | sort |
  xargs cat 2>/dev/null | head -c 1000000 > "$tmp/en.txt"
{ find "$repo/src" -name '*.cpp' -o -name '*.h' | sort | xargs cat
  find /usr/include/c++/12/bits -name '*.h' | sort | xargs cat; } | head -c 1000000 > "$tmp/code.txt"
python3 - "$tmp" "$out" <<'PY'
import json, sys
tmp, out = sys.argv[1], sys.argv[2]
parts = [open(f"{tmp}/{n}.txt", encoding="utf-8", errors="replace").read() for n in ("zh", "en", "code")]
chunks = []
for text in parts:
    for i in range(0, len(text), 4096):
        chunks.append(text[i:i + 4096])
# 三类交错排列，使每段时间内的负载都是混合的。
order = sorted(range(len(chunks)), key=lambda i: (i * 7919) % len(chunks))
with open(out, "w", encoding="utf-8") as f:
    for i in order:
        f.write(json.dumps({"text": chunks[i]}, ensure_ascii=False) + "\n")
total = sum(len(c.encode()) for c in chunks)
print(f"{out}: {len(chunks)} 段, {total / 1e6:.2f} MB")
PY
