// KvCache：分页 KV 缓存。固定大小的块（默认 64 个 token）组成的池 + 每个序列的块表。
// 块内布局 [layer][token][row]：同一层相邻 token 的行连续，注意力按块顺序流式读取。
// 每 token 每层的行长度由 MLA 模式决定（latent：kv_lora_rank + qk_rope_head_dim；
// expanded：H·(nope+rope) + H·v）。缓存按块增长，不按最大上下文预分配；truncate 回滚
// MTP 被拒绝的位置。字节数精确统计：used = Σ 序列长度 × 每 token 字节；allocated = 块数 × 块字节。
// 前缀缓存：publish 把序列里已写满的块按其内容登记（键 = 前一块 + 本块的 token），attach_prefix 让新序列
// 直接引用内容相同的前缀块（引用计数），只需计算其余的 token。只共享写满的块，而序列只写自己长度之后的
// 位置，所以共享块永不被改写（分歧所在的块由新序列自己重算，相当于写时复制）。无人引用的已登记块留作
// 缓存，占用（被引用的 + 缓存的）超过 set_pool_blocks 时、或池需要空间时按最久未用逐出；块被逐出后代数加一，
// 以它为前缀登记的后继块随之失效。
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <unordered_map>
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

  // 前缀缓存。attach_prefix：空序列引用 tokens 开头与已登记块相同的最长前缀（整块），返回引用的 token 数
  // （序列长度随之设为该数）。publish：把序列前 min(长度, tokens.size()) 个位置中写满的块按内容登记。
  int64_t attach_prefix(int32_t seq, std::span<const int32_t> tokens);
  void publish(int32_t seq, std::span<const int32_t> tokens);
  // 池的块数：无人引用的已登记块只在 被引用的块 + 缓存的块 ≤ blocks 时保留（默认 0：不保留，释放即回收）
  void set_pool_blocks(int64_t blocks);
  int64_t cached_blocks() const { return int64_t(lru_.size()); }

  uint8_t* row(int32_t seq, int64_t layer, int64_t pos);
  kernels::KvRows rows(int32_t seq, int64_t layer) const;

  int64_t n_layers() const { return n_layers_; }
  int64_t row_values() const { return row_values_; }
  DType dtype() const { return dtype_; }
  int64_t block_tokens() const { return block_tokens_; }
  size_t bytes_per_token() const { return size_t(n_layers_ * row_values_) * dtype_size(dtype_); }
  size_t used_bytes() const;
  size_t allocated_bytes() const { return blocks_.size() * block_bytes_; }
  // 正被序列占用的块数（已分配的块减去空闲的与只作缓存的）
  int64_t used_blocks() const { return int64_t(blocks_.size() - free_blocks_.size() - lru_.size()); }

 private:
  struct Sequence {
    bool live = false;
    int64_t length = 0;
    std::vector<int32_t> blocks;       // 块表
    std::vector<const uint8_t*> ptrs;  // 块指针（供内核使用）
  };
  // 每块的引用计数与登记信息
  struct BlockInfo {
    int32_t refs = 0;
    bool published = false;
    int32_t parent = -1;  // 前缀里的上一块
    uint64_t parent_generation = 0;
    uint64_t generation = 0;  // 每次逐出加一：以旧内容为前缀登记的后继块不再匹配
    uint64_t key = 0;
    std::vector<int32_t> tokens;
    std::list<int32_t>::iterator lru;  // published 且 refs == 0 时在 lru_ 中
  };
  Sequence& seq_ref(int32_t seq);
  const Sequence& seq_ref(int32_t seq) const;
  int32_t take_block();
  void release_block(int32_t b);
  void evict_cached(int64_t limit);  // 逐出最久未用的缓存块，直到 被引用的 + 缓存的 ≤ limit
  int32_t find_published(int32_t parent, std::span<const int32_t> tokens) const;
  static uint64_t block_key(int32_t parent, std::span<const int32_t> tokens);
  void refresh_ptrs(Sequence& s);

  int64_t n_layers_, row_values_, block_tokens_;
  DType dtype_;
  size_t row_bytes_, block_bytes_;
  std::vector<Buffer<uint8_t>> blocks_;
  std::vector<int32_t> free_blocks_;
  std::vector<BlockInfo> info_;
  std::unordered_multimap<uint64_t, int32_t> index_;  // 已登记块：键 → 块
  std::list<int32_t> lru_;                            // 已登记、无人引用的块，最久未用在前
  int64_t pool_blocks_ = 0;
  std::vector<Sequence> seqs_;
  std::vector<int64_t> next_pos_;  // prepare 的暂存
};

}  // namespace dsinfer
