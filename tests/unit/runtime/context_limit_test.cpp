// 上下文上限：超长的提示在运行前被拒绝（整批一起检查）；生成到达上限以 length 结束，输出是不设上限时的
// 前缀、恰好停在上限（不用与启用 MTP 都是），缓存从不越过上限；同批的其他序列不受影响。
#include "runtime/context_limit.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "runtime/engine.h"

namespace dsinfer {
namespace {

const std::string kTiny = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";
const std::string kV3 = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";

OptimizationConfig config(int64_t draft_tokens, int64_t max_context) {
  OptimizationConfig c;
  c.threads = 2;
  c.max_context = max_context;
  c.mtp.enabled = draft_tokens > 0;
  c.mtp.draft_tokens = std::max<int64_t>(1, draft_tokens);
  return c;
}

GenerationRequest request(int64_t prompt_tokens, int64_t new_tokens) {
  GenerationRequest r;
  for (int64_t i = 0; i < prompt_tokens; ++i) r.prompt.push_back(int32_t((i * 7 + 3) % 500));
  r.max_new_tokens = new_tokens;
  r.stop_at_eos = false;
  return r;
}

struct Outcome {
  std::map<SequenceId, std::vector<int32_t>> tokens;
  std::map<SequenceId, FinishReason> finish;
  size_t peak_kv_bytes = 0;
};

// 推进到全部结束；记录每步之后缓存的最大占用
Outcome run(Scheduler& s) {
  Outcome got;
  while (!s.idle()) {
    for (const SequenceEvent& e : s.step().events) {
      auto& t = got.tokens[e.id];
      t.insert(t.end(), e.tokens.begin(), e.tokens.end());
      if (e.finish != FinishReason::kNone) got.finish[e.id] = e.finish;
    }
    got.peak_kv_bytes = std::max(got.peak_kv_bytes, s.cache().used_bytes());
  }
  return got;
}

std::vector<int32_t> prefix(const std::vector<int32_t>& v, size_t n) {
  return std::vector<int32_t>(v.begin(), v.begin() + std::min(n, v.size()));
}

TEST(ContextLimit, DefaultsToMaxPositionEmbeddingsAndRejectsLargerValues) {
  ModelConfig m;
  m.max_position_embeddings = 2048;
  EXPECT_EQ(context_limit(m, config(0, 0)), 2048);
  EXPECT_EQ(context_limit(m, config(0, 64)), 64);
  EXPECT_EQ(context_limit(m, config(0, 2048)), 2048);
  try {
    context_limit(m, config(0, 4096));
    FAIL() << "应抛出";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("4096"), std::string::npos) << msg;
    EXPECT_NE(msg.find("2048"), std::string::npos) << msg;
  }
}

// 提示加 1 个新 token 须在上限之内；一批中任一请求超长，整批都不开始
TEST(ContextLimit, PromptLongerThanContextIsRejectedBeforeAnythingRuns) {
  const OptimizationConfig c = config(0, 64);
  Engine e(kV3, c);
  EXPECT_EQ(e.context_limit(), 64);
  Scheduler s(e.model(), e.context(nullptr), c);
  EXPECT_EQ(s.context_limit(), 64);
  EXPECT_EQ(s.validate(request(63, 5)), "");
  const std::string msg = s.validate(request(64, 5));
  EXPECT_NE(msg.find("提示有 64 个 token，超过上下文上限 64"), std::string::npos) << msg;
  EXPECT_THROW(s.add(request(100, 5)), Error);
  try {
    run_to_completion(s, {request(5, 3), request(70, 3)});
    FAIL() << "应抛出";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(err.what()).find("第 1 个请求：提示有 70 个 token，超过上下文上限 64"), std::string::npos)
        << err.what();
  }
  EXPECT_TRUE(s.idle());
  EXPECT_EQ(s.cache().used_bytes(), 0u);
  // 默认上限是模型的 max_position_embeddings（夹具为 256）
  Engine unlimited(kV3, config(0, 0));
  EXPECT_EQ(unlimited.context_limit(), 256);
}

// 到达上限：length 结束、提示 + 输出恰好等于上限、输出是不设上限时的前缀；缓存从不越过上限
TEST(ContextLimit, GenerationStopsExactlyAtTheLimit) {
  const int64_t limit = 64, P = 10;
  for (int64_t k : {0, 1, 3}) {
    SCOPED_TRACE("k " + std::to_string(k));
    Engine free_engine(kTiny, config(k, 0));
    Scheduler free_s(free_engine.model(), free_engine.context(nullptr), config(k, 0));
    const SequenceId free_id = free_s.add(request(P, 100));
    const Outcome free_run = run(free_s);

    const OptimizationConfig c = config(k, limit);
    Engine e(kTiny, c);
    Scheduler s(e.model(), e.context(nullptr), c);
    const SequenceId id = s.add(request(P, 100));
    const Outcome got = run(s);
    EXPECT_EQ(got.finish.at(id), FinishReason::kLength);
    ASSERT_EQ(int64_t(got.tokens.at(id).size()), limit - P);
    EXPECT_EQ(got.tokens.at(id), prefix(free_run.tokens.at(free_id), size_t(limit - P)));
    EXPECT_LE(got.peak_kv_bytes, size_t(limit - 1) * s.cache().bytes_per_token());
    EXPECT_EQ(s.cache().used_bytes(), 0u);
  }
}

// 同批混合长短提示：长的到达上限先结束（临近上限时只有它少起草），短的照常生成到 max_new_tokens，
// 输出与单独运行相同
TEST(ContextLimit, MixedBatchOnlyTheLongSequenceHitsTheLimit) {
  const int64_t limit = 64;
  for (int64_t k : {0, 2, 4}) {
    SCOPED_TRACE("k " + std::to_string(k));
    const OptimizationConfig c = config(k, limit);
    Engine e(kTiny, c);
    const GenerationRequest longer = request(50, 30);
    GenerationRequest shorter = request(5, 30);
    shorter.sampling = SamplingParams{1.0, 0, 1.0, 5};  // 采样：随机数的消耗不受同批序列临近上限的影响
    Scheduler alone(e.model(), e.context(nullptr), c);
    const SequenceId alone_id = alone.add(shorter);
    const std::vector<int32_t> expected = run(alone).tokens.at(alone_id);

    Scheduler s(e.model(), e.context(nullptr), c);
    const SequenceId il = s.add(longer), is = s.add(shorter);
    const Outcome got = run(s);
    EXPECT_EQ(got.finish.at(il), FinishReason::kLength);
    EXPECT_EQ(got.tokens.at(il).size(), size_t(limit - 50));
    EXPECT_EQ(got.finish.at(is), FinishReason::kLength);
    EXPECT_EQ(got.tokens.at(is), expected);
    EXPECT_EQ(got.tokens.at(is).size(), 30u);
  }
}

}  // namespace
}  // namespace dsinfer
