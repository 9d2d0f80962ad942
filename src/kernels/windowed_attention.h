// 键 / 值不在缓存里、而由调用方逐窗口生成的多头注意力。
// 用途：MLA latent 模式的预填充把潜向量缓存行逐头解压成 [k | v] 再做普通注意力；上下文很长时一次解压全部键
// 会占用与上下文成正比的内存（那正是 latent 缓存要省的），所以一次只生成一个窗口、一个头的键，
// 各窗口的结果按 log-sum-exp 合并（merge_attention），暂存只与窗口大小有关，与上下文长度、头数无关。
// 本内核不知道键从何而来：窗口的准备与每头 [k | v] 行的生成都交给 WindowedKvSource。
#pragma once

#include <cstdint>

#include "kernels/flash_attention.h"
#include "kernels/kernel_context.h"

namespace dsinfer::kernels {

// 调用方实现：为一个窗口的键生成每头的 [k (dk) | v (dv)] 行（f32）。
class WindowedKvSource {
 public:
  virtual ~WindowedKvSource() = default;
  // 每个窗口调用一次（调用线程上，先于该窗口的 fill_rows）：键 [k0, k0 + n_keys)，准备各头共用的数据。
  virtual void begin_window(int64_t k0, int64_t n_keys) = 0;
  // 把当前窗口内第 [k0, k1) 个键（相对窗口起点）在第 head 头的 [k | v] 行写入 rows（第 k0 个键的行），行距 ld。
  // 由线程池的各线程对不相交的键区间并发调用。
  virtual void fill_rows(int64_t head, int64_t k0, int64_t k1, float* rows, int64_t ld) = 0;
};

struct WindowedAttentionArgs {
  const float* q = nullptr;  // 第 h 头的查询 [n_q, dk] 从 q + h·q_head_stride 起，行距 ldq
  int64_t ldq = 0, q_head_stride = 0, n_q = 0, n_heads = 0;
  const int64_t* visible = nullptr;  // [n_q]：每个查询行在全部键中可见的键数，≤ n_keys
  int64_t n_keys = 0;
  int64_t window = 0;  // 一个窗口的键数（> 0）
  int64_t dk = 0, dv = 0;
  float scale = 1.0f;
  float* out = nullptr;  // 第 h 头的结果 [n_q, dv] 从 out + h·out_head_stride 起，行距 ldo
  int64_t ldo = 0, out_head_stride = 0;
};

// 逐窗口、逐头：source 生成该头的 [k | v] 行（按键在线程间切分），flash 对其做注意力；第二个窗口起按
// log-sum-exp 并入 out。暂存所有调用方共用（每个线程一份，只增不减），不随调用方（模型的层）的个数成倍占用内存。
void windowed_attention(const KernelContext& kc, const WindowedAttentionArgs& args, WindowedKvSource& source,
                        FlashAttention& flash);

}  // namespace dsinfer::kernels
