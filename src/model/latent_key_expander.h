// LatentKeyExpander：latent 缓存行 [c_kv | k_pe] 逐窗口、逐头解压成普通多头注意力的 [k_nope | k_pe | v]
// （k_nope = c·W_UK_h，v = c·W_UV_hᵀ），供 kernels::windowed_attention 在 latent 预填充时使用。
// 窗口的潜向量行先转成 f32（各头共用）；缓冲所有层共用（前向由一个线程驱动、逐层进行），不随层数成倍占用内存。
#pragma once

#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "core/weight.h"
#include "kernels/kernels.h"
#include "kernels/windowed_attention.h"

namespace dsinfer {

class LatentKeyExpander final : public kernels::WindowedKvSource {
 public:
  // kc：解压用的内核上下文；cache_rows：本序列、本层的潜向量缓存行；w_uk_t[h] 为 [L, nope]，w_uv[h] 为 [v_dim, L]
  LatentKeyExpander(const kernels::KernelContext& kc, const kernels::KvRows& cache_rows,
                    const std::vector<Weight>& w_uk_t, const std::vector<Weight>& w_uv, int64_t kv_lora_rank,
                    int64_t nope, int64_t rope_dim);

  void begin_window(int64_t k0, int64_t n_keys) override;
  void fill_rows(int64_t head, int64_t k0, int64_t k1, float* rows, int64_t ld) override;

 private:
  // [窗口键数, L + rope]：当前窗口的潜向量缓存行（f32），每个线程一份。
  // 注意：工作线程里直接写 thread_local 变量名会得到它自己的（空的）实例，所以经引用访问调用线程的缓冲
  static Buffer<float>& window_latent();
  Buffer<float>& latent_ = window_latent();
  const kernels::KernelContext& kc_;
  const kernels::KvRows cache_rows_;
  const std::vector<Weight>& w_uk_t_;
  const std::vector<Weight>& w_uv_;
  const int64_t L_, nope_, rope_dim_;
};

}  // namespace dsinfer
