#include "runtime/generator.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "runtime/engine.h"

namespace dsinfer {
namespace {

const std::string kV3 = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";

TEST(Generator, BatchedRequestsEqualSingleRequestsAcrossGroups) {
  OptimizationConfig cfg;
  cfg.threads = 2;
  cfg.max_batch = 2;  // 3 个请求 → 两组
  Engine engine(kV3, cfg);
  std::vector<GenerationRequest> reqs(3);
  reqs[0].prompt = {5, 6, 7};
  reqs[1].prompt = {100, 200};
  reqs[2].prompt = {42};
  for (auto& r : reqs) {
    r.max_new_tokens = 6;
    r.stop_at_eos = false;
  }
  std::vector<std::vector<int32_t>> streamed(3);
  const auto all = engine.generate(reqs, [&](size_t i, int32_t t) { streamed[i].push_back(t); });
  EXPECT_EQ(all, streamed);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto single = engine.generate({reqs[i]});
    EXPECT_EQ(single[0], all[i]) << i;
    EXPECT_EQ(all[i].size(), 6u);
  }
  EXPECT_GT(engine.monitor().decode_tokens(), 0);
}

TEST(Generator, StopsAtStopTokenAndHonoursZeroTokens) {
  OptimizationConfig cfg;
  Engine engine(kV3, cfg);
  GenerationRequest r;
  r.prompt = {5, 6, 7};
  r.max_new_tokens = 20;
  r.stop_at_eos = false;
  const auto free_run = engine.generate({r})[0];
  // 把第 3 个生成 token 设为停止 token：生成在它之后停止（它本身是最后一个）
  r.stop_token_ids = {free_run[2]};
  const auto stopped = engine.generate({r})[0];
  ASSERT_LE(stopped.size(), 3u);
  EXPECT_EQ(stopped.back(), free_run[2]);
  r.max_new_tokens = 0;
  EXPECT_TRUE(engine.generate({r})[0].empty());
  r.prompt.clear();
  EXPECT_THROW(engine.generate({r}), Error);
}

TEST(Generator, LongPromptIsPrefilledInChunks) {
  OptimizationConfig cfg;
  Engine engine(std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3", cfg);  // 提示超过夹具的上下文上限
  GenerationRequest r;
  for (int i = 0; i < Scheduler::kPrefillChunk + 37; ++i) r.prompt.push_back(int32_t((i * 7) % 500));
  r.max_new_tokens = 3;
  r.stop_at_eos = false;
  const auto chunked = engine.generate({r})[0];
  // 对照：逐段手动前向（一次前向全部提示）
  ForwardContext ctx = engine.context();
  KvCache cache = engine.make_cache();
  const int32_t s = cache.add_sequence();
  Batch b;
  for (size_t i = 0; i < r.prompt.size(); ++i) b.add(r.prompt[i], s, int64_t(i), i + 1 == r.prompt.size());
  ForwardOutputs out;
  engine.model().forward(ctx, b, cache, out);
  EXPECT_EQ(chunked[0], argmax(out.logits.data(), out.vocab));
}

}  // namespace
}  // namespace dsinfer
