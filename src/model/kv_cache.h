// KvCache：分页 KV 缓存。固定大小的块（默认 64 个 token）组成的池 + 每个序列的块表。
// 块内布局 [layer][token][row]：同一层相邻 token 的行连续，注意力按块顺序流式读取。
// 每 token 每层的行长度由 MLA 模式决定（latent：kv_lora_rank + qk_rope_head_dim；
// expanded：H·(nope+rope) + H·v）。缓存按块增长，不按最大上下文预分配；truncate 回滚
// MTP 被拒绝的位置。字节数精确统计：used = Σ 序列长度 × 每 token 字节；allocated = 块数 × 块字节。
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/buffer.h"
#include "core/dtype.h"
#include "kernels/kernels.h"
#include "model/batch.h"

namespace dsinfer {

class KvCache {
 public:
  KvCache(int64_t n_layers, int64_t row_values, DType dtype, int64_t block_tokens = 64);

  int32_t add_sequence();  // 返回新序列 id（复用已删除的 id）
  void remove_sequence(int32_t seq);
  bool has_sequence(int32_t seq) const;
  int64_t length(int32_t seq) const;
  // 保证序列有容纳 new_length 个位置的块（不改变长度）。
  void reserve(int32_t seq, int64_t new_length);
  void set_length(int32_t seq, int64_t length);
  // 回滚到 length 个位置，多余的整块归还池中。
  void truncate(int32_t seq, int64_t length);

  // 前向之前：校验批次（序列存在；同一序列的位置从缓存长度起逐一递增），并为新位置预留块。
  // 校验失败抛出 Error(kInvalidArgument)。
  void prepare(const Batch& batch);
  // 前向之后：把批次写入的位置计入各序列的长度。
  void commit(const Batch& batch);

  uint8_t* row(int32_t seq, int64_t layer, int64_t pos);
  kernels::KvRows rows(int32_t seq, int64_t layer) const;

  int64_t n_layers() const { return n_layers_; }
  int64_t row_values() const { return row_values_; }
  DType dtype() const { return dtype_; }
  int64_t block_tokens() const { return block_tokens_; }
  size_t bytes_per_token() const { return size_t(n_layers_ * row_values_) * dtype_size(dtype_); }
  size_t used_bytes() const;
  size_t allocated_bytes() const { return blocks_.size() * block_bytes_; }
  // 正被序列占用的块数（已分配的块减去空闲链表里的）
  int64_t used_blocks() const { return int64_t(blocks_.size() - free_blocks_.size()); }

 private:
  struct Sequence {
    bool live = false;
    int64_t length = 0;
    std::vector<int32_t> blocks;       // 块表
    std::vector<const uint8_t*> ptrs;  // 块指针（供内核使用）
  };
  Sequence& seq_ref(int32_t seq);
  const Sequence& seq_ref(int32_t seq) const;

  int64_t n_layers_, row_values_, block_tokens_;
  DType dtype_;
  size_t row_bytes_, block_bytes_;
  std::vector<Buffer<uint8_t>> blocks_;
  std::vector<int32_t> free_blocks_;
  std::vector<Sequence> seqs_;
  std::vector<int64_t> next_pos_;  // prepare 的暂存
};

}  // namespace dsinfer
