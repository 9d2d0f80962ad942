// 逐窗口生成键的注意力：窗口小于上下文（对齐与不对齐缓存块）时，各窗口结果按 log-sum-exp 合并，
// 与一次生成全部键的结果、与逐 token 内核一致；每个窗口只准备一次，生成的行覆盖全部键。
#include "kernels/windowed_attention.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace dsinfer::kernels {
namespace {

constexpr int64_t kHeads = 3, kDk = 24, kDv = 20, kRow = kDk + kDv;

// 每头全部键的 [k | v] 行预先随机生成，fill_rows 从中复制当前窗口的部分
class TableSource final : public WindowedKvSource {
 public:
  explicit TableSource(int64_t n_keys) : n_keys_(n_keys), table_(static_cast<size_t>(kHeads * n_keys * kRow)) {
    std::mt19937 rng(11);
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (auto& v : table_) v = d(rng);
  }
  const float* head_rows(int64_t h) const { return table_.data() + h * n_keys_ * kRow; }
  void begin_window(int64_t k0, int64_t n) override {
    EXPECT_EQ(k0, next_key_) << "窗口应按顺序、不重叠地覆盖全部键";
    window_start_ = k0;
    next_key_ = k0 + n;
    ++windows;
  }
  void fill_rows(int64_t h, int64_t k0, int64_t k1, float* rows, int64_t ld) override {
    for (int64_t t = k0; t < k1; ++t)
      std::copy_n(head_rows(h) + (window_start_ + t) * kRow, kRow, rows + (t - k0) * ld);
  }
  int windows = 0;

 private:
  int64_t n_keys_, window_start_ = 0, next_key_ = 0;
  std::vector<float> table_;
};

// 返回 [n_q, H, dv]
std::vector<float> run(int64_t n_q, int64_t n_keys, int64_t window, int threads, int* windows) {
  std::mt19937 rng(5);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> q(static_cast<size_t>(n_q * kHeads * kDk)), out(static_cast<size_t>(n_q * kHeads * kDv));
  for (auto& v : q) v = d(rng);
  std::vector<int64_t> visible(static_cast<size_t>(n_q));
  for (int64_t i = 0; i < n_q; ++i) visible[size_t(i)] = n_keys - n_q + i + 1;  // 因果：最后 n_q 个位置
  TableSource source(n_keys);
  WindowedAttentionArgs a;
  a.q = q.data(), a.ldq = kHeads * kDk, a.q_head_stride = kDk, a.n_q = n_q, a.n_heads = kHeads;
  a.visible = visible.data(), a.n_keys = n_keys, a.window = window;
  a.dk = kDk, a.dv = kDv, a.scale = 0.2f;
  a.out = out.data(), a.ldo = kHeads * kDv, a.out_head_stride = kDv;
  ThreadPool pool(threads);
  const KernelContext kc(pool);
  FlashAttention flash;
  windowed_attention(kc, a, source, flash);
  *windows = source.windows;
  // 逐 token 内核在同一组 [k | v] 行上的结果
  for (int64_t h = 0; h < kHeads; ++h) {
    const uint8_t* block = reinterpret_cast<const uint8_t*>(source.head_rows(h));
    AttentionArgs r;
    r.kv = KvRows{&block, n_keys, kRow * 4, 0, DType::kF32};
    r.n_heads = 1, r.dk = kDk, r.v_offset = kDk, r.dv = kDv, r.scale = 0.2f;
    std::vector<float> ref(static_cast<size_t>(kDv)), scratch(static_cast<size_t>(n_keys));
    for (int64_t i = 0; i < n_q; ++i) {
      r.q = q.data() + i * kHeads * kDk + h * kDk, r.n_ctx = visible[size_t(i)], r.out = ref.data();
      attention(kc, r, scratch.data());
      for (int64_t c = 0; c < kDv; ++c)
        EXPECT_NEAR(out[size_t((i * kHeads + h) * kDv + c)], ref[size_t(c)], 1e-4) << "q=" << i << " head " << h;
    }
  }
  return out;
}

TEST(WindowedAttention, WindowsMergeToSingleWindowResult) {
  for (int threads : {1, 2}) {
    int windows = 0;
    const std::vector<float> whole = run(40, 200, 1000, threads, &windows);
    EXPECT_EQ(windows, 1);
    for (int64_t window : {64, 37}) {
      const std::vector<float> split = run(40, 200, window, threads, &windows);
      EXPECT_EQ(windows, (200 + window - 1) / window);
      for (size_t i = 0; i < whole.size(); ++i) ASSERT_NEAR(split[i], whole[i], 1e-5) << "窗口 " << window;
    }
  }
}

}  // namespace
}  // namespace dsinfer::kernels
