#include "kernels/kernels.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/error.h"
#include "kernels/cpu/kernel_table.h"

namespace dsinfer::kernels {

namespace {

// BF16 点积 GEMM 只接管“BF16 权重 + token 足够多 + 已选 bf16 精度 + AVX-512 路径 +
// 已启用（bf16_dot_gemm_enabled）”的情形
constexpr int64_t kBf16GemmMinTokens = 12;
bool bf16_gemm(const KernelContext& ctx, int64_t n_tokens, const Weight& w) {
  return ctx.precision() == MatmulPrecision::kBf16 && w.dtype == DType::kBF16 && n_tokens >= kBf16GemmMinTokens &&
         ctx.isa() == Isa::kAvx512 && bf16_dot_gemm_enabled();
}
// 其余 token 少（点积形式，< kGemmMinTokens）的 BF16 权重矩阵乘：bf16 精度下先把激活舍入成 BF16
bool bf16_activations(const KernelContext& ctx, int64_t n_tokens, const Weight& w) {
  return ctx.precision() == MatmulPrecision::kBf16 && w.dtype == DType::kBF16 && n_tokens < kGemmMinTokens &&
         !bf16_gemm(ctx, n_tokens, w);
}

// 舍入后激活的存放（两种存放的数值相同）：AVX2 路径上 1 个 token 紧密存 BF16，GEMV 每读 64 字节权重只从 L1
// 取 64 字节激活——L1 小的 CPU 上 f32 激活的缓存行会被权重流挤出 L1，BF16 存放让 GEMV 更接近读带宽。
// 其余情形存舍入后的 f32 值：AVX-512 路径上 GEMV 里多出的激活转换反而更慢（那里 L1 较大，激活留得住）；
// 2–39 个 token 走点积分块，那里每个激活向量供 3 行权重复用，读激活不是瓶颈，而在循环里转换会让计算受限的
// 内核明显变慢。各自的测量见 bench/README.md。
bool packed_bf16(const KernelContext& ctx, int64_t n_tokens) {
  return n_tokens == 1 && ctx.isa() != Isa::kAvx512;
}

struct RoundedActivations {
  std::vector<uint16_t> bf16;
  std::vector<float> f32;
};

// 激活的 n_tokens 行（行距 ldx）就近舍入成 BF16，紧密排列（行距 cols），写到 buf 的 offset 处
void round_activations(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, int64_t cols,
                       RoundedActivations& buf, size_t offset) {
  if (packed_bf16(ctx, n_tokens)) return row_from_f32(DType::kBF16, x, buf.bf16.data() + offset, cols);
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t c = 0; c < cols; ++c)
      buf.f32[offset + size_t(t * cols + c)] = bf16_to_f32(f32_to_bf16(x[t * ldx + c]));
}

// 对已舍入的激活（行距 cols）计算行 [b, e)
void rows_rounded(const KernelContext& ctx, const RoundedActivations& buf, size_t offset, int64_t n_tokens,
                  const Weight& w, float* y, int64_t ldy, int64_t b, int64_t e) {
  if (packed_bf16(ctx, n_tokens))
    return ctx.table().gemv_bf16x_rows(buf.bf16.data() + offset, w, y, b, e, ctx.prefetch_bytes());
  ctx.table().matmul_rows(buf.f32.data() + offset, w.cols, n_tokens, w, y, ldy, b, e, ctx.prefetch_bytes());
}

void rows(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
          int64_t ldy, int64_t b, int64_t e) {
  if (bf16_gemm(ctx, n_tokens, w)) return avx512bf16::gemm_rows(x, ldx, n_tokens, w, y, ldy, b, e);
  if (bf16_activations(ctx, n_tokens, w)) {
    thread_local RoundedActivations buf;
    if (packed_bf16(ctx, n_tokens))
      buf.bf16.resize(size_t(w.cols));
    else
      buf.f32.resize(size_t(n_tokens * w.cols));
    round_activations(ctx, x, ldx, n_tokens, w.cols, buf, 0);
    return rows_rounded(ctx, buf, 0, n_tokens, w, y, ldy, b, e);
  }
  ctx.table().matmul_rows(x, ldx, n_tokens, w, y, ldy, b, e, ctx.prefetch_bytes());
}

}  // namespace

