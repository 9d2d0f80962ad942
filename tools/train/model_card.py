"""由训练报告生成模型卡 models/README.md（中文）：所有数字都取自报告 JSON，即训练命令实测的结果。

用法：/usr/bin/python3 -m tools.train.model_card tools/train/results/shipped.json \
          tools/train/results/reproduction.json > models/README.md
"""
import json
import math
import sys

LICENSES = {
    "en/kjv-bible": ("bible-kjv-text 4.38（导出程序来自 bible-kjv）", "KJV 文本属公有领域；软件包 GPL-2+"),
    "en/jane-austen": ("r-cran-janeaustenr 1.0.0-1", "小说属公有领域；软件包 MIT"),
    "en/fortunes": ("fortunes 1:1.99.1-7.3（除 ascii-art）", "BSD（fortune-mod）；引语来源不一"),
    "en/jargon": ("jargon-text 4.4.7-4.1", "公有领域"),
    "en/devils-dictionary": ("dict-devil 1.0-13.1", "公有领域（Bierce 1911）"),
    "zh/manpages-zh": ("manpages-zh 1.6.4.0-1（zh_CN）", "GFDL-1.2+（少数页面 GPL-2）"),
    "zh/fortunes-zh": ("fortunes-zh 2.98（唐诗三百首、宋词一百首、谚语与古文）", "GPL-3+"),
    "zh/debian-handbook": ("debian-handbook 11.20220922（zh-CN HTML）", "GPL-2+ 或 CC-BY-SA-3.0"),
    "zh/debian-reference": ("debian-reference-zh-cn 2.100", "GPL-2+"),
    "zh/debian-faq": ("debian-faq-zh-cn 11.1", "SPI 许可（允许原样或修改后复制）"),
    "zh/maint-guide": ("maint-guide-zh-cn 1.2.53", "GPL-2+ / MIT"),
}


def hardware(rep):
    if rep.get("device", "cpu").startswith("cuda"):
        return f"1 块 {rep['device_name']} GPU（训练）"
    return f"CPU（{rep.get('device_name') or rep['machine']}）"


def pct(x):
    return f"{100 * x:.1f}%"


def corpus_table(rep):
    src = rep["corpus"]["manifest"]["sources"]
    tokens = rep["corpus"]["tokens"]
    lines = ["| 来源 | 软件包 | 许可 | 训练 MB | 训练 token | 留出 MB | 留出 token |", "|---|---|---|---|---|---|---|"]
    tot = [0, 0, 0, 0]
    for name, entry in src.items():
        pkg, lic = LICENSES[name]
        tr, ho = entry["train"]["bytes"], entry["heldout"]["bytes"]
        ttr = tokens["train"]["per_source"].get(name, 0)
        tho = tokens["heldout"]["per_source"].get(name, 0)
        tot = [tot[0] + tr, tot[1] + ttr, tot[2] + ho, tot[3] + tho]
        lines.append(f"| {name} | {pkg} | {lic} | {tr / 1e6:.2f} | {ttr:,} | {ho / 1e6:.3f} | {tho:,} |")
    lines.append(f"| **合计** | | | **{tot[0] / 1e6:.2f}** | **{tot[1]:,}** | **{tot[2] / 1e6:.3f}** | **{tot[3]:,}** |")
    return "\n".join(lines)


def loss_table(rep, every=100):
    lines = ["| 步 | 学习率 | 训练损失（主头） | 训练损失 MTP 深度 1/2/3 | 留出损失（主头） | 留出损失 MTP 深度 1/2/3 | 最忙专家负载 / 平均（各 MoE 层） |",
             "|---|---|---|---|---|---|---|"]
    for r in rep["history"]:
        if "heldout_main" not in r or (r["step"] % every and r["step"] != rep["history"][-1]["step"]):
            continue
        lines.append(f"| {r['step']} | {r['lr']:.2e} | {r['train_main']:.3f} | "
                     f"{' / '.join(f'{x:.3f}' for x in r['train_mtp'])} | {r['heldout_main']:.3f} | "
                     f"{' / '.join(f'{x:.3f}' for x in r['heldout_mtp'])} | {' / '.join(f'{x:.1f}' for x in r['max_load_ratio'])} |")
    return "\n".join(lines)


