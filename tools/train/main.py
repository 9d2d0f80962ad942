"""一条命令从零训练内置模型：语料 → 分词器 → 分词 → 训练 → 导出 → 评估 → 样例 → 夹具 → 报告。

用法（仓库根目录）：bash tools/train/train.sh [--preset full|smoke] [--out DIR] [--report FILE] [--fixture DIR]
各阶段的中间结果缓存在 --work（默认 .cache/）里，已有则跳过；训练本身每次重做。
"""
import argparse
import json
import os
import platform
import shutil
import sys
import time

import numpy as np
import torch

from . import build_corpus, checkpoint, evaluate, export_fixture, sample, tokenizer, train
from .model import ModelConfig

ROPE_SCALING = {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 512,
                "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}

# 模型形状：MoE 为主（32 个路由专家、每 token 激活 2 个 + 1 个共享专家），bf16 文件含 MTP 的嵌入/输出头副本 ≤ 40 MB
PRESETS = {
    "full": {
        "model": dict(vocab_size=8192, hidden_size=256, intermediate_size=768, moe_intermediate_size=96,
                      num_hidden_layers=4, num_attention_heads=4, q_lora_rank=128, kv_lora_rank=64,
                      qk_nope_head_dim=32, qk_rope_head_dim=16, v_head_dim=32, n_routed_experts=32,
                      n_shared_experts=1, num_experts_per_tok=2, n_group=4, topk_group=2,
                      first_k_dense_replace=1, routed_scaling_factor=2.5, num_nextn_predict_layers=1,
                      max_position_embeddings=2048, rope_scaling=ROPE_SCALING),
        "train": dict(seed=1234, steps=1500, batch_size=32, seq_len=512, lr=2e-3, warmup_steps=100,
                      min_lr_ratio=0.1, weight_decay=0.1, grad_clip=1.0, mtp_depths=3, mtp_lambda=0.3,
                      bias_update_speed=0.01, seq_balance_alpha=0.0, bf16=True, log_every=10, eval_every=50),
    },
    # 冒烟测试：几分钟内跑通全部阶段
    "smoke": {
        "model": dict(vocab_size=1024, hidden_size=64, intermediate_size=128, moe_intermediate_size=32,
                      num_hidden_layers=2, num_attention_heads=2, q_lora_rank=32, kv_lora_rank=32,
                      qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16, n_routed_experts=8,
                      n_shared_experts=1, num_experts_per_tok=2, n_group=4, topk_group=2,
                      first_k_dense_replace=1, routed_scaling_factor=2.5, num_nextn_predict_layers=1,
                      max_position_embeddings=2048, rope_scaling=ROPE_SCALING),
        "train": dict(seed=1234, steps=20, batch_size=4, seq_len=128, lr=2e-3, warmup_steps=5,
                      min_lr_ratio=0.1, weight_decay=0.1, grad_clip=1.0, mtp_depths=3, mtp_lambda=0.3,
                      bias_update_speed=0.002, seq_balance_alpha=0.0, bf16=True, log_every=5, eval_every=10),
    },
}

PROMPTS = ["天下大事，分久必合", "It is a truth universally acknowledged", "床前明月光，", "And God said,",
           "人之初，", "A hacker is"]
GENERATION_CONFIG = {"_from_model_config": True, "bos_token_id": 0, "eos_token_id": 1, "do_sample": True,
                     "temperature": 0.7, "top_p": 0.95}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def stage_tokenizer(work, vocab_size):
    folder = os.path.join(work, f"tokenizer-{vocab_size}")
    if not os.path.exists(os.path.join(folder, "tokenizer.json")):
        log(f"training BPE tokenizer, vocab {vocab_size}")
        texts = [t for _, t in build_corpus.read_split(work, "train")]
        vocab, merges = tokenizer.train(texts, vocab_size, log=log)
        os.makedirs(folder, exist_ok=True)
        tokenizer.write_hf_files(folder, vocab, merges, model_max_length=2048)
    return folder


def stage_tokenize(work, tok_dir, vocab_size):
    """每个文档块编码成 [BOS] + ids，拼成一条 uint16 流；顺带检查留出集编码-解码无损。"""
    folder = os.path.join(work, f"tokens-{vocab_size}")
    stats_path = os.path.join(folder, "stats.json")
    if not os.path.exists(stats_path):
        tok = tokenizer.Tokenizer.load(os.path.join(tok_dir, "tokenizer.json"))
        os.makedirs(folder, exist_ok=True)
        stats = {}
        for split in ("train", "heldout"):
            stream, per_source, lossless = [], {}, True
            for source, text in build_corpus.read_split(work, split):
                ids = tok.encode(text)
                lossless &= split == "train" or tok.decode(ids) == text
                per_source[source] = per_source.get(source, 0) + len(ids) + 1
                stream += [tok.bos_id] + ids
            np.save(os.path.join(folder, f"{split}.npy"), np.array(stream, dtype=np.uint16))
            stats[split] = {"tokens": len(stream), "per_source": per_source}
            if split == "heldout":
                stats[split]["roundtrip_lossless"] = lossless
            log(f"tokenized {split}: {len(stream)} tokens")
        json.dump(stats, open(stats_path, "w"), indent=1)
    load = lambda split: np.load(os.path.join(folder, f"{split}.npy"))
    return load("train"), load("heldout"), json.load(open(stats_path))


def parameter_counts(model):
    """总参数（文件里的张量，含 MTP 的嵌入/输出头副本）与每 token 激活参数（主模型，不含嵌入查表）。"""
    cfg = model.cfg
    tensors = checkpoint.to_hf_tensors(model)
    total = sum(t.numel() for t in tensors.values())
    main = sum(t.numel() for n, t in tensors.items()
               if not any(n.startswith(f"model.layers.{cfg.num_hidden_layers + k}.")
                          for k in range(cfg.num_nextn_predict_layers)))
    expert = 3 * cfg.hidden_size * cfg.moe_intermediate_size
    n_moe = cfg.num_hidden_layers - cfg.first_k_dense_replace
    inactive = n_moe * (cfg.n_routed_experts - cfg.num_experts_per_tok) * expert
    embed = cfg.vocab_size * cfg.hidden_size
    return {"total_in_file": total, "main_model": main, "mtp_layer_with_copies": total - main,
            "active_per_token_main": main - inactive - embed}


def run(args):
    preset = PRESETS[args.preset]
    hp = dict(preset["train"])
    if args.steps:
        hp["steps"] = args.steps
    if args.batch_size:
        hp["batch_size"] = args.batch_size
    hp["seq_balance_alpha"] = args.seq_balance_alpha
    cfg = ModelConfig(**preset["model"])
    torch.set_num_threads(args.threads)
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    t0 = time.time()

    manifest = build_corpus.build(args.work, os.path.join(os.path.dirname(__file__), "corpus_manifest.json"))
    tok_dir = stage_tokenizer(args.work, cfg.vocab_size)
    train_tokens, heldout_tokens, token_stats = stage_tokenize(args.work, tok_dir, cfg.vocab_size)
    if args.data_only:
        return
    os.makedirs(args.out, exist_ok=True)
    run_dir = os.path.join(args.work, "runs", os.path.normpath(args.out).replace(os.sep, "_"))  # 损失记录、fp32 权重
    os.makedirs(run_dir, exist_ok=True)
    log(f"training {args.preset}: {hp}")
    model, history, train_seconds = train.train(cfg, hp, train_tokens, heldout_tokens,
                                                os.path.join(run_dir, "history.json"), device, log=log)
    torch.save(model.state_dict(), os.path.join(run_dir, "model_fp32.pt"))

    checkpoint.save_pretrained(model, args.out, GENERATION_CONFIG)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok_dir, name), os.path.join(args.out, name))
    shipped = checkpoint.load_pretrained(args.out)  # 以下数字都在导出的 bf16 权重上测
    log("evaluating exported weights on held-out text")
    metrics = evaluate.evaluate(shipped, heldout_tokens, hp["seq_len"], hp["mtp_depths"])
    metrics["unigram_ppl"] = evaluate.unigram_perplexity(
        train_tokens, evaluate.heldout_targets(heldout_tokens, hp["seq_len"], hp["mtp_depths"]), cfg.vocab_size)
    log(f"metrics {json.dumps(metrics)}")
    tok = tokenizer.Tokenizer.load(os.path.join(args.out, "tokenizer.json"))
    samples = []
    for prompt in PROMPTS:
        for mode, kw in (("greedy", {}), ("sampled T=0.7 top-k 40 seed 0", dict(temperature=0.7, top_k=40))):
            samples.append({"prompt": prompt, "mode": mode,
                            "text": sample.generate(shipped, tok, prompt, 48, **kw)})
            log(f"sample {mode}: {prompt}{samples[-1]['text']!r}")
    if args.fixture:
        export_fixture.build(args.out, args.fixture)
        log(f"fixture written to {args.fixture}")

    report = {
        "command": args.command_line, "preset": args.preset, "threads": args.threads, "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor(),
        "torch": torch.__version__, "python": platform.python_version(), "machine": platform.processor() or platform.machine(),
        "model_config": checkpoint.hf_config(cfg), "train_hparams": hp,
        "parameters": parameter_counts(shipped),
        "file_bytes": {n: os.path.getsize(os.path.join(args.out, n)) for n in sorted(os.listdir(args.out))},
        "corpus": {"manifest": manifest, "tokens": token_stats},
        "train_seconds": round(train_seconds, 1), "total_seconds": round(time.time() - t0, 1),
        "history": history, "heldout": metrics, "samples": samples,
    }
    if args.report:
        os.makedirs(os.path.dirname(args.report) or ".", exist_ok=True)
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=1)
            f.write("\n")
    log(f"done in {report['total_seconds']} s")


