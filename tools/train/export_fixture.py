"""为 C++ 引擎写内置模型的一致性夹具 tests/data/bundled/（格式同 ../shared/fixtures/reference/v3-tiny）。

模型本身不复制：config.json / model.safetensors 在 models/dsinfer-tiny-v3。期望值用 fp32 计算，
权重取自导出的 bf16 文件（读回后升到 fp32），与 C++ 引擎（fp32 计算）的输入完全相同。
用法：/usr/bin/python3 -m tools.train.export_fixture [--model models/dsinfer-tiny-v3] [--out tests/data/bundled]
"""
import argparse
import json
import os

import torch

from . import safetensors_io
from .checkpoint import load_pretrained
from .tokenizer import Tokenizer

# 两条真实文本：7 个 token 的英文（含 BOS）与 20 个 token 的中文（含 BOS）。
# 长度受夹具大小限制（每行 logits 32 KB，整个文件 < 3 MB）。
TEXTS = [("It is a truth universally acknowledged, that a single man", 7),
         ("天下大事，分久必合，合久必分。学而时习之，不亦说乎？有朋自远方来，不亦乐乎？", 20)]
PREFILL = [3, 12]
CHAIN_DEPTHS = 4  # 链式起草深度（引擎最多起草 8 个；这里记录 1..4）


@torch.no_grad()
def chained_drafts(model, hidden, mtp_input_ids, depths, zero_first):
    """预填充之后用（唯一的）MTP 模块链式起草 depths 个 token，同引擎 / vLLM 的做法（docs/spec.md §4.4）：
    第 1 步在位置 0..n-1 上输入 (mtp_input_ids[i], hidden[i])；第 d ≥ 2 步在位置 n+d-2 上输入上一步的
    草稿 token 和上一步最后位置的 MTP 解码层输出（shared_head.norm 之前），注意力看到 MTP 自己的全部历史。
    因果注意力下整段重算等于增量 KV 缓存。返回 (每步最后位置的 logits 列表, 草稿 token 列表)。"""
    tokens, hid = list(mtp_input_ids), hidden
    rows, drafts = [], []
    for _ in range(depths):
        out, normed = model.forward_mtp(hid, torch.tensor([tokens]), 1, zero_first_embedding=zero_first)
        logits = model.logits(normed)[0, -1]
        rows.append(logits)
        drafts.append(int(logits.argmax()))
        tokens.append(drafts[-1])
        hid = torch.cat([hid, out[:, -1:]], dim=1)
    return rows, drafts


@torch.no_grad()
def build(model_dir, out_dir):
    model = load_pretrained(model_dir)
    assert model.cfg.num_nextn_predict_layers == 1, "链式夹具按单个 MTP 模块定义"
    tok = Tokenizer.load(os.path.join(model_dir, "tokenizer.json"))
    sequences = [tok.encode(text, add_bos=True)[:n] for text, n in TEXTS]
    expected, mtp_inputs, draft_ids = {}, [], {"zeroed": [], "nozero": []}
    for k, seq in enumerate(sequences):
        assert len(seq) == TEXTS[k][1], f"文本 {k} 只有 {len(seq)} 个 token"
        hidden = model.forward_main(torch.tensor([seq]))
        logits = model.logits(hidden)[0]
        expected[f"logits_seq{k}"] = logits
        expected[f"hidden_seq{k}"] = hidden[0]
        expected[f"hidden_prenorm_seq{k}"] = model.last_prenorm[0]
        mtp_in = seq[1:] + [int(logits[-1].argmax())]
        mtp_inputs.append(mtp_in)
        for variant, zero in (("zeroed", True), ("nozero", False)):
            tag = "" if zero else "_nozero"
            rows, drafts = chained_drafts(model, hidden, mtp_in, CHAIN_DEPTHS, zero)
            _, normed = model.forward_mtp(hidden, torch.tensor([mtp_in]), 1, zero_first_embedding=zero)
            expected[f"mtp_logits{tag}_seq{k}"] = model.logits(normed)[0]
            for d in range(2, CHAIN_DEPTHS + 1):
                expected[f"mtp_logits{tag}_depth{d}_seq{k}"] = rows[d - 1][None]
            draft_ids[variant].append(drafts)
    os.makedirs(out_dir, exist_ok=True)
    safetensors_io.save(os.path.join(out_dir, "expected.safetensors"),
                        {name: t.float().contiguous() for name, t in expected.items()})
    spec = {
        "model": os.path.relpath(model_dir, out_dir),
        "sequences": sequences,
        "decode_prefill_lengths": PREFILL,
        "mtp_input_ids": mtp_inputs,
        "mtp_draft_ids": draft_ids["zeroed"],
        "mtp_draft_ids_nozero": draft_ids["nozero"],
        "texts": [text for text, _ in TEXTS],
        "expected": "expected.safetensors",
    }
    with open(os.path.join(out_dir, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
        f.write("\n")
    return spec


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/dsinfer-tiny-v3")
    parser.add_argument("--out", default="tests/data/bundled")
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = build(args.model, args.out)
    print(f"wrote {args.out}: sequences of {[len(s) for s in spec['sequences']]} tokens")


if __name__ == "__main__":
    main()
