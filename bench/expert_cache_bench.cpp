// 专家缓存的命中率与读盘量：在真实检查点上建 TieredExpertStore，用合成的偏斜路由驱动它（不做矩阵计算）。
// 随机权重的模型路由近乎均匀，不能代表真实模型；这里用 Zipf(s) 分布（每层一个随机的专家排名）生成路由，
// s = 0 即均匀。frequency 策略的专家统计来自另一条同分布、不同种子的轨迹（相当于 profile-experts 的输出）。
// 用法：expert_cache_bench <模型目录> <每层槽位数> <lru|frequency> <zipf_s> [token 数=256] [种子=1]
// 输出一行 JSON：hit_rate、bytes_read_per_token、read_gbps、每 token 读盘的墙钟秒数。
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "model/tiered_expert_store.h"
#include "monitor/performance_monitor.h"

namespace dsinfer {
namespace {

// 每层的路由分布：专家 rank[r] 的概率 ∝ 1 / (r + 1)^s
struct SkewedRouter {
  std::vector<std::vector<int32_t>> rank;  // [层][名次] → 专家
  std::vector<double> weight;              // [名次]
  int64_t k;

  SkewedRouter(int64_t layers, int64_t experts, int64_t top_k, double s, uint32_t seed) : k(top_k) {
    std::mt19937 rng(seed);
    rank.resize(size_t(layers));
    for (auto& r : rank) {
      r.resize(size_t(experts));
      std::iota(r.begin(), r.end(), 0);
      std::shuffle(r.begin(), r.end(), rng);
    }
    for (int64_t i = 0; i < experts; ++i) weight.push_back(1.0 / std::pow(double(i + 1), s));
  }
  // 按权重不放回地抽 k 个
  std::vector<int32_t> route(int64_t layer, std::mt19937& rng) const {
    std::vector<double> w = weight;
    std::vector<int32_t> out;
    for (int64_t j = 0; j < k; ++j) {
      std::discrete_distribution<size_t> pick(w.begin(), w.end());
      const size_t r = pick(rng);
      w[r] = 0;
      out.push_back(rank[size_t(layer)][r]);
    }
    return out;
  }
};

int run(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "用法: %s <模型目录> <每层槽位数> <lru|frequency> <zipf_s> [token 数] [种子]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t slots = std::atoll(argv[2]);
  const std::string policy = argv[3];
  const double s = std::atof(argv[4]);
  const int64_t tokens = argc > 5 ? std::atoll(argv[5]) : 256;
  const uint32_t seed = argc > 6 ? uint32_t(std::atoi(argv[6])) : 1;

  const ModelConfig config = load_model_config(dir);
  const Checkpoint ckpt(dir);
  std::vector<int64_t> moe_layers;
  for (int64_t l = 0; l < config.num_hidden_layers; ++l)
    if (config.is_moe_layer(l)) moe_layers.push_back(l);
  const int64_t L = config.num_hidden_layers, E = config.n_routed_experts, k = config.num_experts_per_tok;
  const SkewedRouter router(L, E, k, s, seed);

  TieredExpertStoreOptions o;
  o.slots_per_layer = slots;
  o.policy = policy == "frequency" ? ExpertCachePolicy::kFrequency : ExpertCachePolicy::kLru;
  if (o.policy == ExpertCachePolicy::kFrequency) {
    std::mt19937 rng(seed + 1000);
    for (int64_t l : moe_layers) o.expert_counts[l].assign(size_t(E), 0);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t l : moe_layers)
        for (int32_t e : router.route(l, rng)) ++o.expert_counts[l][size_t(e)];
  }
  TieredExpertStore store(config, ckpt, o);
  for (int64_t l : moe_layers) store.add_layer(l);

  PerformanceMonitor monitor;
  std::mt19937 rng(seed);
  std::vector<const ExpertWeights*> views(static_cast<size_t>(k));
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t l : moe_layers) {
      std::vector<int32_t> experts = router.route(l, rng);
      for (int64_t done = 0; done < k;)
        done += store.acquire(l, experts.data() + done, k - done, views.data(), &monitor);
    }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const ExpertCacheStats& c = monitor.expert_cache();
  std::printf(
      "{\"model\": \"%s\", \"slots_per_layer\": %lld, \"pinned_per_layer\": %lld, \"pins_released\": %lld, \"policy\": "
      "\"%s\", \"zipf_s\": "
      "%.2f, "
      "\"tokens\": %lld, \"hit_rate\": %.4f, \"bytes_read_per_token\": %.0f, \"read_gbps\": %.3f, "
      "\"seconds_per_token\": %.4f}\n",
      dir.c_str(), (long long)slots, (long long)store.pinned_per_layer(), (long long)c.pins_released, policy.c_str(), s,
      (long long)tokens, c.hit_rate(), double(c.bytes_read) / double(tokens), c.read_gbps(), seconds / double(tokens));
  return 0;
}

}  // namespace
}  // namespace dsinfer

int main(int argc, char** argv) {
  try {
    return dsinfer::run(argc, argv);
  } catch (const dsinfer::Error& e) {
    std::fprintf(stderr, "错误: %s\n", e.what());
    return 1;
  }
}