void matmul(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
            int64_t ldy) {
  const MatmulJob job{x, ldx, n_tokens, &w, y, ldy};
  matmul_batch(ctx, &job, 1);
}

void matmul_batch(const KernelContext& ctx, const MatmulJob* jobs, size_t n_jobs) {
  // 行块 96 行：GEMM 面板宽度（16 / 32）与点积形式行块（24）的公倍数，块内不出现零头；
  // 代价 = 行数 × token 数。各线程先按累计代价分到连续的一段块，做完自己的一段后再从别的段取块：
  // 共享机器上两个线程的内存带宽时快时慢，静态均分时快的一方在汇合点空等。
  // 每块只由一个线程整块计算，输出与哪个线程计算无关，结果仍可复现。
  constexpr int64_t kChunkRows = 96;
  struct Chunk {
    const MatmulJob* job;
    int64_t r0, r1;
    double start;  // 此块之前的累计代价
    size_t xb;     // bf16 激活时：舍入后的激活在 act_storage 中的偏移；否则 kNoBf16
  };
  constexpr size_t kNoBf16 = ~size_t(0);
  struct alignas(64) Part {  // 各占一个缓存行，避免取块时的伪共享
    std::atomic<size_t> next;
    size_t end;
  };
  // 调用线程的复用缓冲（只增不减，稳态不分配）；注意工作线程通过引用访问它，而不是各自的 thread_local。
  thread_local std::vector<Chunk> chunk_storage;
  thread_local std::vector<Part> part_storage;  // 原子量不可移动：扩容时整体换成新的 vector
  thread_local std::vector<size_t> bound_storage;
  // bf16 激活：每个矩阵乘的激活在并行区之前舍入一次（而不是每个行块一次）；共用同一激活的矩阵乘
  // （MoE 各专家的 gate / up、MLA 的 q_a / kv_a）只舍入一次。
  thread_local RoundedActivations act_storage;
  struct Rounded {
    const float* x;
    int64_t ldx, n_tokens, cols;
    size_t offset;  // 在 act_storage.bf16（packed_bf16）或 act_storage.f32 中
  };
  thread_local std::vector<Rounded> rounded_storage;
  std::vector<Rounded>& rounded = rounded_storage;
  rounded.clear();
  size_t size16 = 0, size32 = 0;
  auto bf16_offset = [&](const MatmulJob& m) {
    if (!bf16_activations(ctx, m.n_tokens, *m.w)) return kNoBf16;
    for (const Rounded& r : rounded)
      if (r.x == m.x && r.ldx == m.ldx && r.n_tokens == m.n_tokens && r.cols == m.w->cols) return r.offset;
    size_t& size = packed_bf16(ctx, m.n_tokens) ? size16 : size32;
    rounded.push_back({m.x, m.ldx, m.n_tokens, m.w->cols, size});
    size += size_t(m.n_tokens * m.w->cols);
    return rounded.back().offset;
  };
  std::vector<Chunk>& chunks = chunk_storage;
  chunks.clear();
  double total = 0;
  for (size_t j = 0; j < n_jobs; ++j) {
    const MatmulJob& m = jobs[j];
    if (m.n_tokens <= 0) continue;
    const size_t xb = bf16_offset(m);
    for (int64_t r = 0; r < m.w->rows; r += kChunkRows) {
      const int64_t r1 = std::min(m.w->rows, r + kChunkRows);
      chunks.push_back({&m, r, r1, total, xb});
      total += double(r1 - r) * double(m.n_tokens);
    }
  }
  if (chunks.empty()) return;
  if (act_storage.bf16.size() < size16) act_storage.bf16.resize(size16);
  if (act_storage.f32.size() < size32) act_storage.f32.resize(size32);
  for (const Rounded& r : rounded) round_activations(ctx, r.x, r.ldx, r.n_tokens, r.cols, act_storage, r.offset);
  const RoundedActivations& act = act_storage;
  auto run_chunk = [&](const Chunk& ch) {
    const MatmulJob& m = *ch.job;
    if (ch.xb != kNoBf16) return rows_rounded(ctx, act, ch.xb, m.n_tokens, *m.w, m.y, m.ldy, ch.r0, ch.r1);
    rows(ctx, m.x, m.ldx, m.n_tokens, *m.w, m.y, m.ldy, ch.r0, ch.r1);
  };
  ThreadPool& pool = ctx.pool();
  const int parts = int(std::min<size_t>(size_t(pool.size()), chunks.size()));
  if (parts <= 1) {
    for (const Chunk& ch : chunks) run_chunk(ch);
    return;
  }
  if (part_storage.size() < size_t(parts)) part_storage = std::vector<Part>(size_t(parts));
  std::vector<size_t>& bounds = bound_storage;
  bounds.assign(size_t(parts) + 1, chunks.size());
  bounds[0] = 0;
  for (size_t c = 0, p = 1; c < chunks.size() && p < size_t(parts); ++c)
    while (p < size_t(parts) && chunks[c].start >= total * double(p) / parts) bounds[p++] = c;
  Part* part = part_storage.data();
  for (int p = 0; p < parts; ++p) {
    part[p].next.store(bounds[size_t(p)], std::memory_order_relaxed);
    part[p].end = bounds[size_t(p) + 1];
  }
  pool.run([&](int t) {
    if (t >= parts) return;
    for (int k = 0; k < parts; ++k) {  // 先自己的段，再依次取后面各段剩下的块
      Part& seg = part[(t + k) % parts];
      for (size_t c; (c = seg.next.fetch_add(1, std::memory_order_relaxed)) < seg.end;) run_chunk(chunks[c]);
    }
  });
}

