"""训练循环：主头交叉熵 + V3 报告的 MTP 损失（λ/D·Σ_k CE_k，单个 MTP 模块权重共享地链到深度 D），
每步之后的无辅助损失负载均衡（更新 e_score_correction_bias），可选的序列级均衡损失。

数据：分词后的 uint16 token 流（每个文档块以 BOS 开头）；每个样本是随机起点的 T + D + 1 个 token 窗口，
主模型看前 T 个，深度 k 的 MTP 在位置 i 用 t_{i+k} 的嵌入、预测 t_{i+k+1}。
"""
import json
import math
import time

import numpy as np
import torch

from .model import DeepseekV3


def mtp_chain(model, hidden, window, T, depths, seq_balance_alpha=0.0):
    """教师强制地链式计算深度 1..depths 的 MTP logits 输入。返回 [(depth, normed, targets)]。"""
    out, prev = [], hidden
    for k in range(1, depths + 1):
        block_out, normed = model.forward_mtp(prev, window[:, k:k + T], k, seq_balance_alpha=seq_balance_alpha)
        out.append((k, normed, window[:, k + 1:k + 1 + T]))
        prev = block_out  # 下一深度的隐状态输入：本深度解码层输出（shared_head.norm 之前）
    return out


def cross_entropy(logits, targets):
    """在 logits 自身的精度里做 log_softmax（autocast 下是 bf16）：Debian 的 CPU torch 上 fp32 的
    log_softmax 比 bf16 慢约 10 倍，而词表 softmax 是训练的主要开销；取出的对数概率再转 fp32 求平均。"""
    with torch.autocast(logits.device.type, enabled=False):
        logp = logits.log_softmax(-1)
        return -logp.gather(-1, targets[..., None]).float().mean()


def losses(model, window, T, depths, seq_balance_alpha=0.0):
    """window [B, T + depths + 1] → (主 CE, [各深度 CE])。"""
    hidden = model.forward_main(window[:, :T], seq_balance_alpha)
    main = cross_entropy(model.logits(hidden), window[:, 1:T + 1])
    mtp = [cross_entropy(model.logits(normed), target)
           for _, normed, target in mtp_chain(model, hidden, window, T, depths, seq_balance_alpha)]
    return main, mtp


def update_routing_bias(model, gamma):
    """无辅助损失均衡（V3 报告 §2.1.2）：过载专家偏置减 γ，欠载加 γ；负载计数清零。
    返回各 MoE 层本步的 最大负载 / 平均负载（1.0 = 完全均衡）。"""
    ratios = []
    for moe in model.moe_layers():
        load = moe.load
        ratios.append((load.max() / load.mean()).item())
        moe.e_score_correction_bias += gamma * torch.sign(load.mean() - load)
        moe.load.zero_()
    return ratios


def lr_at(step, hp):
    if step < hp["warmup_steps"]:
        return hp["lr"] * (step + 1) / hp["warmup_steps"]
    progress = (step - hp["warmup_steps"]) / max(1, hp["steps"] - hp["warmup_steps"])
    return hp["lr"] * (hp["min_lr_ratio"] + (1 - hp["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(model, hp):
    # 矩阵做权重衰减；归一化权重不衰减
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=hp["lr"], betas=(0.9, 0.95), eps=1e-8)


def sample_batch(rng, tokens, batch, length):
    starts = rng.integers(0, len(tokens) - length, size=batch)
    return torch.from_numpy(np.stack([tokens[s:s + length] for s in starts]).astype(np.int64))


@torch.no_grad()
def quick_heldout_loss(model, heldout, hp, n_windows=16):
    """训练中的留出集损失（固定的前 n 个窗口，便于画损失曲线）。"""
    T, depths = hp["seq_len"], hp["mtp_depths"]
    length = T + depths + 1
    windows = torch.from_numpy(np.stack([heldout[i * T:i * T + length] for i in range(n_windows)]).astype(np.int64))
    device = next(model.parameters()).device
    model.eval()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=hp["bf16"]):
        main, mtp = losses(model, windows.to(device), T, depths)
    model.train()
    return main.item(), [m.item() for m in mtp]


def train(cfg, hp, train_tokens, heldout_tokens, log_path, device, log=print):
    """返回训练好的 fp32 模型（已移回 CPU）与损失记录。初始化与取样在 CPU 上做，CPU 与 GPU 起点相同。"""
    torch.manual_seed(hp["seed"])
    rng = np.random.default_rng(hp["seed"])
    model = DeepseekV3(cfg)
    model.init_weights(hp["seed"])
    model.to(device)
    model.train()
    optimizer = make_optimizer(model, hp)
    T, depths, B = hp["seq_len"], hp["mtp_depths"], hp["batch_size"]
    history, start = [], time.time()
    for step in range(hp["steps"]):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, hp)
        window = sample_batch(rng, train_tokens, B, T + depths + 1).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=hp["bf16"]):
            main, mtp = losses(model, window, T, depths, hp["seq_balance_alpha"])
            loss = main + hp["mtp_lambda"] / depths * sum(mtp)
            if hp["seq_balance_alpha"] > 0:
                loss = loss + hp["seq_balance_alpha"] * sum(m.balance_loss for m in model.moe_layers())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), hp["grad_clip"])
        optimizer.step()
        with torch.no_grad():
            load_ratios = update_routing_bias(model, hp["bias_update_speed"])
        if step % hp["log_every"] == 0 or step == hp["steps"] - 1:
            record = {"step": step, "elapsed_s": round(time.time() - start, 1), "lr": lr_at(step, hp),
                      "train_main": round(main.item(), 4), "train_mtp": [round(m.item(), 4) for m in mtp],
                      "max_load_ratio": [round(r, 2) for r in load_ratios]}
            if step % hp["eval_every"] == 0 or step == hp["steps"] - 1:
                held_main, held_mtp = quick_heldout_loss(model, heldout_tokens, hp)
                record.update(heldout_main=round(held_main, 4), heldout_mtp=[round(m, 4) for m in held_mtp])
            history.append(record)
            log(json.dumps(record))
            with open(log_path, "w") as f:
                json.dump(history, f, indent=1)
    return model.cpu(), history, time.time() - start
