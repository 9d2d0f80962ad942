// Scheduler：序列随时加入、取消；长提示分块预填充与别的序列的解码交错；结果与各序列单独运行相同
// （贪心逐 token 相同，不用与启用 MTP 都是）；结束与取消立即归还 KV 块。
#include "runtime/scheduler.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "runtime/engine.h"

namespace dsinfer {
namespace {

const std::string kV3 = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";
// 超过夹具上下文上限（256）的长提示用内置模型（2048）
const std::string kTiny = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";

OptimizationConfig config(int64_t draft_tokens) {
  OptimizationConfig c;
  c.threads = 2;
  c.mtp.enabled = draft_tokens > 0;
  c.mtp.draft_tokens = std::max<int64_t>(1, draft_tokens);
  return c;
}

GenerationRequest request(std::vector<int32_t> prompt, int64_t new_tokens) {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.max_new_tokens = new_tokens;
  r.stop_at_eos = false;
  return r;
}

std::vector<int32_t> long_prompt(int64_t n) {
  std::vector<int32_t> p;
  for (int64_t i = 0; i < n; ++i) p.push_back(int32_t((i * 7 + 3) % 500));
  return p;
}

// 各序列累计的输出与结束原因
struct Collected {
  std::map<SequenceId, std::vector<int32_t>> tokens;
  std::map<SequenceId, FinishReason> finish;
  void add(const StepResult& r) {
    for (const SequenceEvent& e : r.events) {
      auto& t = tokens[e.id];
      t.insert(t.end(), e.tokens.begin(), e.tokens.end());
      if (e.finish != FinishReason::kNone) finish[e.id] = e.finish;
    }
  }
};

// 单独运行一条请求（新的调度器）
std::vector<int32_t> alone(Engine& e, const OptimizationConfig& c, const GenerationRequest& r) {
  Scheduler s(e.model(), e.context(nullptr), c);
  const SequenceId id = s.add(r);
  Collected got;
  while (!s.idle()) got.add(s.step());
  EXPECT_EQ(got.finish[id], FinishReason::kLength);
  return got.tokens[id];
}

// A、B 先运行（贪心）；A 解码几步后加入 C（采样，固定种子）；再取消 B。A、C 的输出与单独运行相同，
// B 输出的是单独运行的前缀。
void add_to_running_batch_and_cancel(const std::string& model, int64_t k) {
  SCOPED_TRACE(model + " k " + std::to_string(k));
  const OptimizationConfig c = config(k);
  Engine e(model, c);
  const GenerationRequest a = request({5, 6, 7}, 24), b = request({100, 200, 300, 400}, 30);
  GenerationRequest later = request({42, 9}, 20);
  later.sampling = SamplingParams{1.0, 0, 1.0, 5};  // 采样：随机数只被这条序列消耗，与批次组成无关
  Scheduler s(e.model(), e.context(), c);
  Collected got;
  const SequenceId ia = s.add(a), ib = s.add(b);
  for (int i = 0; i < 4; ++i) got.add(s.step());
  EXPECT_EQ(s.state(ia), SequenceState::kDecoding);
  ASSERT_GT(got.tokens[ia].size(), 1u);
  const SequenceId ic = s.add(later);
  EXPECT_EQ(s.state(ic), SequenceState::kWaiting);
  for (int i = 0; i < 3; ++i) got.add(s.step());
  EXPECT_TRUE(s.cancel(ib));
  EXPECT_EQ(s.state(ib), SequenceState::kFinished);
  while (!s.idle()) got.add(s.step());
  EXPECT_FALSE(s.cancel(ib));
  EXPECT_THROW(s.cancel(ic + 1), Error);

  EXPECT_EQ(got.tokens[ia], alone(e, c, a));
  EXPECT_EQ(got.tokens[ic], alone(e, c, later));
  EXPECT_EQ(got.finish[ia], FinishReason::kLength);
  EXPECT_EQ(got.finish[ic], FinishReason::kLength);
  EXPECT_EQ(got.finish[ib], FinishReason::kCancelled);
  const auto full_b = alone(e, c, b);
  const auto& part_b = got.tokens[ib];
  ASSERT_LT(part_b.size(), full_b.size());
  EXPECT_EQ(part_b, std::vector<int32_t>(full_b.begin(), full_b.begin() + int64_t(part_b.size())));
  EXPECT_EQ(s.cache().used_bytes(), 0u);
  EXPECT_EQ(e.monitor().mtp_acceptance_by_depth().size(), size_t(k));
}

// 参考夹具（随机权重，草稿少被接受）与内置的训练模型（草稿常被接受，一步输出多个 token）
TEST(Scheduler, AddToRunningBatchAndCancelMatchRunningAlone) {
  for (const std::string& model : {kV3, kTiny})
    for (int64_t k : {0, 2, 3}) add_to_running_batch_and_cancel(model, k);
}

// 超过每步预算的提示分块预填充，每块与两条解码中的序列同批；输出与单独运行相同
TEST(Scheduler, ChunkedPrefillInterleavedWithDecodingEqualsRunningAlone) {
  for (int64_t k : {0, 2}) {
    const OptimizationConfig c = config(k);
    Engine e(kTiny, c);
    const GenerationRequest a = request({5, 6, 7}, 12), b = request({11, 12}, 12),
                            big = request(long_prompt(2 * Scheduler::kPrefillChunk + 37), 6);
    Scheduler s(e.model(), e.context(), c);
    Collected got;
    const SequenceId ia = s.add(a), ib = s.add(b);
    got.add(s.step());  // 两条短提示一起预填充
    const SequenceId ibig = s.add(big);
    for (int chunk = 0; chunk < 3; ++chunk) {
      const StepResult r = s.step();
      got.add(r);
      EXPECT_EQ(r.prefill_tokens, chunk < 2 ? Scheduler::kPrefillChunk : 37) << "k " << k;
      EXPECT_EQ(r.decode_rows, 2 * (k + 1)) << "k " << k;
      EXPECT_EQ(s.state(ibig), chunk < 2 ? SequenceState::kPrefilling : SequenceState::kDecoding);
    }
    while (!s.idle()) got.add(s.step());
    EXPECT_EQ(got.tokens[ia], alone(e, c, a)) << "k " << k;
    EXPECT_EQ(got.tokens[ib], alone(e, c, b)) << "k " << k;
    EXPECT_EQ(got.tokens[ibig], alone(e, c, big)) << "k " << k;
    EXPECT_EQ(s.cache().used_bytes(), 0u);
    EXPECT_GT(e.monitor().prefill_tokens(), 0);
    EXPECT_GT(e.monitor().decode_tokens(), 0);
  }
}

// 取消立即归还 KV 块（解码中、预填充中、排队中的都可以取消）；全部结束后缓存为空
TEST(Scheduler, CancelFreesKvBlocksImmediately) {
  for (int64_t k : {0, 3}) {
    OptimizationConfig c = config(k);
    c.max_batch = 2;
    Engine e(kTiny, c);
    Scheduler s(e.model(), e.context(nullptr), c);
    const SequenceId decoding = s.add(request({1, 2, 3}, 100));
    const SequenceId prefilling = s.add(request(long_prompt(2 * Scheduler::kPrefillChunk + 5), 100));
    const SequenceId waiting = s.add(request({4, 5}, 100));
    const SequenceId finishing = s.add(request({6, 7}, 3));
    for (int i = 0; i < 2; ++i) s.step();
    EXPECT_EQ(s.state(decoding), SequenceState::kDecoding);
    EXPECT_EQ(s.state(prefilling), SequenceState::kPrefilling);
    EXPECT_EQ(s.state(waiting), SequenceState::kWaiting);
    const size_t before = s.cache().used_bytes();
    s.cancel(decoding);
    const size_t after_one = s.cache().used_bytes();
    EXPECT_LT(after_one, before);
    s.cancel(prefilling);
    EXPECT_EQ(s.cache().used_bytes(), 0u);
    s.cancel(waiting);
    Collected got;
    while (!s.idle()) got.add(s.step());
    EXPECT_EQ(got.finish[decoding], FinishReason::kCancelled);
    EXPECT_EQ(got.finish[prefilling], FinishReason::kCancelled);
    EXPECT_EQ(got.finish[waiting], FinishReason::kCancelled);
    EXPECT_TRUE(got.tokens[waiting].empty());
    EXPECT_EQ(got.finish[finishing], FinishReason::kLength);
    EXPECT_EQ(got.tokens[finishing].size(), 3u);
    EXPECT_EQ(s.cache().used_bytes(), 0u);
  }
}

// 停止 token 结束的原因是 stop；max_new_tokens = 0 不预填充，直接以 length 结束
TEST(Scheduler, ReportsStopAndLengthReasons) {
  const OptimizationConfig c = config(0);
  Engine e(kV3, c);
  GenerationRequest r = request({5, 6, 7}, 10);
  const auto free_run = alone(e, c, r);
  r.stop_token_ids = {free_run[1]};
  Scheduler s(e.model(), e.context(nullptr), c);
  const SequenceId stopped = s.add(r);
  const SequenceId empty = s.add(request({5}, 0));
  Collected got;
  while (!s.idle()) got.add(s.step());
  EXPECT_EQ(got.finish[stopped], FinishReason::kStop);
  EXPECT_EQ(got.tokens[stopped].back(), free_run[1]);
  EXPECT_EQ(got.finish[empty], FinishReason::kLength);
  EXPECT_TRUE(got.tokens[empty].empty());
  EXPECT_THROW(s.add(request({}, 3)), Error);
}

// 前缀缓存：第二条请求的提示以第一条的提示 + 输出开头（多轮对话），只预填充新的部分；输出与关掉前缀缓存时相同
TEST(Scheduler, PrefixCacheReusesEarlierTurnsExactly) {
  for (bool cached : {true, false}) {
    OptimizationConfig c = config(0);
    c.prefix_cache = cached;
    Engine e(kTiny, c);
    Scheduler s(e.model(), e.context(), c);
    const GenerationRequest first = request(long_prompt(150), 20);
    Collected got;
    const SequenceId i1 = s.add(first);
    while (!s.idle()) got.add(s.step());
    GenerationRequest second = first;
    second.prompt.insert(second.prompt.end(), got.tokens[i1].begin(), got.tokens[i1].end());
    for (int32_t t : {11, 12, 13}) second.prompt.push_back(t);
    const int64_t before = e.monitor().prefill_tokens();
    const SequenceId i2 = s.add(second);
    int64_t cached_tokens = -1;
    while (!s.idle()) {
      const StepResult r = s.step();
      for (const SequenceEvent& ev : r.events)
        if (ev.id == i2 && ev.cached_prompt_tokens >= 0) cached_tokens = ev.cached_prompt_tokens;
      got.add(r);
    }
    const int64_t P = int64_t(second.prompt.size());  // 173：前 169 个（提示 + 输出的前 19 个）已在缓存里
    const int64_t block = c.kv_block_size;
    EXPECT_EQ(cached_tokens, cached ? (169 / block) * block : 0);
    EXPECT_EQ(e.monitor().prefill_tokens() - before, P - cached_tokens);
    EXPECT_EQ(got.tokens[i2], alone(e, c, second)) << "prefix_cache " << cached;
    EXPECT_EQ(s.cache().used_bytes(), 0u);
  }
}

}  // namespace
}  // namespace dsinfer
