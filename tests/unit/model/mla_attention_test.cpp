// latent 模式下长的一段查询按 expanded 方式（把潜向量键解压成每头 K/V）计算时，键按窗口解压、
// 各窗口的结果按 log-sum-exp 合并：窗口小于上下文时与一次解压、与 expanded 模式的结果一致。
#include "model/mla_attention.h"

#include <gtest/gtest.h>

#include <random>

namespace dsinfer {
namespace {

const std::string kDir = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";

struct Instance {
  ModelConfig config = load_model_config(kDir);
  Checkpoint ckpt{kDir};
  MlaScratch scratch;
  MlaAttention attn;
  KvCache cache;
  int32_t seq;
  Instance(MlaMode mode, int64_t window)
      : attn(config, ckpt, "model.layers.1.self_attn", mode, scratch),
        cache(1, MlaAttention::cache_row_values(config, mode), DType::kF32) {
    if (window > 0) attn.set_expand_window_keys(window);
    seq = cache.add_sequence();
  }
  // 位置 [p0, p1) 的一段，x 为 [p1 − p0, hidden]
  std::vector<float> forward(ThreadPool& pool, const std::vector<float>& x, int64_t p0, int64_t p1) {
    Batch b;
    for (int64_t p = p0; p < p1; ++p) b.add(0, seq, p, true);
    cache.prepare(b);
    ForwardContext ctx{kernels::KernelContext(pool), nullptr};
    std::vector<float> out(x.size());
    attn.forward(ctx, x.data(), b, cache, 0, out.data());
    cache.commit(b);
    return out;
  }
};

std::vector<float> random_rows(int64_t n, int64_t hidden, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * hidden));
  for (auto& v : x) v = d(rng);
  return x;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  EXPECT_LT(worst, tol) << what;
}

TEST(MlaAttention, WindowedKeyExpansionMatchesSingleWindow) {
  ThreadPool pool(2);
  const int64_t hidden = load_model_config(kDir).hidden_size;
  // 一段从 0 开始的 200 个查询，再接 50 个（前 200 个键全部可见，后 50 个因果可见）
  const std::vector<float> x1 = random_rows(200, hidden, 1), x2 = random_rows(50, hidden, 2);
  std::vector<std::vector<float>> first, second;
  // 默认窗口（一次解压）、与缓存块（64）对齐的窗口、不对齐的窗口、expanded 模式
  for (auto [mode, window] : {std::pair{MlaMode::kLatent, int64_t(0)}, std::pair{MlaMode::kLatent, int64_t(64)},
                              std::pair{MlaMode::kLatent, int64_t(37)}, std::pair{MlaMode::kExpanded, int64_t(0)}}) {
    Instance in(mode, window);
    first.push_back(in.forward(pool, x1, 0, 200));
    second.push_back(in.forward(pool, x2, 200, 250));
  }
  for (size_t i = 1; i < first.size(); ++i) {
    const float tol = i == 3 ? 1e-4f : 1e-5f;  // 与 expanded 模式比较时运算顺序不同
    expect_close(first[0], first[i], tol, "从位置 0 的一段");
    expect_close(second[0], second[i], tol, "接在 200 个键之后的一段");
  }
}

// 窗口键数是内部调优参数，非正值是调用方的程序错误：检查失败即终止，而不是静默地不解压
TEST(MlaAttentionDeathTest, NonPositiveWindowIsAProgrammingError) {
  Instance in(MlaMode::kLatent, 0);
  EXPECT_DEATH(in.attn.set_expand_window_keys(0), "keys > 0");
}

}  // namespace
}  // namespace dsinfer
