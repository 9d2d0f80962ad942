"""可读的 PyTorch DeepSeek-V3：MLA、无辅助损失路由的 MoE、MTP（NextN）模块。

数学严格按 ../shared/spec/deepseek.md §3–§4 与参考夹具 README：
交错成对的 RoPE（作用在最后 qk_rope_head_dim 维）、YaRN 频率与 mscale² 的 softmax 缩放、
q_lora + kv_a_layernorm 的 MLA、kv_b_proj 按头 [k_nope | v]、sigmoid 打分 + e_score_correction_bias（只用于选择）、
noaux_tc 分组 top-k（组分 = 组内前二之和）、norm_topk_prob、routed_scaling_factor、共享专家、前 k 层稠密。
专家权重按 [E, ...] 堆叠存放便于训练；与 HF 逐专家张量名的互转在 checkpoint.py。
"""
import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    moe_intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    n_routed_experts: int
    n_shared_experts: int
    num_experts_per_tok: int
    n_group: int
    topk_group: int
    first_k_dense_replace: int
    routed_scaling_factor: float
    num_nextn_predict_layers: int
    max_position_embeddings: int
    rope_theta: float = 10000.0
    rope_scaling: dict = field(default_factory=dict)
    rms_norm_eps: float = 1e-6
    norm_topk_prob: bool = True

    @classmethod
    def from_hf(cls, cfg):
        assert cfg.get("scoring_func", "sigmoid") == "sigmoid" and cfg.get("topk_method") == "noaux_tc", \
            "只实现 DeepSeek-V3 的 sigmoid + noaux_tc 路由"
        names = cls.__dataclass_fields__.keys()
        kw = {k: cfg[k] for k in names if k in cfg}
        kw["rope_scaling"] = cfg.get("rope_scaling") or {}
        return cls(**kw)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        # 与 HF 一致：fp32 里归一化，再乘权重
        x32 = x.float()
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * y.to(x.dtype)


def yarn_mscale(factor, mscale):
    return 1.0 if factor <= 1 else 0.1 * mscale * math.log(factor) + 1.0


def rope_frequencies(cfg):
    """每对维度的角频率 f_i（docs/spec.md §3.4）；rope_scaling.type == yarn 时对所有位置做 YaRN 修正。"""
    dim, base = cfg.qk_rope_head_dim, cfg.rope_theta
    freqs = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    rs = cfg.rope_scaling
    if rs.get("type") != "yarn":
        return freqs
    factor, orig = rs["factor"], rs["original_max_position_embeddings"]

    def corr_dim(rotations):
        return dim * math.log(orig / (rotations * 2 * math.pi)) / (2 * math.log(base))
    low = max(math.floor(corr_dim(rs.get("beta_fast", 32))), 0)
    high = min(math.ceil(corr_dim(rs.get("beta_slow", 1))), dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    return freqs / factor * ramp + freqs * (1 - ramp)


def softmax_scale(cfg):
    scale = (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim) ** -0.5
    rs = cfg.rope_scaling
    if rs.get("type") == "yarn":
        scale *= yarn_mscale(rs["factor"], rs.get("mscale_all_dim", 1.0)) ** 2
    return scale


def apply_rope(x, cos, sin):
    """交错成对旋转：(x[2i], x[2i+1]) 乘 e^{j·pos·f_i}。x: [..., T, (H,) d]，cos/sin: [T, d/2] 已按 x 广播。"""
    pairs = x.float().unflatten(-1, (-1, 2))
    re, im = pairs[..., 0], pairs[..., 1]
    out = torch.stack((re * cos - im * sin, re * sin + im * cos), dim=-1)
    return out.flatten(-2).to(x.dtype)


class Rotary(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.register_buffer("freqs", rope_frequencies(cfg).float(), persistent=False)

    def forward(self, positions):
        # 角度在 fp64 里算再转 fp32：与参考实现的 complex64 freqs_cis 在大位置上更接近
        angles = positions.double()[:, None] * self.freqs.double()[None, :]
        return angles.cos().float(), angles.sin().float()


class MLA(nn.Module):
    """多头潜在注意力（训练用的“解压”形式：K/V 展开成每头向量，数学上等价于吸收形式）。"""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        H, D = cfg.num_attention_heads, cfg.hidden_size
        qk = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim
        self.q_a_proj = nn.Linear(D, cfg.q_lora_rank, bias=False)
        self.q_a_layernorm = RMSNorm(cfg.q_lora_rank, cfg.rms_norm_eps)
        self.q_b_proj = nn.Linear(cfg.q_lora_rank, H * qk, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(D, cfg.kv_lora_rank + cfg.qk_rope_head_dim, bias=False)
        self.kv_a_layernorm = RMSNorm(cfg.kv_lora_rank, cfg.rms_norm_eps)
        self.kv_b_proj = nn.Linear(cfg.kv_lora_rank, H * (cfg.qk_nope_head_dim + cfg.v_head_dim), bias=False)
        self.o_proj = nn.Linear(H * cfg.v_head_dim, D, bias=False)
        self.scale = softmax_scale(cfg)

    def forward(self, x, cos, sin):
        cfg = self.cfg
        B, T, _ = x.shape
        H, nope, rope, vd = cfg.num_attention_heads, cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim
        # q: [B, T, H, nope + rope]，每头 [nope | rope]
        q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x))).view(B, T, H, nope + rope)
        q_nope, q_pe = q.split([nope, rope], dim=-1)
        # kv_a 输出 [c_kv | k_pe]；k_pe 是所有头共享的一条 rope 向量
        c_kv, k_pe = self.kv_a_proj_with_mqa(x).split([cfg.kv_lora_rank, rope], dim=-1)
        q_pe = apply_rope(q_pe, cos[:, None, :], sin[:, None, :])
        k_pe = apply_rope(k_pe, cos, sin)
        kv = self.kv_b_proj(self.kv_a_layernorm(c_kv)).view(B, T, H, nope + vd)
        k_nope, v = kv.split([nope, vd], dim=-1)
        q = torch.cat([q_nope, q_pe], dim=-1).transpose(1, 2)                     # [B, H, T, qk]
        k = torch.cat([k_nope, k_pe[:, :, None, :].expand(B, T, H, rope)], dim=-1).transpose(1, 2)
        v = v.transpose(1, 2)                                                      # [B, H, T, v]
        scores = (q @ k.transpose(-1, -2)).float() * self.scale
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        probs = scores.masked_fill(causal, float("-inf")).softmax(-1).to(v.dtype)
        out = (probs @ v).transpose(1, 2).reshape(B, T, H * vd)
        return self.o_proj(out)


