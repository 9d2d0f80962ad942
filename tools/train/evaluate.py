"""留出集评估：主头困惑度与 top-1 准确率、各 MTP 深度的 top-1 准确率（教师强制）、同一文本的一元模型困惑度。

在导出的 bf16 权重（升到 fp32）上以 fp32 计算，数字即所发布模型的数字。
留出 token 流按步长 T 切成窗口 [s, s + T + D + 1)：主头预测 s+1..s+T；深度 k 在位置 i 用真实的 t_{i+k}
作嵌入输入、预测 t_{i+k+1}（链式：深度 k 的隐状态输入是深度 k-1 的解码层输出）。
"""
import math

import numpy as np
import torch

from .train import mtp_chain


def unigram_perplexity(train_tokens, heldout_targets, vocab_size):
    """训练集 token 频率（加一平滑）在留出 token 上的困惑度。"""
    counts = np.bincount(train_tokens, minlength=vocab_size).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return float(math.exp(-logp[heldout_targets].mean()))


@torch.no_grad()
def evaluate(model, heldout, seq_len, depths, batch=4):
    """返回 {main_ppl, main_loss, main_top1, mtp_top1: [..], mtp_loss: [..], tokens}。"""
    model.eval()
    length = seq_len + depths + 1
    starts = list(range(0, len(heldout) - length + 1, seq_len))
    nll, correct = 0.0, 0
    mtp_nll, mtp_correct = [0.0] * depths, [0] * depths
    n = 0
    for b in range(0, len(starts), batch):
        window = torch.from_numpy(np.stack([heldout[s:s + length] for s in starts[b:b + batch]]).astype(np.int64))
        hidden = model.forward_main(window[:, :seq_len])
        logp = model.logits(hidden).float().log_softmax(-1)
        target = window[:, 1:seq_len + 1]
        nll -= logp.gather(-1, target[..., None]).sum().item()
        correct += (logp.argmax(-1) == target).sum().item()
        n += target.numel()
        for k, normed, tgt in mtp_chain(model, hidden, window, seq_len, depths):
            lp = model.logits(normed).float().log_softmax(-1)
            mtp_nll[k - 1] -= lp.gather(-1, tgt[..., None]).sum().item()
            mtp_correct[k - 1] += (lp.argmax(-1) == tgt).sum().item()
    return {
        "tokens": n,
        "main_loss": nll / n,
        "main_ppl": math.exp(nll / n),
        "main_top1": correct / n,
        "mtp_loss": [x / n for x in mtp_nll],
        "mtp_top1": [x / n for x in mtp_correct],
    }


def heldout_targets(heldout, seq_len, depths):
    """evaluate() 里主头预测的那些 token（算一元困惑度用同一批）。"""
    length = seq_len + depths + 1
    starts = range(0, len(heldout) - length + 1, seq_len)
    return np.concatenate([heldout[s + 1:s + seq_len + 1] for s in starts])