def main():
    parser = argparse.ArgumentParser(description="训练 dsinfer 内置的 DeepSeek-V3 架构小模型（含 MTP）")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full")
    parser.add_argument("--out", default="models/dsinfer-tiny-v3", help="导出的 HF 模型目录")
    parser.add_argument("--work", default=".cache", help="缓存目录（.deb、语料、分词结果）")
    parser.add_argument("--report", default="", help="写训练/评估报告 JSON 的路径")
    parser.add_argument("--fixture", default="", help="写 C++ 一致性夹具的目录（如 tests/data/bundled）")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU 线程数（数字按 1 线程复现）")
    parser.add_argument("--device", default="auto", help="训练设备：auto（有 GPU 用 cuda）、cpu、cuda")
    parser.add_argument("--steps", type=int, default=0, help="覆盖预设的训练步数")
    parser.add_argument("--batch-size", type=int, default=0, help="覆盖预设的批大小（序列数）")
    parser.add_argument("--seq-balance-alpha", type=float, default=0.0, help="序列级均衡损失系数 α（0 = 关）")
    parser.add_argument("--data-only", action="store_true", help="只做语料、分词器、分词三个阶段")
    args = parser.parse_args()
    args.command_line = "bash tools/train/train.sh " + " ".join(sys.argv[1:])
    run(args)


if __name__ == "__main__":
    main()
