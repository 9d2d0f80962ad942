#include "kernels/windowed_attention.h"

#include <algorithm>
#include <vector>

#include "core/buffer.h"

namespace dsinfer::kernels {

void windowed_attention(const KernelContext& kc, const WindowedAttentionArgs& w, WindowedKvSource& source,
                        FlashAttention& flash) {
  const int64_t H = w.n_heads, n_q = w.n_q, n_keys = w.n_keys, dv = w.dv, rw = w.dk + w.dv;
  const int64_t window = std::min(n_keys, w.window);
  // 暂存每个线程一份（前向由一个线程驱动），所有调用方共用。
  // 注意：工作线程里直接写 thread_local 变量名会得到它自己的（空的）实例，所以经引用访问调用线程的缓冲
  thread_local Buffer<float> rows_storage, part_storage, lse_storage;
  thread_local std::vector<int64_t> visible_storage;
  thread_local const uint8_t* rows_block = nullptr;
  Buffer<float>& rows = rows_storage;               // [window, dk + dv]：当前窗口、当前头的 [k | v] 行
  std::vector<int64_t>& visible = visible_storage;  // [n_q]：每个查询行在当前窗口内可见的键数
  rows.resize(size_t(window * rw));
  visible.resize(size_t(n_q));
  // 生成的行当作只有一个缓存块（window 个 token）的 F32 缓存交给分块注意力
  rows_block = reinterpret_cast<const uint8_t*>(rows.data());
  FlashAttentionArgs a;
  a.kv = KvRows{&rows_block, window, rw * 4, 0, DType::kF32};
  a.row_values = rw;
  a.k_offset = 0, a.dk = w.dk, a.v_offset = w.dk, a.dv = dv;
  a.ldq = w.ldq, a.n_q = n_q;
  a.visible = visible.data();
  a.scale = w.scale;
  const bool windowed = window < n_keys;
  Buffer<float>& part = part_storage;  // [n_q, dv] 与 [n_q]：第二个窗口起本窗口的结果与 log-sum-exp，再并入 out
  Buffer<float>& lse = lse_storage;  // [n_q, H]：已合并各窗口的 log-sum-exp
  if (windowed) {
    part.resize(size_t(n_q * (dv + 1)));
    lse.resize(size_t(n_q * H));
  }
  for (int64_t w0 = 0; w0 < n_keys; w0 += window) {
    const int64_t nk = std::min(window, n_keys - w0);
    source.begin_window(w0, nk);
    for (int64_t i = 0; i < n_q; ++i) visible[size_t(i)] = std::clamp<int64_t>(w.visible[i] - w0, 0, nk);
    a.n_keys = nk;
    for (int64_t h = 0; h < H; ++h) {
      kc.pool().parallel_for(
          nk, [&](int64_t k0, int64_t k1, int) { source.fill_rows(h, k0, k1, rows.data() + k0 * rw, rw); });
      a.q = w.q + h * w.q_head_stride;
      float* o = w.out + h * w.out_head_stride;
      if (w0 == 0) {  // 第一个窗口直接写结果
        a.out = o, a.ldo = w.ldo;
        a.lse = windowed ? lse.data() + h : nullptr, a.ld_lse = H;
        flash.run(a, kc);
        continue;
      }
      float* part_lse = part.data() + n_q * dv;
      a.out = part.data(), a.ldo = dv, a.lse = part_lse, a.ld_lse = 1;
      flash.run(a, kc);
      for (int64_t i = 0; i < n_q; ++i)
        merge_attention(o + i * w.ldo, lse.data() + i * H + h, part.data() + i * dv, part_lse[i], dv);
    }
  }
}

}  // namespace dsinfer::kernels