class DenseMLP(nn.Module):
    def __init__(self, dim, inter):
        super().__init__()
        self.gate_proj = nn.Linear(dim, inter, bias=False)
        self.up_proj = nn.Linear(dim, inter, bias=False)
        self.down_proj = nn.Linear(inter, dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MoE(nn.Module):
    """sigmoid 路由 + 偏置只用于选择（无辅助损失负载均衡）+ 分组限制 top-k + 共享专家。"""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        E, D, I = cfg.n_routed_experts, cfg.hidden_size, cfg.moe_intermediate_size
        self.gate_weight = nn.Parameter(torch.empty(E, D))
        # 偏置不参与梯度：每步之后按专家负载用符号规则更新（train.py）
        self.register_buffer("e_score_correction_bias", torch.zeros(E))
        self.w_gate = nn.Parameter(torch.empty(E, I, D))
        self.w_up = nn.Parameter(torch.empty(E, I, D))
        self.w_down = nn.Parameter(torch.empty(E, D, I))
        self.shared_experts = DenseMLP(D, I * cfg.n_shared_experts)
        self.register_buffer("load", torch.zeros(E), persistent=False)  # 本步各专家被选中的 token 数
        self.balance_loss = None

    def route(self, x):
        """x: [N, D] → (idx [N, k], weight [N, k], scores [N, E])。docs/spec.md §3.7。"""
        cfg = self.cfg
        scores = torch.sigmoid(F.linear(x.float(), self.gate_weight.float()))
        choice = scores.detach() + self.e_score_correction_bias
        N, E, G = scores.shape[0], cfg.n_routed_experts, cfg.n_group
        if G > 1:
            group_score = choice.view(N, G, E // G).topk(2, dim=-1).values.sum(-1)      # [N, G]
            keep = group_score.topk(cfg.topk_group, dim=-1).indices
            group_mask = torch.zeros(N, G, dtype=torch.bool, device=x.device).scatter_(1, keep, True)
            choice = choice.masked_fill(~group_mask.repeat_interleave(E // G, dim=1), float("-inf"))
        idx = choice.topk(cfg.num_experts_per_tok, dim=-1).indices
        weight = scores.gather(1, idx)
        if cfg.norm_topk_prob:
            weight = weight / (weight.sum(-1, keepdim=True) + 1e-20)
        return idx, weight * cfg.routed_scaling_factor, scores

    def forward(self, x, seq_balance_alpha=0.0):
        B, T, D = x.shape
        flat = x.reshape(-1, D)
        idx, weight, scores = self.route(flat)
        k = idx.shape[1]
        # 按专家分组：把 (token, 槽位) 按专家号排序，每个专家一次矩阵乘
        order = idx.reshape(-1).argsort(stable=True)
        token_of = order // k
        counts = torch.bincount(idx.reshape(-1), minlength=self.cfg.n_routed_experts)
        out = torch.zeros_like(flat)
        start = 0
        for e, n in enumerate(counts.tolist()):
            if n == 0:
                continue
            rows = token_of[start:start + n]
            h = flat[rows]
            h = F.silu(h @ self.w_gate[e].t()) * (h @ self.w_up[e].t())
            y = (h @ self.w_down[e].t()) * weight.reshape(-1)[order[start:start + n], None].to(h.dtype)
            out.index_add_(0, rows, y.to(out.dtype))
            start += n
        if self.training:
            self.load += counts.float()
            self.balance_loss = self._sequence_balance_loss(idx, scores, B, T) if seq_balance_alpha > 0 else None
        return (out + self.shared_experts(flat)).view(B, T, D)

    def _sequence_balance_loss(self, idx, scores, B, T):
        """V3 报告的序列级均衡损失 Σ_i f_i·P_i（每条序列内算，再对序列取平均）；系数 α 在外面乘。"""
        E, k = self.cfg.n_routed_experts, self.cfg.num_experts_per_tok
        chosen = torch.zeros(B * T, E, device=idx.device).scatter_(1, idx, 1.0).view(B, T, E)
        f = chosen.mean(1) * (E / k)                                  # [B, E]
        p = (scores / scores.sum(-1, keepdim=True)).view(B, T, E).mean(1)
        return (f * p).sum(-1).mean()


class DecoderLayer(nn.Module):
    def __init__(self, cfg, layer_id):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = MLA(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        dense = layer_id < cfg.first_k_dense_replace
        self.mlp = DenseMLP(cfg.hidden_size, cfg.intermediate_size) if dense else MoE(cfg)

    def forward(self, x, cos, sin, seq_balance_alpha=0.0):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        h = self.post_attention_layernorm(x)
        return x + (self.mlp(h, seq_balance_alpha) if isinstance(self.mlp, MoE) else self.mlp(h))


class MTPModule(nn.Module):
    """NextN 模块：x = eh_proj([enorm(embed(t_{i+k})) | hnorm(h_i)])（嵌入在前），一层解码层，shared_head。
    embed_tokens 与 shared_head.head 和主模型共享（导出时复制成独立张量，同真实 V3 检查点）。"""

    def __init__(self, cfg, layer_id):
        super().__init__()
        D = cfg.hidden_size
        self.enorm = RMSNorm(D, cfg.rms_norm_eps)
        self.hnorm = RMSNorm(D, cfg.rms_norm_eps)
        self.eh_proj = nn.Linear(2 * D, D, bias=False)
        self.layer = DecoderLayer(cfg, layer_id)
        self.shared_head_norm = RMSNorm(D, cfg.rms_norm_eps)

    def forward(self, emb, hidden, cos, sin, seq_balance_alpha=0.0):
        """返回 (解码层输出（shared_head.norm 之前，链式下一深度的隐状态输入）, 归一化后的 head 输入)。"""
        x = self.eh_proj(torch.cat([self.enorm(emb), self.hnorm(hidden)], dim=-1))
        out = self.layer(x, cos, sin, seq_balance_alpha)
        return out, self.shared_head_norm(out)


class DeepseekV3(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self.mtp = nn.ModuleList(MTPModule(cfg, cfg.num_hidden_layers + k)
                                 for k in range(cfg.num_nextn_predict_layers))
        self.rotary = Rotary(cfg)

    def moe_layers(self):
        return [m for m in self.modules() if isinstance(m, MoE)]

    def init_weights(self, seed, std=0.02):
        """正态初始化；残差支路的输出投影按层数缩小（GPT-2 做法），RMSNorm 权重为 1。"""
        gen = torch.Generator().manual_seed(seed)
        n_residual = 2 * (self.cfg.num_hidden_layers + self.cfg.num_nextn_predict_layers)
        for name, p in self.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name or "enorm" in name or "hnorm" in name:
                nn.init.ones_(p)
                continue
            s = std / math.sqrt(n_residual) if name.endswith(("o_proj.weight", "down_proj.weight", "w_down")) else std
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=gen) * s)

    def positions_cos_sin(self, T, offset, device):
        return self.rotary(torch.arange(offset, offset + T, device=device))

    def forward_main(self, tokens, seq_balance_alpha=0.0):
        """tokens [B, T] → 末层 model.norm 之后的隐状态 [B, T, D]（lm_head 与 MTP 的输入）。"""
        cos, sin = self.positions_cos_sin(tokens.shape[1], 0, tokens.device)
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            x = layer(x, cos, sin, seq_balance_alpha)
        self.last_prenorm = x
        return self.norm(x)

    def forward_mtp(self, hidden, next_tokens, depth, zero_first_embedding=False, seq_balance_alpha=0.0):
        """第 depth 深度（1 起）的 MTP：hidden [B, T, D] 是上一深度的隐状态（深度 1 为主模型 norm 后的），
        next_tokens [B, T] 是位置 i 的嵌入输入 t_{i+depth}。超过 num_nextn_predict_layers 时复用最后一个模块。
        rope 位置为 i + depth - 1：与推理时链式起草每深一步位置 +1 一致（注意力只看相对位置）。"""
        module = self.mtp[min(depth, len(self.mtp)) - 1]
        emb = self.embed_tokens(next_tokens)
        if zero_first_embedding:
            emb = emb.clone()
            emb[:, 0] = 0  # vLLM 语义：位置 0 的嵌入置零
        cos, sin = self.positions_cos_sin(hidden.shape[1], depth - 1, hidden.device)
        return module(emb, hidden, cos, sin, seq_balance_alpha)

    def logits(self, normed):
        return self.lm_head(normed)
