// MTP 自推测解码的无损性：贪心输出与不用 MTP 时逐 token 相同（任意 k、batch 1 与 8、自适应）；
// 采样输出与不用 MTP 时同分布（卡方检验）。
#include "runtime/speculator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "runtime/engine.h"
#include "runtime/oracle_draft_source.h"

namespace dsinfer {
namespace {

const std::string kData = DSINFER_TEST_DATA_DIR;

std::vector<GenerationRequest> requests(int n, int64_t new_tokens, SamplingParams sp) {
  std::vector<GenerationRequest> r(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    r[size_t(i)].prompt = {int32_t(5 + i), int32_t(17 * i % 500), 42, int32_t(300 + i)};
    r[size_t(i)].max_new_tokens = new_tokens;
    r[size_t(i)].stop_at_eos = false;
    r[size_t(i)].sampling = sp;
  }
  return r;
}

OptimizationConfig config(int64_t k, bool adaptive, MlaMode mode) {
  OptimizationConfig c;
  c.threads = 2;
  c.mla_mode = mode;
  c.mtp.enabled = k > 0;
  c.mtp.draft_tokens = std::max<int64_t>(1, k);
  c.mtp.adaptive = adaptive;
  c.max_batch = 64;
  return c;
}

std::vector<std::vector<int32_t>> generate(const std::string& model, int64_t k, bool adaptive, MlaMode mode,
                                           const std::vector<GenerationRequest>& reqs,
                                           PerformanceMonitor* stats = nullptr) {
  Engine e(model, config(k, adaptive, mode));
  auto out = e.generate(reqs);
  if (stats) *stats = e.monitor();
  return out;
}

// 以已知续写作草稿（OracleDraftSource）生成；continuations[i] 为空的请求用 MTP 自己的草稿
std::vector<std::vector<int32_t>> generate_with_oracle(const std::string& model, int64_t k, MlaMode mode,
                                                       const std::vector<GenerationRequest>& reqs,
                                                       const std::vector<std::vector<int32_t>>& continuations,
                                                       PerformanceMonitor* stats) {
  const OptimizationConfig c = config(k, false, mode);
  Engine e(model, c);
  auto oracle = std::make_unique<OracleDraftSource>(e.model(), c);
  OracleDraftSource* known = oracle.get();
  Scheduler scheduler(e.model(), e.context(stats), c, std::move(oracle));
  return run_to_completion(scheduler, reqs, nullptr,
                           [&](size_t i, SequenceId id) { known->expect(id, continuations[i]); });
}

TEST(Speculator, GreedyOutputIsIdenticalForEveryDraftCountAndBatch) {
  // 参考夹具的随机权重模型与内置的训练模型（草稿常被接受，覆盖部分接受与全部接受的路径）
  for (const std::string& model : {kData + "/reference/v3-tiny", kData + "/reference/v3-tiny-bf16",
                                   std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3"}) {
    const std::string fixture = model.substr(model.rfind('/') + 1);
    for (int batch : {1, 8}) {
      const auto reqs = requests(batch, 20, SamplingParams{});
      const auto plain = generate(model, 0, false, MlaMode::kLatent, reqs);
      for (int64_t k : {1, 2, 3, 4, 8}) {
        PerformanceMonitor stats;
        EXPECT_EQ(generate(model, k, false, MlaMode::kLatent, reqs, &stats), plain)
            << fixture << " batch " << batch << " k " << k;
        EXPECT_EQ(stats.mtp_acceptance_by_depth().size(), size_t(k));
        EXPECT_GT(stats.phase_seconds(Phase::kMtpVerify), 0.0);
      }
      EXPECT_EQ(generate(model, 4, true, MlaMode::kExpanded, reqs), plain) << "自适应 " << fixture;
    }
  }
}

// 神谕草稿（已知的贪心续写）让接受路径得到充分覆盖：全对时每步接受 k 个；
// 每隔几个位置故意放错一个时在那里被拒绝、由验证给出正确 token——两种情况输出都与普通贪心相同。
TEST(Speculator, OracleDraftsAreAcceptedAndWrongOnesRejected) {
  const std::string model = kData + "/reference/v3-tiny";
  const auto reqs = requests(3, 40, SamplingParams{});
  const auto plain = generate(model, 0, false, MlaMode::kLatent, reqs);
  PerformanceMonitor all_right;
  EXPECT_EQ(generate_with_oracle(model, 4, MlaMode::kLatent, reqs, plain, &all_right), plain);
  EXPECT_EQ(all_right.mtp_acceptance_by_depth().size(), 4u);
  for (double a : all_right.mtp_acceptance_by_depth()) EXPECT_DOUBLE_EQ(a, 1.0);
  EXPECT_DOUBLE_EQ(all_right.mtp_mean_accepted(), 4.0);
  auto wrong = plain;
  for (size_t i = 0; i < wrong.size(); ++i)
    for (size_t j = 3; j < wrong[i].size(); j += 5) wrong[i][j] = (plain[i][j] + 1) % 512;
  PerformanceMonitor some_wrong;
  EXPECT_EQ(generate_with_oracle(model, 4, MlaMode::kExpanded, reqs, wrong, &some_wrong), plain);
  EXPECT_GT(some_wrong.mtp_mean_accepted(), 0.5);
  EXPECT_LT(some_wrong.mtp_mean_accepted(), 4.0);
}

// 两样本卡方：有无 MTP 时第 2、3 个生成 token 的联合分布相同（第 1 个 token 来自预填充，与 MTP 无关）
TEST(Speculator, SampledOutputsFollowTheSameDistribution) {
  const std::string model = kData + "/reference/v3-tiny";
  const int n = 3000;
  std::vector<GenerationRequest> reqs(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    reqs[size_t(i)].prompt = {5, 6, 7};
    reqs[size_t(i)].max_new_tokens = 3;
    reqs[size_t(i)].stop_at_eos = false;
    reqs[size_t(i)].sampling = SamplingParams{1.0, 4, 1.0, 1000};  // 每个请求种子 = 1000 + 序号
  }
  std::map<std::pair<int32_t, int32_t>, int> a, b;
  const auto plain = generate(model, 0, false, MlaMode::kLatent, reqs);
  for (const auto& r : plain) a[{r[1], r[2]}]++;
  // 另一组独立随机数；一半请求用 MTP 自己的草稿，一半用单点分布的“神谕”草稿（取第一组的结果，
  // 接受概率 = p(x)，覆盖接受与拒绝两条路径；草稿来源与第二组的随机数无关，输出分布仍应等于 p）
  auto reqs2 = reqs;
  std::vector<std::vector<int32_t>> oracle(reqs2.size());
  for (size_t i = 0; i < reqs2.size(); ++i) {
    reqs2[i].sampling.seed = 777777;
    if (i % 2) oracle[i] = plain[i];
  }
  PerformanceMonitor stats;
  for (const auto& r : generate_with_oracle(model, 2, MlaMode::kLatent, reqs2, oracle, &stats)) b[{r[1], r[2]}]++;
  EXPECT_GT(stats.mtp_mean_accepted(), 0.01);  // 确实有草稿被接受（3000 条序列中数十次）
  // 合并期望频数 < 10 的格子
  double chi2 = 0;
  int dof = -1, pooled_a = 0, pooled_b = 0;
  std::map<std::pair<int32_t, int32_t>, int> all = a;
  for (auto& [k, v] : b) all[k] += 0;
  for (const auto& [key, unused] : all) {
    const int x = a.count(key) ? a[key] : 0, y = b.count(key) ? b[key] : 0;
    if (x + y < 20) {
      pooled_a += x;
      pooled_b += y;
      continue;
    }
    chi2 += double(x - y) * double(x - y) / double(x + y);
    ++dof;
  }
  if (pooled_a + pooled_b > 0) {
    chi2 += double(pooled_a - pooled_b) * double(pooled_a - pooled_b) / double(pooled_a + pooled_b);
    ++dof;
  }
  ASSERT_GE(dof, 5);
  // 卡方分布上 0.001 分位点的 Wilson–Hilferty 近似
  const double z = 3.09, crit = dof * std::pow(1 - 2.0 / (9 * dof) + z * std::sqrt(2.0 / (9 * dof)), 3);
  EXPECT_LT(chi2, crit) << "dof " << dof;
}

// 截断的起草词表（只算前 N 个 token 的 logits）只改变草稿，不改变输出
TEST(Speculator, TruncatedDraftVocabularyKeepsGreedyOutput) {
  const std::string model = kData + "/reference/v3-tiny";
  const auto reqs = requests(4, 16, SamplingParams{});
  const auto plain = generate(model, 0, false, MlaMode::kLatent, reqs);
  OptimizationConfig c;
  c.threads = 2;
  c.mtp.enabled = true;
  c.mtp.draft_tokens = 3;
  c.mtp.draft_vocab = 100;
  Engine e(model, c);
  EXPECT_EQ(e.generate(reqs), plain);
  // 采样路径也能运行（q 在截断部分为 0）
  auto sampled = reqs;
  for (auto& r : sampled) r.sampling = SamplingParams{1.0, 0, 1.0, 5};
  for (const auto& r : e.generate(sampled)) EXPECT_EQ(r.size(), 16u);
}

// 长时间 k=0（自适应退回普通解码）后再起草：积压只追赶最近 kCatchUpWindow 个位置、MTP 缓存平移重建。
// 神谕草稿在平移之后仍全部被接受（位置换算正确），输出与普通贪心相同。
TEST(Speculator, DraftingAfterManyPlainStepsCatchesUpOnlyTheRecentWindow) {
  const std::string model_dir = kData + "/reference/v3-tiny";
  auto reqs = requests(1, 70, SamplingParams{});
  reqs[0].prompt = {5, 17, 42, 300, 7, 9};
  const auto plain = generate(model_dir, 0, false, MlaMode::kLatent, reqs)[0];

  const OptimizationConfig c = config(3, false, MlaMode::kLatent);
  DeepseekModel model(model_dir, ModelOptions{});
  ThreadPool pool(2);
  PerformanceMonitor monitor;
  auto oracle = std::make_unique<OracleDraftSource>(model, c);
  OracleDraftSource* known = oracle.get();
  Scheduler scheduler(model, ForwardContext{kernels::KernelContext(pool), &monitor}, c, std::move(oracle));
  const SequenceId id = scheduler.add(reqs[0]);
  known->expect(id, plain);
  // 一步：输出的 token（本测试只有一条序列）
  auto step = [&](int64_t k) {
    const StepResult r = scheduler.step(k);
    return r.events.empty() ? std::vector<int32_t>{} : r.events[0].tokens;
  };
  std::vector<int32_t> got = step(0);  // 预填充 + 第一个 token
  ASSERT_EQ(got, std::vector<int32_t>{plain[0]});
  for (int i = 0; i < 40; ++i) {
    const auto emitted = step(0);
    ASSERT_EQ(emitted.size(), 1u);
    got.push_back(emitted[0]);
  }
  while (got.size() + 4 <= plain.size()) {
    const auto emitted = step(3);
    EXPECT_EQ(emitted.size(), 4u) << "神谕草稿应全部被接受";
    got.insert(got.end(), emitted.begin(), emitted.end());
  }
  EXPECT_EQ(got, std::vector<int32_t>(plain.begin(), plain.begin() + int64_t(got.size())));
  EXPECT_DOUBLE_EQ(monitor.mtp_mean_accepted(), 3.0);
}

TEST(AdaptiveDraft, ExploresUpwardWhileDeeperDraftsPayOff) {
  AdaptiveDraft a(3);
  EXPECT_EQ(a.choose(), 0);
  a.observe(0, std::vector<int64_t>(4, 0), 0.01, 4);  // 冷启动的第一步普通解码不计入
  for (int64_t k = 0; k <= 3; ++k) {
    EXPECT_EQ(a.choose(), k);
    // 每个深度都被接受，每多起草一个只多花 10% 时间：越深越快
    a.observe(k, std::vector<int64_t>(4, k), 0.01 * (1.0 + 0.1 * double(k)), 4);
  }
  EXPECT_DOUBLE_EQ(a.expected_tokens(3), 4.0);
  EXPECT_EQ(a.choose(), 3);
}

TEST(AdaptiveDraft, StopsExploringAndFallsBackToPlainDecodingWhenDraftsDoNotPay) {
  AdaptiveDraft a(4);
  // 冷启动的第一步普通解码极慢（1 秒）：若计入，k=1 会显得划算；它被丢弃，再测一步
  EXPECT_EQ(a.choose(), 0);
  a.observe(0, std::vector<int64_t>(4, 0), 1.0, 4);
  for (int64_t k = 0; k <= 1; ++k) {
    EXPECT_EQ(a.choose(), k);
    // 深度 1 总被接受，但起草一个让每步慢到 2.5 倍：k=1 的速率 2/0.025 < k=0 的 1/0.01
    a.observe(k, std::vector<int64_t>(4, k), k == 0 ? 0.01 : 0.025, 4);
  }
  EXPECT_DOUBLE_EQ(a.expected_tokens(0), 1.0);
  EXPECT_DOUBLE_EQ(a.expected_tokens(1), 2.0);
  // 不再试 k ≥ 2；除间隔越来越长的相邻试探（256、1024 … 步一次）外都选 k=0
  int zeros = 0;
  for (int i = 0; i < 318; ++i) zeros += a.choose() == 0;
  EXPECT_EQ(zeros, 317);
}

}  // namespace
}  // namespace dsinfer