def metrics_table(shipped, repro):
    def row(label, f):
        return f"| {label} | {f(shipped['heldout'])} | {f(repro['heldout'])} |"
    depths = len(shipped["heldout"]["mtp_top1"])
    lines = ["| 指标（留出集） | 发布的模型 | 复现运行 |", "|---|---|---|",
             row("评估 token 数", lambda m: f"{m['tokens']:,}"),
             row("主头交叉熵（nats/token）", lambda m: f"{m['main_loss']:.4f}"),
             row("**主头困惑度**", lambda m: f"**{m['main_ppl']:.2f}**"),
             row("同一文本的一元模型困惑度", lambda m: f"{m['unigram_ppl']:.1f}"),
             row("主头 top-1 准确率", lambda m: pct(m["main_top1"]))]
    for d in range(depths):
        lines.append(row(f"**MTP 深度 {d + 1} top-1**（预测 t+{d + 2}）", lambda m, d=d: f"**{pct(m['mtp_top1'][d])}**"))
        lines.append(row(f"MTP 深度 {d + 1} 交叉熵", lambda m, d=d: f"{m['mtp_loss'][d]:.4f}"))
    lines.append(f"| 训练用时（秒） | {shipped['train_seconds']} | {repro['train_seconds']} |")
    lines.append(f"| 整条命令用时（秒） | {shipped['total_seconds']} | {repro['total_seconds']} |")
    return "\n".join(lines)


def samples_block(rep):
    out = []
    for s in rep["samples"]:
        text = (s["prompt"] + s["text"]).replace("\n", "⏎")
        out.append(f"- **{s['mode']}** — 「{text}」")
    return "\n".join(out)


