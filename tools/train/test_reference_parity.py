"""本 PyTorch 模型对官方参考夹具的一致性（证明数学、张量名与加载都对）。

用法：/usr/bin/python3 -m tools.train.test_reference_parity [夹具目录 ...]
默认检查 ../shared/fixtures/reference/v3-tiny 与 v3-tiny-bf16：logits、norm 后隐状态、
MTP logits（位置 0 嵌入置零 / 不置零）逐元素误差 ≤ 1e-4。
"""
import json
import os
import sys

import torch

from . import safetensors_io
from .checkpoint import load_pretrained

ATOL = 1e-4
DEFAULT = [os.path.join(os.path.dirname(__file__), "../../../shared/fixtures/reference", name)
           for name in ("v3-tiny", "v3-tiny-bf16")]


@torch.no_grad()
def outputs_for(model, tokens, mtp_tokens):
    """一条序列的全部对照量（全部 fp32）。"""
    ids = torch.tensor([tokens])
    hidden = model.forward_main(ids)
    out = {"logits": model.logits(hidden)[0], "hidden": hidden[0], "hidden_prenorm": model.last_prenorm[0]}
    if model.cfg.num_nextn_predict_layers:
        nxt = torch.tensor([mtp_tokens])
        for key, zero in (("mtp_logits", True), ("mtp_logits_nozero", False)):
            _, normed = model.forward_mtp(hidden, nxt, 1, zero_first_embedding=zero)
            out[key] = model.logits(normed)[0]
    return out


def check(fixture):
    model = load_pretrained(fixture)
    spec = json.load(open(os.path.join(fixture, "tokens.json")))
    expected, _ = safetensors_io.load(os.path.join(fixture, "expected.safetensors"))
    worst = 0.0
    for k, tokens in enumerate(spec["sequences"]):
        got = outputs_for(model, tokens, (spec.get("mtp_input_ids") or [None] * (k + 1))[k])
        for key, value in got.items():
            name = f"{key}_seq{k}"
            if name not in expected:
                continue
            err = (value - expected[name].float()).abs().max().item()
            worst = max(worst, err)
            status = "ok" if err <= ATOL else "FAIL"
            print(f"{os.path.basename(fixture)} {name}: max |Δ| = {err:.2e} {status}")
    return worst


def main(argv):
    fixtures = argv or DEFAULT
    worst = max(check(f) for f in fixtures)
    print(f"worst max |Δ| = {worst:.2e} (atol {ATOL})")
    return 0 if worst <= ATOL else 1


if __name__ == "__main__":
    torch.set_num_threads(1)
    sys.exit(main(sys.argv[1:]))
