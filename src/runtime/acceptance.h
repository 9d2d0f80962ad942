// 推测解码的接受规则（spec §4.5）：给定验证前向对 [t_L, d_1 … d_k] 的 k+1 行 logits 与 k 个草稿，
// 决定接受前 a 个草稿，并给出第 a+1 个输出 token（修正 token，或全部接受时的奖励 token）。
// 两条规则都保证输出与不用草稿时相同：贪心逐 token 相同，采样同分布（arXiv 2211.17192）。
#pragma once

#include <cstdint>

#include "runtime/sampler.h"

namespace dsinfer {

struct Acceptance {
  int64_t accepted = 0;  // 被接受的草稿数 a ∈ [0, k]
  int32_t token = 0;     // 接在它们之后的输出 token
};

// 贪心：与目标 argmax 相同的最长前缀 + 位置 a 的 argmax。logits [k+1, vocab]。
Acceptance accept_greedy(const float* logits, const int32_t* drafts, int64_t k, int64_t vocab);

// 拒绝采样：第 j 个草稿 x 从 q_j 抽出，以 min(1, p_j(x)/q_j(x)) 接受（p_j = sampler 在第 j 行 logits 上的最终
// 分布）；拒绝时从 max(p_j − q_j, 0) 重采样并停止；全部接受时从最后一行的 p 抽奖励 token。
// logits [k+1, vocab]，q [k, vocab]。随机数只取自 sampler（同一种子 → 同一结果）。
Acceptance accept_sampled(const float* logits, const int32_t* drafts, const float* q, int64_t k, int64_t vocab,
                          Sampler& sampler);

// 拒绝后的重采样分布：p ← max(p − q, 0)（未归一化）。残差全为 0（p = q 的退化情形）时 p 不变。
void residual_distribution(float* p, const float* q, int64_t vocab);

}  // namespace dsinfer