def render(shipped, repro):
    cfg, hp, params = shipped["model_config"], shipped["train_hparams"], shipped["parameters"]
    size = shipped["file_bytes"]["model.safetensors"]
    m = shipped["heldout"]
    bytes_per_token = sum(e["heldout"]["bytes"] for e in shipped["corpus"]["manifest"]["sources"].values()) / \
        shipped["corpus"]["tokens"]["heldout"]["tokens"]
    tokens_seen = hp["steps"] * hp["batch_size"] * hp["seq_len"]
    identical = shipped["heldout"] == repro["heldout"]
    repro_note = ("两次运行的留出集数字**逐位相同**（同种机器、固定种子：初始化与取样在 CPU 上做，GPU 上的训练也是确定性的）。"
                  if identical else "两次运行的数字差异见上表。")
    target = "达到" if m["mtp_top1"][0] >= 0.40 else "**未达到**"
    return f"""# dsinfer-tiny-v3：内置的 DeepSeek-V3 架构小模型

`dsinfer-tiny-v3` 是 dsinfer 的默认模型（`make run` 用它续写中文与英文）。它在本仓库里用
`tools/train/` 从零训练，结构与 DeepSeek-V3 完全相同（MLA、sigmoid + 偏置路由的 MoE、共享专家、
前 1 层稠密、YaRN、1 个 MTP 模块），文件是真实的 Hugging Face 格式（`DeepseekV3ForCausalLM`），
张量名与真实 V3 检查点一致。它只是一个演示与测试用的小模型：能写出可辨认的中英文句子，但不会回答问题。

## 文件

| 文件 | 大小（字节） |
|---|---|
""" + "\n".join(f"| `{n}` | {b:,} |" for n, b in shipped["file_bytes"].items()) + f"""

`model.safetensors` 为 BF16（`mlp.gate.e_score_correction_bias` 为 F32，同 V3），单文件 {size / 1e6:.1f} MB，
其中包括 MTP 层（`model.layers.{cfg['num_hidden_layers']}`）里主模型嵌入与输出头的副本
（`embed_tokens.weight`、`shared_head.head.weight`，同真实 V3 检查点）。

## 结构与参数量

| 项 | 值 |
|---|---|
| 架构 | `DeepseekV3ForCausalLM` / `deepseek_v3` |
| 词表 | {cfg['vocab_size']}（字节级 BPE，BOS = 0，EOS = 1） |
| 隐藏维 / 层数 | {cfg['hidden_size']} / {cfg['num_hidden_layers']}（第 0 层稠密 FFN {cfg['intermediate_size']}，其余 MoE）+ {cfg['num_nextn_predict_layers']} 个 MTP 层 |
| MLA | {cfg['num_attention_heads']} 头，q_lora_rank {cfg['q_lora_rank']}，kv_lora_rank {cfg['kv_lora_rank']}，qk_nope {cfg['qk_nope_head_dim']}，qk_rope {cfg['qk_rope_head_dim']}，v {cfg['v_head_dim']} |
| MoE | {cfg['n_routed_experts']} 个路由专家（{cfg['n_group']} 组，选 {cfg['topk_group']} 组，每 token {cfg['num_experts_per_tok']} 个）+ {cfg['n_shared_experts']} 个共享专家，moe_intermediate {cfg['moe_intermediate_size']}，sigmoid + `noaux_tc`，norm_topk_prob，routed_scaling_factor {cfg['routed_scaling_factor']} |
| 位置编码 | RoPE θ={cfg['rope_theta']:g}，YaRN factor {cfg['rope_scaling']['factor']}，original {cfg['rope_scaling']['original_max_position_embeddings']}，max_position_embeddings {cfg['max_position_embeddings']}；训练长度 {hp['seq_len']} |
| 文件中的参数总数 | {params['total_in_file']:,}（主模型 {params['main_model']:,}，MTP 层含嵌入/输出头副本 {params['mtp_layer_with_copies']:,}） |
| 每 token 激活参数（主模型，不含嵌入查表） | {params['active_per_token_main']:,} |

## 语料

全部来自 Debian 12 main 的软件包，`apt-get download` 后 `dpkg-deb -x` 解包抽取（不安装），
方法见 `docs/training.md` 与 `../shared/corpus.md`。每个来源切成 ≥1500 字符的文档块，
每 50 块的第 50 块进留出集（确定性）。清单与 sha256：`tools/train/corpus_manifest.json`。
文本本身不进 git，训练命令会重新下载构建。

{corpus_table(shipped)}

留出集平均 {bytes_per_token:.2f} 字节/token。

## 分词器

字节级 BPE，词表 {cfg['vocab_size']}（7 个特殊 token + 256 个字节 + 合并），在训练集上训练。
预分词与 DeepSeek-V3 的 `tokenizer.json` 逐字相同（`Split` 正则 ×3 + `ByteLevel`），解码器 ByteLevel；
特殊 token：`<｜begin▁of▁sentence｜>`（0）、`<｜end▁of▁sentence｜>`（1）、`<｜▁pad▁｜>`、`<｜User｜>`、
`<｜Assistant｜>`、`<think>`、`</think>`。`tokenizer_config.json`：`add_bos_token: true`，DeepSeek-V3 家族的聊天模板。
留出集逐块编码-解码无损；Python 编码器在 DeepSeek-V3 的 242 条分词用例上与 HF tokenizers 逐 id 一致，
dsinfer 的 C++ 分词器在留出集上与 Python 编码器逐 id 一致。

## 训练

- 硬件：{hardware(shipped)}，PyTorch {shipped['torch']}，bf16 autocast；评估与样例在 CPU 上（{shipped['threads']} 个线程）。
  同一条命令没有 GPU 时在 CPU 上训练（Debian 的 `python3-torch`），数值路径相同，但慢得多：按早先在 2 核虚拟机上
  8 × 512 批次实测的 2.5–3.5 秒/步推算，32 × 512 批次的 1500 步约需 4–6 小时（未实测）。
- 训练用时 {shipped['train_seconds'] / 60:.0f} 分钟（整条命令 {shipped['total_seconds'] / 60:.0f} 分钟，含语料、分词、评估、样例）；
  {hp['steps']} 步 × {hp['batch_size']} × {hp['seq_len']} = {tokens_seen:,} 个位置（约 {tokens_seen / shipped['corpus']['tokens']['train']['tokens']:.2f} 遍训练集）。
- 损失：`CE_main + λ/D · Σ_k CE_k`，λ = {hp['mtp_lambda']}，D = {hp['mtp_depths']}：唯一的 MTP 模块权重共享地链到深度 {hp['mtp_depths']}
  （深度 k 输入真实 token t_{{i+k}} 的嵌入与上一深度的隐状态，预测 t_{{i+k+1}}），与引擎链式起草的用法一致。
- 负载均衡：无辅助损失，每步后 `bias += γ·sign(平均负载 − 负载)`，γ = {hp['bias_update_speed']}；序列级均衡损失 α = {hp['seq_balance_alpha']}。
- 优化器：AdamW（β 0.9/0.95，权重衰减 {hp['weight_decay']}），峰值学习率 {hp['lr']}，预热 {hp['warmup_steps']} 步，余弦降到 {hp['min_lr_ratio']:.0%}，梯度裁剪 {hp['grad_clip']}，种子 {hp['seed']}。
  全部超参数见 `docs/training.md`。

### 损失曲线（每 100 步；留出损失取留出集前 16 个窗口，bf16 autocast）

{loss_table(shipped)}

## 留出集结果

在导出的 bf16 权重上以 fp32 计算，覆盖整个留出集（按 {hp['seq_len']} token 的窗口，每个窗口从位置 0 开始）。
MTP 的 top-1 是教师强制的：深度 k 在位置 i 输入真实的 t_{{i+k}}，看 argmax 是否等于 t_{{i+k+1}}。
右列是第二次独立运行（命令见文末；它显式给出的 `--batch-size 32 --steps 1500` 就是 full 预设的值，
`--threads` 只影响 CPU 上的评估）。

{metrics_table(shipped, repro)}

- 主头困惑度 {m['main_ppl']:.1f}，同一文本的一元模型困惑度 {m['unigram_ppl']:.0f}（是主头的 {m['unigram_ppl'] / m['main_ppl']:.1f} 倍）。
- MTP 深度 1 的 top-1 为 {pct(m['mtp_top1'][0])}，{target} 40% 的目标。{repro_note}

## 与 C++ 引擎的一致性

`tools/train/export_fixture.py` 在导出的 bf16 权重上以 fp32 计算两段真实文本（7 个英文、20 个中文 token）的
逐位置 logits、最终隐状态、MTP logits 与预填充后链式起草 1..4 个草稿的 logits，写入 `tests/data/bundled/`；
ctest 的 `parity_bundled`（`tests/parity/bundled_parity_test.cpp`）要求 dsinfer 在 latent 与 expanded 两种模式、
整段预填充与逐 token 解码下都与之相差不超过 1e-4，草稿 token 逐个相同。

## 文本样例（PyTorch 模型，每条最多 48 个 token，⏎ 表示换行）

{samples_block(shipped)}

## 复现命令

```bash
# 有 GPU 时设 PYTHON 为装有 CUDA 版 PyTorch 的解释器（发布的模型如此训练）；没有 GPU 时默认用 Debian 的 CPU 版
sudo apt-get install -y python3-torch python3-numpy python3-regex groff-base libreadline8 libopenblas0-openmp
{shipped['command']}
# 复现运行（换输出目录）
{repro['command']}
# 由两份报告生成本模型卡
/usr/bin/python3 -m tools.train.model_card tools/train/results/shipped.json tools/train/results/reproduction.json > models/README.md
```

训练报告（含每 10 步的损失记录）：`tools/train/results/shipped.json`、`tools/train/results/reproduction.json`。

## 许可

模型权重由上表的语料训练而来；语料的许可各不相同（公有领域、BSD、GPL-2+/3+、GFDL、CC-BY-SA），
其中 GPL/GFDL 文本占相当比例。本模型仅作为 dsinfer 的测试与演示数据随仓库分发。
"""


def main(argv):
    shipped = json.load(open(argv[0], encoding="utf-8"))
    repro = json.load(open(argv[1], encoding="utf-8"))
    sys.stdout.write(render(shipped, repro))


if __name__ == "__main__":
    main(sys.argv[1:])
