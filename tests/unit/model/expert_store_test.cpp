// 专家存储：任意预算、策略与预取下，logits 与全部常驻时逐位相同（参考夹具的三种模型形状，
// FP8 / F16 / BF16 存储）；每层只有 1 个槽位时按波计算；读盘错误、缺张量、预算不足都给出清楚的错误。
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "e2e/cli.h"
#include "formats/safetensors.h"
#include "model/deepseek_model.h"
#include "model/tiered_expert_store.h"
#include "parity/storage_variant.h"

namespace dsinfer {
namespace {

using testing_support::ScratchDir;

const std::string kData = std::string(DSINFER_TEST_DATA_DIR) + "/reference/";

// 每个 MoE 层正好 slots 个槽位的预算（KV 预留 64 个 token）
MemoryRequest request_for_slots(const std::string& dir, int64_t slots) {
  const ModelConfig c = load_model_config(dir);
  const Checkpoint ckpt(dir);
  MemoryRequest r;
  r.context_tokens = 64;
  r.chunk_tokens = 16;
  r.threads = 2;
  const MemoryPlan p = plan_memory(c, ckpt, r);
  r.budget_bytes = p.fixed_bytes() + uint64_t(slots * p.moe_layers) * p.slot_bytes;
  return r;
}

ModelOptions budget_options(const std::string& dir, int64_t slots, bool prefetch,
                            ExpertCachePolicy policy = ExpertCachePolicy::kLru) {
  ModelOptions o(MlaMode::kLatent);
  o.memory = request_for_slots(dir, slots);
  o.experts.prefetch_next_layer = prefetch;
  o.experts.policy = policy;
  return o;
}

struct RunResult {
  std::vector<float> logits;  // 预填充的全部行 + 每步解码一行，依次拼接
  ExpertCacheStats stats;
  int64_t slots = 0;
};

// 预填充 9 个 token（全部输出），再逐个解码 6 个固定 token
RunResult run_model(const std::string& dir, const ModelOptions& options) {
  ThreadPool pool(2);
  PerformanceMonitor monitor;
  ForwardContext ctx{kernels::KernelContext(pool), &monitor};
  DeepseekModel m(dir, options);
  KvCache cache = m.make_cache(DType::kF32);
  const int32_t s = cache.add_sequence();
  const std::vector<int32_t> prompt = {478, 217, 414, 117, 21, 348, 263, 9, 99}, next = {5, 77, 301, 12, 250, 3};
  RunResult r;
  Batch b;
  for (size_t i = 0; i < prompt.size(); ++i) b.add(prompt[i], s, int64_t(i), true);
  ForwardOutputs out;
  m.forward(ctx, b, cache, out);
  r.logits.assign(out.logits.data(), out.logits.data() + out.n_out * out.vocab);
  for (size_t i = 0; i < next.size(); ++i) {
    Batch d;
    d.add(next[i], s, int64_t(prompt.size() + i), true);
    m.forward(ctx, d, cache, out);
    r.logits.insert(r.logits.end(), out.logits.data(), out.logits.data() + out.vocab);
  }
  r.stats = monitor.expert_cache();
  r.slots = m.memory_plan().slots_per_layer;
  return r;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// v2lite-tiny 只有一个 MoE 层（没有“下一层”可预取），所以只在不预取时用它
struct Case {
  std::string model;
  int64_t slots;
  bool prefetch;
};
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model << " slots=" << c.slots << (c.prefetch ? " prefetch" : "");
}

class BudgetExactness : public testing::TestWithParam<Case> {};

TEST_P(BudgetExactness, LogitsAreBitwiseIdenticalToResident) {
  const std::string dir = kData + GetParam().model;
  const RunResult resident = run_model(dir, ModelOptions(MlaMode::kLatent));
  const RunResult budget = run_model(dir, budget_options(dir, GetParam().slots, GetParam().prefetch));
  EXPECT_EQ(budget.slots, GetParam().slots);
  EXPECT_TRUE(bitwise_equal(resident.logits, budget.logits));
  // 槽位比专家少：确实发生了逐出（读盘的专家数超过槽位总数），否则这个测试什么也没证明
  const ModelConfig c = load_model_config(dir);
  EXPECT_GT(budget.stats.misses(), GetParam().slots * int64_t(budget.stats.layers.size()));
  EXPECT_LT(GetParam().slots, c.n_routed_experts);
  if (GetParam().prefetch) {
    EXPECT_GT(budget.stats.prefetch_issued, 0);
  } else {
    EXPECT_EQ(budget.stats.prefetch_issued, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BudgetExactness,
                         testing::Values(Case{"v3-tiny", 1, false}, Case{"v3-tiny", 2, true}, Case{"v3-tiny", 5, true},
                                         Case{"v2-tiny", 1, true}, Case{"v2-tiny", 3, false},
                                         Case{"v2lite-tiny", 2, false}, Case{"v3-tiny-bf16", 4, true}),
                         [](const testing::TestParamInfo<Case>& i) {
                           std::string n = i.param.model + "_" + std::to_string(i.param.slots) +
                                           (i.param.prefetch ? "_prefetch" : "");
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

TEST(ExpertStoreTest, FrequencyPolicyPinsHottestAndStaysExact) {
  const std::string dir = kData + "v3-tiny";
  const RunResult resident = run_model(dir, ModelOptions(MlaMode::kLatent));
  ModelOptions o = budget_options(dir, 6, true, ExpertCachePolicy::kFrequency);
  const ModelConfig c = load_model_config(dir);
  for (int64_t l = 1; l < c.num_hidden_layers; ++l) {
    std::vector<uint64_t> counts(size_t(c.n_routed_experts));
    for (size_t e = 0; e < counts.size(); ++e) counts[e] = (e * 7 + size_t(l)) % 13;
    o.experts.expert_counts[l] = counts;
  }
  const RunResult r = run_model(dir, o);
  EXPECT_TRUE(bitwise_equal(resident.logits, r.logits));
  // 6 个槽位、top-3、有预取：轮换槽位留 2 × top-k = 6 个，不钉住；不预取时钉住 3 个最热的专家
  DeepseekModel with_prefetch(dir, o);
  ASSERT_NE(with_prefetch.tiered_experts(), nullptr);
  EXPECT_EQ(with_prefetch.tiered_experts()->pinned_per_layer(), 0);
  o.experts.prefetch_next_layer = false;
  const RunResult pinned = run_model(dir, o);
  EXPECT_TRUE(bitwise_equal(resident.logits, pinned.logits));
  DeepseekModel m(dir, o);
  ASSERT_NE(m.tiered_experts(), nullptr);
  EXPECT_EQ(m.tiered_experts()->pinned_per_layer(), 3);
}

TEST(ExpertStoreTest, FrequencyPolicyWithoutStatsIsAConfigError) {
  const std::string dir = kData + "v3-tiny";
  try {
    DeepseekModel m(dir, budget_options(dir, 4, false, ExpertCachePolicy::kFrequency));
    FAIL() << "应当抛出";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(std::string(e.what()).find("moe.expert_stats"), std::string::npos) << e.what();
  }
}

class StorageUnderBudget : public testing::TestWithParam<DType> {};

TEST_P(StorageUnderBudget, QuantizedExpertsAreReadExactly) {
  ScratchDir d;
  testing_support::write_storage_variant(kData + "v3-tiny", GetParam(), d.file("q"), d.file("ref"));
  const RunResult resident = run_model(d.file("q"), ModelOptions(MlaMode::kLatent));
  const RunResult budget = run_model(d.file("q"), budget_options(d.file("q"), 2, true));
  EXPECT_TRUE(bitwise_equal(resident.logits, budget.logits));
  EXPECT_GT(budget.stats.misses(), 0);
}

INSTANTIATE_TEST_SUITE_P(AllStorage, StorageUnderBudget, testing::Values(DType::kF8E4M3, DType::kF16, DType::kBF16),
                         [](const testing::TestParamInfo<DType>& i) {
                           return std::string(i.param == DType::kF8E4M3 ? "fp8"
                                                                        : (i.param == DType::kF16 ? "f16" : "bf16"));
                         });

TEST(ExpertStoreTest, BudgetBelowResidentPartNamesTheShortfall) {
  const std::string dir = kData + "v3-tiny";
  ModelOptions o(MlaMode::kLatent);
  o.memory = request_for_slots(dir, 1);
  o.memory.budget_bytes -= 1;  // 差 1 字节放不下每层 1 个槽位
  try {
    DeepseekModel m(dir, o);
    FAIL() << "应当抛出";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("常驻权重"), std::string::npos) << msg;
    EXPECT_NE(msg.find("还差"), std::string::npos) << msg;
  }
}

// 复制 v3-tiny，去掉（或改动）一个专家张量
void copy_without(const std::string& dst, const std::string& drop, const std::string& reshape = "") {
  const std::string src = kData + "v3-tiny";
  const Checkpoint ckpt(src);
  std::vector<TensorToWrite> tensors;
  for (const auto& [name, t] : ckpt.tensors()) {
    if (name == drop) continue;
    TensorToWrite w{name, t->dtype, t->shape, t->data};
    if (name == reshape) w.shape = {t->shape[1], t->shape[0]};
    tensors.push_back(w);
  }
  std::filesystem::create_directories(dst);
  std::filesystem::copy_file(src + "/config.json", dst + "/config.json");
  write_safetensors(dst + "/model.safetensors", tensors);
}

TEST(ExpertStoreTest, MissingOrMisshapenExpertTensorIsNamedAtLoad) {
  ScratchDir d;
  const std::string missing = "model.layers.2.mlp.experts.7.up_proj.weight";
  copy_without(d.file("missing"), missing);
  copy_without(d.file("shape"), "", "model.layers.3.mlp.experts.0.down_proj.weight");
  for (const std::string& model : {d.file("missing"), d.file("shape")})
    for (bool budget : {false, true}) {
      try {
        DeepseekModel m(model, budget ? budget_options(model, 2, false) : ModelOptions(MlaMode::kLatent));
        FAIL() << "应当抛出";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kFormat);
        const std::string want = model == d.file("missing") ? missing : "experts.0.down_proj";
        EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      }
    }
}

TEST(ExpertStoreTest, DiskReadErrorDuringForwardNamesFileAndTensor) {
  ScratchDir d;
  copy_without(d.file("m"), "");
  const std::string file = d.file("m") + "/model.safetensors";
  DeepseekModel m(d.file("m"), budget_options(d.file("m"), 1, false));
  // 模型加载之后文件被截断（磁盘被换掉、文件被改写）：读专家时必须报错，而不是算出垃圾
  const Checkpoint ckpt(d.file("m"));
  uint64_t first_expert = UINT64_MAX;
  for (const auto& [name, t] : ckpt.tensors())
    if (name.find(".mlp.experts.") != std::string::npos) first_expert = std::min(first_expert, t->offset);
  ASSERT_EQ(::truncate(file.c_str(), off_t(first_expert)), 0);
  ThreadPool pool(1);
  ForwardContext ctx{kernels::KernelContext(pool), nullptr};
  KvCache cache = m.make_cache(DType::kF32);
  Batch b;
  b.add(5, cache.add_sequence(), 0, true);
  ForwardOutputs out;
  try {
    m.forward(ctx, b, cache, out);
    FAIL() << "应当抛出";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(".mlp.experts."), std::string::npos) << msg;
  }
}

TEST(ExpertStoreTest, WavesNeverHoldMoreExpertsThanSlots) {
  const std::string dir = kData + "v3-tiny";
  const ModelConfig c = load_model_config(dir);
  const Checkpoint ckpt(dir);
  TieredExpertStoreOptions o;
  o.slots_per_layer = 2;
  TieredExpertStore store(c, ckpt, o);
  store.add_layer(1);
  std::vector<int32_t> experts = {0, 3, 5, 7, 11};
  std::vector<const ExpertWeights*> out(experts.size());
  PerformanceMonitor monitor;
  size_t done = 0;
  int waves = 0;
  while (done < experts.size()) {
    const int64_t m = store.acquire(1, experts.data() + done, int64_t(experts.size() - done), out.data(), &monitor);
    ASSERT_GE(m, 1);
    ASSERT_LE(m, 2);
    for (int64_t i = 0; i < m; ++i) {
      // 读入的就是该专家的字节
      const TensorInfo& t =
          ckpt.tensor(cat("model.layers.1.mlp.experts.", experts[done + size_t(i)], ".gate_proj.weight"));
      EXPECT_EQ(std::memcmp(out[size_t(i)]->gate.data, t.data, t.nbytes), 0);
    }
    done += size_t(m);
    ++waves;
  }
  EXPECT_EQ(waves, 3);
  EXPECT_EQ(monitor.expert_cache().misses(), 5);
  // 再要最近读入的那个：命中，不读盘
  const uint64_t before = monitor.expert_cache().bytes_read;
  int32_t again = 11;
  EXPECT_EQ(store.acquire(1, &again, 1, out.data(), &monitor), 1);
  EXPECT_EQ(monitor.expert_cache().bytes_read, before);
  EXPECT_EQ(monitor.expert_cache().hits(), 1);
}

// 已驻留的专家先返回，未命中的在调用者计算这一波时继续读；命中与未命中各只计一次
TEST(ExpertStoreTest, ReadyExpertsComeFirstWhileMissesLoad) {
  const std::string dir = kData + "v3-tiny";
  const ModelConfig c = load_model_config(dir);
  const Checkpoint ckpt(dir);
  TieredExpertStoreOptions o;
  o.slots_per_layer = 4;
  TieredExpertStore store(c, ckpt, o);
  store.add_layer(1);
  PerformanceMonitor monitor;
  std::vector<const ExpertWeights*> out(3);
  int32_t first = 2;
  ASSERT_EQ(store.acquire(1, &first, 1, out.data(), &monitor), 1);
  std::vector<int32_t> experts = {9, 2, 4};  // 2 已驻留，9 与 4 要读盘
  size_t done = 0;
  std::vector<int32_t> order;
  while (done < experts.size()) {
    const int64_t m = store.acquire(1, experts.data() + done, int64_t(experts.size() - done), out.data(), &monitor);
    ASSERT_GE(m, 1);
    for (int64_t i = 0; i < m; ++i) {
      const int32_t e = experts[done + size_t(i)];
      order.push_back(e);
      const TensorInfo& t = ckpt.tensor(cat("model.layers.1.mlp.experts.", e, ".down_proj.weight"));
      EXPECT_EQ(std::memcmp(out[size_t(i)]->down.data, t.data, t.nbytes), 0) << e;
    }
    done += size_t(m);
  }
  EXPECT_EQ(order.front(), 2);  // 命中的那个在第一波（读盘还没完成时它已可算）
  std::vector<int32_t> rest(order.begin() + 1, order.end());  // 其余两个按谁先读完的顺序
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, (std::vector<int32_t>{4, 9}));
  EXPECT_EQ(monitor.expert_cache().hits(), 1);
  EXPECT_EQ(monitor.expert_cache().misses(), 3);
}

// 统计说热、实际不用的专家在一个复核窗口后解除钉住；实际常用的保持钉住
TEST(ExpertStoreTest, PinsThatDoNotPayAreReleased) {
  const std::string dir = kData + "v3-tiny";
  const ModelConfig c = load_model_config(dir);
  const Checkpoint ckpt(dir);
  TieredExpertStoreOptions o;
  o.slots_per_layer = 8;
  o.policy = ExpertCachePolicy::kFrequency;
  std::vector<uint64_t> counts(size_t(c.n_routed_experts), 1);
  for (size_t e = 0; e < 5; ++e) counts[e] = 100 - e;  // 统计说 0..4 最热
  o.expert_counts[1] = counts;
  TieredExpertStore store(c, ckpt, o);
  store.add_layer(1);
  ASSERT_EQ(store.pinned_per_layer(), 5);  // 8 个槽位 − top-3
  PerformanceMonitor monitor;
  std::vector<const ExpertWeights*> out(3);
  // 每次都要专家 0（钉住的里只有它真的被用到），另两个在 6..9 中轮换
  for (int64_t t = 0; t < TieredExpertStore::kReviewWindow; ++t) {
    std::vector<int32_t> experts = {0, int32_t(6 + t % 4), int32_t(6 + (t + 1) % 4)};
    int64_t done = 0;
    while (done < 3) done += store.acquire(1, experts.data() + done, 3 - done, out.data(), &monitor);
    EXPECT_EQ(monitor.expert_cache().pins_released, t + 1 < TieredExpertStore::kReviewWindow ? 0 : 4) << t;
  }
  // 解除后的槽位参与轮换：6..9 四个专家一轮之后都留得住，之后全部命中（只剩 3 个轮换槽位时每次都要读一个）
  int64_t misses = 0;
  for (int64_t t = 0; t < 12; ++t) {
    if (t == 4) misses = monitor.expert_cache().misses();
    std::vector<int32_t> experts = {0, int32_t(6 + t % 4), int32_t(6 + (t + 1) % 4)};
    int64_t done = 0;
    while (done < 3) done += store.acquire(1, experts.data() + done, 3 - done, out.data(), &monitor);
  }
  EXPECT_EQ(monitor.expert_cache().misses(), misses);
}

}  // namespace
}  // namespace dsinfer