void dequantize_row(const KernelContext& ctx, const Weight& w, int64_t row, float* out) {
  ctx.table().row_to_f32(w.dtype, w.row_ptr(row), out, w.cols);
  if (w.dtype != DType::kF8E4M3) return;
  const float* s = w.scale_inv + (row / kFp8BlockSize) * w.scale_cols();
  for (int64_t c = 0; c < w.cols; ++c) out[c] *= s[c / kFp8BlockSize];
}

void matmul_rows(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
                 int64_t ldy, int64_t row_begin, int64_t row_end) {
  rows(ctx, x, ldx, n_tokens, w, y, ldy, row_begin, row_end);
}

void rms_norm(const KernelContext& ctx, const float* x, const float* weight, float* y, int64_t n, float eps) {
  ctx.table().rms_norm(x, weight, y, n, eps);
}
void silu_mul(const KernelContext& ctx, const float* gate, const float* up, float* out, int64_t n) {
  ctx.table().silu_mul(gate, up, out, n);
}
void axpy(const KernelContext& ctx, float a, const float* x, float* y, int64_t n) {
  ctx.table().axpy(a, x, y, n);
}
void softmax(const KernelContext& ctx, float* x, int64_t n) {
  ctx.table().softmax(x, n);
}
float scale_max(const KernelContext& ctx, float* x, int64_t n, float scale) {
  return ctx.table().scale_max(x, n, scale);
}
float exp_sum(const KernelContext& ctx, float* x, int64_t n, float shift) {
  return ctx.table().exp_sum(x, n, shift);
}
void row_to_f32(const KernelContext& ctx, DType dtype, const void* src, float* dst, int64_t n) {
  ctx.table().row_to_f32(dtype, src, dst, n);
}
void attention(const KernelContext& ctx, const AttentionArgs& args, float* scratch) {
  ctx.table().attention(args, scratch);
}
void shared_kv_attention(const KernelContext& ctx, const SharedKvAttentionArgs& args, float* scratch) {
  ctx.table().shared_kv_attention(args, scratch);
}
float stream_read(const KernelContext& ctx, const float* x, int64_t n) {
  return ctx.table().stream_read(x, n);
}
void matmul_nn_rows(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
                    int64_t ldy, int64_t col_begin, int64_t col_end, bool accumulate) {
  ctx.table().matmul_nn_rows(x, ldx, n_tokens, w, y, ldy, col_begin, col_end, accumulate);
}

void row_from_f32(DType dtype, const float* src, void* dst, int64_t n) {
  if (dtype == DType::kF32) {
    std::copy(src, src + n, static_cast<float*>(dst));
    return;
  }
  DSINFER_CHECK(dtype == DType::kBF16, "row_from_f32 只支持 F32 / BF16");
  auto* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
}

}  // namespace dsinfer::kernels
