#include "model/attention_plan.h"

namespace dsinfer {

bool AttentionPlan::has_flash() const {
  for (const AttentionSegment& s : segments)
    if (!is_per_token(s.path)) return true;
  return false;
}

bool latent_expansion_pays(const AttentionPlanConfig& c, int64_t n_q, int64_t n_keys) {
  // 每头的乘加数。吸收：每个 (查询, 键) 对 2L + rope（分数与加权和都在 L 维潜空间），外加每个查询的
  // W_UK / W_UV 吸收；解压：每个键先乘 kv_b（(nope + v) × L），之后每对只要 qk + v。
  // 解压是逐头的大矩阵乘，效率远高于在潜空间里对每个头各跑一遍分块注意力（测量见 bench/README.md），
  // 所以乘加数不超过吸收的 2 倍就解压。
  const double L = double(c.kv_lora_rank), qk = double(c.qk_nope + c.qk_rope), v = double(c.v_dim);
  const double absorbed = double(n_q) * double(n_keys) * (2 * L + c.qk_rope) + double(n_q) * (c.qk_nope + v) * L;
  const double expanded = double(n_keys) * (c.qk_nope + v) * L + double(n_q) * double(n_keys) * (qk + v);
  return c.can_expand_latent && expanded < 2.0 * absorbed;
}

void build_attention_plan(const Batch& batch, const AttentionPlanConfig& c, AttentionPlan& plan) {
  const int64_t T = batch.size();
  const bool latent = c.mode == MlaMode::kLatent;
  plan.segments.clear();
  plan.absorbed_spans.clear();
  int64_t absorbed_from = 0;  // 当前吸收区间的起点
  for (int64_t i0 = 0; i0 < T;) {
    int64_t i1 = i0 + 1;
    while (i1 < T && batch.seq_ids[size_t(i1)] == batch.seq_ids[size_t(i1 - 1)] &&
           batch.positions[size_t(i1)] == batch.positions[size_t(i1 - 1)] + 1)
      ++i1;
    const int64_t n_q = i1 - i0, n_keys = batch.positions[size_t(i1 - 1)] + 1;
    const bool many_queries = n_q >= c.flash_min_queries;
    AttentionPath path;
    if (!latent) {
      path = many_queries ? AttentionPath::kExpandedFlash : AttentionPath::kExpandedPerToken;
    } else if (many_queries && latent_expansion_pays(c, n_q, n_keys)) {
      path = AttentionPath::kLatentExpandedFlash;
      if (absorbed_from < i0) plan.absorbed_spans.push_back({absorbed_from, i0});
      absorbed_from = i1;
    } else if (many_queries || n_keys >= c.flash_min_keys) {
      path = AttentionPath::kAbsorbedFlash;
    } else {
      path = AttentionPath::kAbsorbedPerToken;
    }
    plan.segments.push_back({i0, i1, path});
    i0 = i1;
  }
  if (latent && absorbed_from < T) plan.absorbed_spans.push_back({absorbed_from, T});
}

}  // namespace dsinfer
