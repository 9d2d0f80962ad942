"""分词器自检：
1. 编码器语义对照真实的 DeepSeek-V3 tokenizer.json 与 HF tokenizers 产生的 cases.jsonl
   （跳过文本里含 added token 的行和依赖 Unicode 16 表的行）：证明预分词与 BPE 合并语义与 HF 相同；
2. 训练出的分词器在留出语料上编码-解码无损。
用法：/usr/bin/python3 -m tools.train.test_tokenizer [训练出的 tokenizer.json] [--work .cache]
"""
import json
import os
import sys

from . import build_corpus
from .tokenizer import Tokenizer

V3_DIR = os.path.join(os.path.dirname(__file__), "../../../shared/fixtures/tokenizer/deepseek-v3")


def check_against_v3():
    tok = Tokenizer.load(os.path.join(V3_DIR, "tokenizer.json"))
    added = [a["content"] for a in json.load(open(os.path.join(V3_DIR, "tokenizer.json")))["added_tokens"]]
    passed = failed = skipped = 0
    for line in open(os.path.join(V3_DIR, "cases.jsonl"), encoding="utf-8"):
        case = json.loads(line)
        if case.get("unicode_sensitive") or case.get("add_bos") or any(a in case["text"] for a in added):
            skipped += 1
            continue
        if tok.encode(case["text"]) == case["ids"]:
            passed += 1
        else:
            failed += 1
            print(f"DeepSeek-V3 case mismatch ({case['category']}): {case['text'][:60]!r}")
    print(f"DeepSeek-V3 cases: {passed} passed, {failed} failed, {skipped} skipped")
    return failed == 0


def check_roundtrip(path, work):
    tok = Tokenizer.load(path)
    blocks = build_corpus.read_split(work, "heldout")
    bad = [src for src, text in blocks if tok.decode(tok.encode(text)) != text]
    print(f"held-out roundtrip: {len(blocks) - len(bad)} of {len(blocks)} blocks lossless")
    return not bad


def main(argv):
    ok = check_against_v3()
    if argv:
        work = argv[argv.index("--work") + 1] if "--work" in argv else ".cache"
        ok &= check_roundtrip(argv[0], work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
