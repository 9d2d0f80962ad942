// MLA 注意力计划：各种批次（解码的短 / 长上下文、预填充块、MTP 验证、混合批次）在两种缓存方式下选出的路径，
// 以及 latent 模式下 W_UK 吸收 / W_UV 成批计算的 token 区间。
#include "model/attention_plan.h"

#include <gtest/gtest.h>

namespace dsinfer {
namespace {

using P = AttentionPath;

// V2-Lite 形状：kv_lora_rank 512，nope 128，rope 64，v 128
AttentionPlanConfig config(MlaMode mode, bool can_expand = true) {
  AttentionPlanConfig c;
  c.mode = mode;
  c.kv_lora_rank = 512, c.qk_nope = 128, c.qk_rope = 64, c.v_dim = 128;
  c.can_expand_latent = mode == MlaMode::kLatent && can_expand;
  return c;
}

// 序列 seq 从位置 p0 起的 n 个 token
void add_run(Batch& b, int32_t seq, int64_t p0, int64_t n) {
  for (int64_t p = p0; p < p0 + n; ++p) b.add(0, seq, p, true);
}

struct Expect {
  int64_t begin, end;
  P path;
};

void expect_plan(const Batch& b, const AttentionPlanConfig& c, const std::vector<Expect>& segments,
                 const std::vector<std::pair<int64_t, int64_t>>& absorbed_spans) {
  AttentionPlan plan;
  build_attention_plan(b, c, plan);
  ASSERT_EQ(plan.segments.size(), segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    EXPECT_EQ(plan.segments[i].begin, segments[i].begin) << "段 " << i;
    EXPECT_EQ(plan.segments[i].end, segments[i].end) << "段 " << i;
    EXPECT_EQ(plan.segments[i].path, segments[i].path) << "段 " << i;
  }
  EXPECT_EQ(plan.absorbed_spans, absorbed_spans);
  bool flash = false;
  for (const Expect& e : segments) flash |= !is_per_token(e.path);
  EXPECT_EQ(plan.has_flash(), flash);
}

TEST(AttentionPlan, DecodeShortContextIsPerToken) {
  Batch b;
  add_run(b, 0, 10, 1);
  expect_plan(b, config(MlaMode::kLatent), {{0, 1, P::kAbsorbedPerToken}}, {{0, 1}});
  expect_plan(b, config(MlaMode::kExpanded), {{0, 1, P::kExpandedPerToken}}, {});
}

TEST(AttentionPlan, DecodeLongLatentContextIsFlash) {
  Batch b;
  add_run(b, 0, 62, 1);  // 63 个键：还不到一个缓存块
  add_run(b, 1, 63, 1);  // 64 个键
  expect_plan(b, config(MlaMode::kLatent), {{0, 1, P::kAbsorbedPerToken}, {1, 2, P::kAbsorbedFlash}}, {{0, 2}});
  // expanded 的解码不看上下文长度
  expect_plan(b, config(MlaMode::kExpanded), {{0, 1, P::kExpandedPerToken}, {1, 2, P::kExpandedPerToken}}, {});
}

TEST(AttentionPlan, PrefillChunk) {
  Batch b;
  add_run(b, 0, 0, 512);
  expect_plan(b, config(MlaMode::kLatent), {{0, 512, P::kLatentExpandedFlash}}, {});
  expect_plan(b, config(MlaMode::kExpanded), {{0, 512, P::kExpandedFlash}}, {});
  // F16 的吸收矩阵不能解压：仍走吸收后的分块注意力
  expect_plan(b, config(MlaMode::kLatent, false), {{0, 512, P::kAbsorbedFlash}}, {{0, 512}});
  // 长上下文之后的一小块：每个键的解压代价摊不开，吸收更省
  Batch late;
  add_run(late, 0, 8000, 16);
  expect_plan(late, config(MlaMode::kLatent), {{0, 16, P::kAbsorbedFlash}}, {{0, 16}});
  expect_plan(late, config(MlaMode::kExpanded), {{0, 16, P::kExpandedFlash}}, {});
  // 不到 16 个查询、上下文短：逐 token
  Batch short_chunk;
  add_run(short_chunk, 0, 0, 15);
  expect_plan(short_chunk, config(MlaMode::kLatent), {{0, 15, P::kAbsorbedPerToken}}, {{0, 15}});
  expect_plan(short_chunk, config(MlaMode::kExpanded), {{0, 15, P::kExpandedPerToken}}, {});
}

TEST(AttentionPlan, MtpVerifyRows) {
  Batch b;  // 一个已接受的 token 加 3 个草稿
  add_run(b, 0, 30, 4);
  expect_plan(b, config(MlaMode::kLatent), {{0, 4, P::kAbsorbedPerToken}}, {{0, 4}});
  Batch long_ctx;
  add_run(long_ctx, 0, 300, 4);
  expect_plan(long_ctx, config(MlaMode::kLatent), {{0, 4, P::kAbsorbedFlash}}, {{0, 4}});
  expect_plan(long_ctx, config(MlaMode::kExpanded), {{0, 4, P::kExpandedPerToken}}, {});
}

TEST(AttentionPlan, MixedBatch) {
  Batch b;
  add_run(b, 0, 10, 1);   // 解码，短上下文
  add_run(b, 1, 0, 100);  // 预填充
  add_run(b, 2, 300, 1);  // 解码，长上下文
  add_run(b, 3, 20, 2);   // MTP 验证，短上下文
  // 吸收区间被解压的段隔开，跨序列合并
  expect_plan(b, config(MlaMode::kLatent),
              {{0, 1, P::kAbsorbedPerToken},
               {1, 101, P::kLatentExpandedFlash},
               {101, 102, P::kAbsorbedFlash},
               {102, 104, P::kAbsorbedPerToken}},
              {{0, 1}, {101, 104}});
  expect_plan(b, config(MlaMode::kExpanded),
              {{0, 1, P::kExpandedPerToken},
               {1, 101, P::kExpandedFlash},
               {101, 102, P::kExpandedPerToken},
               {102, 104, P::kExpandedPerToken}},
              {});
}

TEST(AttentionPlan, ExpansionPaysForLongRunsOnly) {
  const AttentionPlanConfig c = config(MlaMode::kLatent);
  EXPECT_TRUE(latent_expansion_pays(c, 512, 512));
  EXPECT_TRUE(latent_expansion_pays(c, 16, 16));
  EXPECT_FALSE(latent_expansion_pays(c, 16, 8016));
  EXPECT_FALSE(latent_expansion_pays(config(MlaMode::kLatent, false), 512, 512));
}

}  // namespace
}  // namespace dsinfer
