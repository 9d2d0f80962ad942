"""PyTorch 模型 ↔ Hugging Face DeepSeek-V3 检查点（config.json + model.safetensors）。

张量名逐字照 docs/spec.md §2.1–§2.2：MTP 层在 model.layers.{num_hidden_layers + k}，其 embed_tokens 与
shared_head.head 是主模型 embed_tokens / lm_head 的副本（同真实 V3 检查点）。
存储：线性层、嵌入、归一化权重为 BF16；e_score_correction_bias 为 F32（同 V3）。
"""
import json
import os

import torch

from . import safetensors_io
from .model import DeepseekV3, ModelConfig, MoE

_EXPERT_PARTS = (("w_gate", "gate_proj"), ("w_up", "up_proj"), ("w_down", "down_proj"))


def hf_config(cfg, **extra):
    """完整的 HF DeepSeek-V3 config.json 字段（影响数学的字段取自 cfg，其余按 V3 的默认值）。"""
    out = {
        "architectures": ["DeepseekV3ForCausalLM"],
        "model_type": "deepseek_v3",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "aux_loss_alpha": 0.001,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "ep_size": 1,
        "first_k_dense_replace": cfg.first_k_dense_replace,
        "hidden_act": "silu",
        "hidden_size": cfg.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": cfg.intermediate_size,
        "kv_lora_rank": cfg.kv_lora_rank,
        "max_position_embeddings": cfg.max_position_embeddings,
        "moe_intermediate_size": cfg.moe_intermediate_size,
        "moe_layer_freq": 1,
        "n_group": cfg.n_group,
        "n_routed_experts": cfg.n_routed_experts,
        "n_shared_experts": cfg.n_shared_experts,
        "norm_topk_prob": cfg.norm_topk_prob,
        "num_attention_heads": cfg.num_attention_heads,
        "num_experts_per_tok": cfg.num_experts_per_tok,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_key_value_heads": cfg.num_attention_heads,
        "num_nextn_predict_layers": cfg.num_nextn_predict_layers,
        "pretraining_tp": 1,
        "q_lora_rank": cfg.q_lora_rank,
        "qk_nope_head_dim": cfg.qk_nope_head_dim,
        "qk_rope_head_dim": cfg.qk_rope_head_dim,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_scaling": cfg.rope_scaling or None,
        "rope_theta": cfg.rope_theta,
        "routed_scaling_factor": cfg.routed_scaling_factor,
        "scoring_func": "sigmoid",
        "seq_aux": True,
        "tie_word_embeddings": False,
        "topk_group": cfg.topk_group,
        "topk_method": "noaux_tc",
        "torch_dtype": "bfloat16",
        "use_cache": True,
        "v_head_dim": cfg.v_head_dim,
        "vocab_size": cfg.vocab_size,
    }
    out.update(extra)
    return out


def _layer_tensors(prefix, layer, cast):
    """一个解码层（主模型或 MTP 的）→ HF 名字的张量。"""
    out = {}
    for name, p in layer.named_parameters():
        if name.startswith("mlp.") and isinstance(layer.mlp, MoE) and not name.startswith("mlp.shared_experts"):
            continue
        out[f"{prefix}.{name}"] = cast(p)
    if isinstance(layer.mlp, MoE):
        moe = layer.mlp
        out[f"{prefix}.mlp.gate.weight"] = cast(moe.gate_weight)
        out[f"{prefix}.mlp.gate.e_score_correction_bias"] = moe.e_score_correction_bias.detach().float().clone()
        for e in range(moe.cfg.n_routed_experts):
            for ours, hf in _EXPERT_PARTS:
                out[f"{prefix}.mlp.experts.{e}.{hf}.weight"] = cast(getattr(moe, ours)[e])
    return out


def to_hf_tensors(model, dtype=torch.bfloat16):
    """模型 → {HF 名: 张量}；顺序：嵌入、各层、norm、lm_head、MTP 层。"""
    def cast(p):
        return p.detach().to(dtype).contiguous().clone()
    cfg = model.cfg
    out = {"model.embed_tokens.weight": cast(model.embed_tokens.weight)}
    for i, layer in enumerate(model.layers):
        out.update(_layer_tensors(f"model.layers.{i}", layer, cast))
    out["model.norm.weight"] = cast(model.norm.weight)
    out["lm_head.weight"] = cast(model.lm_head.weight)
    for k, mtp in enumerate(model.mtp):
        prefix = f"model.layers.{cfg.num_hidden_layers + k}"
        out[f"{prefix}.embed_tokens.weight"] = cast(model.embed_tokens.weight)
        out[f"{prefix}.enorm.weight"] = cast(mtp.enorm.weight)
        out[f"{prefix}.hnorm.weight"] = cast(mtp.hnorm.weight)
        out[f"{prefix}.eh_proj.weight"] = cast(mtp.eh_proj.weight)
        out.update(_layer_tensors(prefix, mtp.layer, cast))
        out[f"{prefix}.shared_head.norm.weight"] = cast(mtp.shared_head_norm.weight)
        out[f"{prefix}.shared_head.head.weight"] = cast(model.lm_head.weight)
    return out


def load_hf_tensors(model, tensors):
    """{HF 名: 张量} → 模型参数（升到 fp32）。缺失或多余的张量报错；MTP 的嵌入/输出头副本须与主模型相同。"""
    expected = to_hf_tensors(model, torch.float32)
    missing = sorted(set(expected) - set(tensors))
    unknown = sorted(set(tensors) - set(expected))
    if missing or unknown:
        raise ValueError(f"检查点张量不匹配：缺少 {missing[:5]}，多出 {unknown[:5]}")
    cfg = model.cfg
    with torch.no_grad():
        params = dict(model.named_parameters())
        buffers = dict(model.named_buffers())

        def put(ours, value):
            target = params.get(ours, buffers.get(ours))
            if target.shape != value.shape:
                raise ValueError(f"{ours} 形状不符：期望 {list(target.shape)}，实际 {list(value.shape)}")
            target.copy_(value.float())

        def put_layer(ours_prefix, hf_prefix, layer):
            for name, _ in layer.named_parameters():
                if isinstance(layer.mlp, MoE) and name.startswith("mlp.") and not name.startswith("mlp.shared"):
                    continue
                put(f"{ours_prefix}.{name}", tensors[f"{hf_prefix}.{name}"])
            if isinstance(layer.mlp, MoE):
                put(f"{ours_prefix}.mlp.gate_weight", tensors[f"{hf_prefix}.mlp.gate.weight"])
                put(f"{ours_prefix}.mlp.e_score_correction_bias", tensors[f"{hf_prefix}.mlp.gate.e_score_correction_bias"])
                for ours, hf in _EXPERT_PARTS:
                    stacked = torch.stack([tensors[f"{hf_prefix}.mlp.experts.{e}.{hf}.weight"]
                                           for e in range(cfg.n_routed_experts)])
                    put(f"{ours_prefix}.mlp.{ours}", stacked)

        put("embed_tokens.weight", tensors["model.embed_tokens.weight"])
        for i, layer in enumerate(model.layers):
            put_layer(f"layers.{i}", f"model.layers.{i}", layer)
        put("norm.weight", tensors["model.norm.weight"])
        put("lm_head.weight", tensors["lm_head.weight"])
        for k, mtp in enumerate(model.mtp):
            hf = f"model.layers.{cfg.num_hidden_layers + k}"
            for copy, main in (("embed_tokens.weight", "model.embed_tokens.weight"),
                               ("shared_head.head.weight", "lm_head.weight")):
                if not torch.equal(tensors[f"{hf}.{copy}"], tensors[main]):
                    raise ValueError(f"{hf}.{copy} 与 {main} 不同：本模型把它们绑定为同一参数")
            for name in ("enorm", "hnorm", "eh_proj"):
                put(f"mtp.{k}.{name}.weight", tensors[f"{hf}.{name}.weight"])
            put(f"mtp.{k}.shared_head_norm.weight", tensors[f"{hf}.shared_head.norm.weight"])
            put_layer(f"mtp.{k}.layer", hf, mtp.layer)


def save_pretrained(model, out_dir, generation_config=None):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config(model.cfg), f, indent=2)
        f.write("\n")
    safetensors_io.save(os.path.join(out_dir, "model.safetensors"), to_hf_tensors(model), {"format": "pt"})
    if generation_config:
        with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
            json.dump(generation_config, f, indent=2)
            f.write("\n")


def load_pretrained(model_dir):
    """读 config.json + model.safetensors（或 HF 分片 + index）→ fp32 的 DeepseekV3（eval 模式）。"""
    cfg_dict = json.load(open(os.path.join(model_dir, "config.json")))
    model = DeepseekV3(ModelConfig.from_hf(cfg_dict))
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    tensors = {}
    for name in files:
        tensors.update(safetensors_io.load(os.path.join(model_dir, name))[0])
    load_hf_tensors(model, tensors)
    return model.eval()
