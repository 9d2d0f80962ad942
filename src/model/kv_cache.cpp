#include "model/kv_cache.h"

#include "core/error.h"

#include <algorithm>

namespace dsinfer {

KvCache::KvCache(int64_t n_layers, int64_t row_values, DType dtype, int64_t block_tokens)
    : n_layers_(n_layers), row_values_(row_values), block_tokens_(block_tokens), dtype_(dtype) {
  DSINFER_CHECK(n_layers > 0 && row_values > 0 && block_tokens > 0, "KvCache 参数非法");
  DSINFER_CHECK(dtype == DType::kF32 || dtype == DType::kBF16, "KV 缓存只支持 F32 / BF16");
  row_bytes_ = size_t(row_values) * dtype_size(dtype);
  block_bytes_ = size_t(n_layers * block_tokens) * row_bytes_;
}

int32_t KvCache::add_sequence() {
  for (size_t i = 0; i < seqs_.size(); ++i) {
    if (!seqs_[i].live) {
      seqs_[i] = Sequence{};
      seqs_[i].live = true;
      return int32_t(i);
    }
  }
  seqs_.push_back(Sequence{});
  seqs_.back().live = true;
  return int32_t(seqs_.size() - 1);
}

KvCache::Sequence& KvCache::seq_ref(int32_t seq) {
  DSINFER_CHECK(has_sequence(seq), "未知序列 ", seq);
  return seqs_[size_t(seq)];
}

const KvCache::Sequence& KvCache::seq_ref(int32_t seq) const {
  DSINFER_CHECK(has_sequence(seq), "未知序列 ", seq);
  return seqs_[size_t(seq)];
}

bool KvCache::has_sequence(int32_t seq) const {
  return seq >= 0 && size_t(seq) < seqs_.size() && seqs_[size_t(seq)].live;
}

void KvCache::remove_sequence(int32_t seq) {
  truncate(seq, 0);
  seq_ref(seq).live = false;
}

int64_t KvCache::length(int32_t seq) const {
  return seq_ref(seq).length;
}

int32_t KvCache::take_block() {
  int32_t b;
  // 池满时先逐出最久未用的缓存块，把它的内存给新块
  if (free_blocks_.empty()) evict_cached(pool_blocks_ - 1);
  if (!free_blocks_.empty()) {
    b = free_blocks_.back();
    free_blocks_.pop_back();
  } else {
    blocks_.emplace_back(block_bytes_);
    info_.emplace_back();
    b = int32_t(blocks_.size() - 1);
  }
  info_[size_t(b)].refs = 1;
  return b;
}

void KvCache::release_block(int32_t b) {
  BlockInfo& info = info_[size_t(b)];
  DSINFER_CHECK(info.refs > 0, "块 ", b, " 的引用计数已为 0");
  if (--info.refs > 0) return;
  if (!info.published) {
    free_blocks_.push_back(b);
    return;
  }
  info.lru = lru_.insert(lru_.end(), b);
  evict_cached(pool_blocks_);
}

void KvCache::evict_cached(int64_t limit) {
  while (!lru_.empty() && used_blocks() + int64_t(lru_.size()) > limit) {
    const int32_t b = lru_.front();
    lru_.pop_front();
    BlockInfo& info = info_[size_t(b)];
    for (auto [it, end] = index_.equal_range(info.key); it != end; ++it)
      if (it->second == b) {
        index_.erase(it);
        break;
      }
    info.published = false;
    info.tokens.clear();
    ++info.generation;
    free_blocks_.push_back(b);
  }
}

void KvCache::set_pool_blocks(int64_t blocks) {
  pool_blocks_ = std::max<int64_t>(blocks, 0);
  evict_cached(pool_blocks_);
}

uint64_t KvCache::block_key(int32_t parent, std::span<const int32_t> tokens) {
  // FNV-1a：只用来分桶，匹配时逐个比较 token 与前一块
  uint64_t h = 1469598103934665603ull ^ uint64_t(uint32_t(parent));
  for (int32_t t : tokens) h = (h ^ uint64_t(uint32_t(t))) * 1099511628211ull;
  return h;
}

int32_t KvCache::find_published(int32_t parent, std::span<const int32_t> tokens) const {
  const uint64_t parent_generation = parent >= 0 ? info_[size_t(parent)].generation : 0;
  for (auto [it, end] = index_.equal_range(block_key(parent, tokens)); it != end; ++it) {
    const BlockInfo& info = info_[size_t(it->second)];
    if (info.parent == parent && info.parent_generation == parent_generation &&
        std::equal(tokens.begin(), tokens.end(), info.tokens.begin(), info.tokens.end()))
      return it->second;
  }
  return -1;
}

int64_t KvCache::attach_prefix(int32_t seq, std::span<const int32_t> tokens) {
  Sequence& s = seq_ref(seq);
  DSINFER_CHECK(s.length == 0 && s.blocks.empty(), "attach_prefix 只用于空序列");
  const size_t B = size_t(block_tokens_);
  int32_t parent = -1;
  for (size_t i = 0; (i + 1) * B <= tokens.size(); ++i) {
    const int32_t b = find_published(parent, tokens.subspan(i * B, B));
    if (b < 0) break;
    BlockInfo& info = info_[size_t(b)];
    if (info.refs++ == 0) lru_.erase(info.lru);
    s.blocks.push_back(b);
    parent = b;
  }
  s.length = int64_t(s.blocks.size()) * block_tokens_;
  refresh_ptrs(s);
  return s.length;
}

void KvCache::publish(int32_t seq, std::span<const int32_t> tokens) {
  const Sequence& s = seq_ref(seq);
  const size_t B = size_t(block_tokens_);
  const size_t full = size_t(std::min<int64_t>(s.length, int64_t(tokens.size()))) / B;
  int32_t parent = -1;
  for (size_t i = 0; i < full; ++i) {
    const int32_t b = s.blocks[i];
    BlockInfo& info = info_[size_t(b)];
    if (!info.published) {
      const auto block = tokens.subspan(i * B, B);
      // 已有内容相同的登记块（两条序列同时算了同一前缀）：不重复登记，这一条的链就此断开
      if (find_published(parent, block) >= 0) return;
      info.published = true;
      info.parent = parent;
      info.parent_generation = parent >= 0 ? info_[size_t(parent)].generation : 0;
      info.tokens.assign(block.begin(), block.end());
      info.key = block_key(parent, block);
      index_.emplace(info.key, b);
    }
    parent = b;
  }
}

void KvCache::refresh_ptrs(Sequence& s) {
  // 每块是独立分配的 Buffer：池（vector）扩容只移动句柄，块的数据地址不变，其他序列的 ptrs 仍有效。
  s.ptrs.resize(s.blocks.size());
  for (size_t i = 0; i < s.blocks.size(); ++i) s.ptrs[i] = blocks_[size_t(s.blocks[i])].data();
}

void KvCache::reserve(int32_t seq, int64_t new_length) {
  Sequence& s = seq_ref(seq);
  const int64_t need = (new_length + block_tokens_ - 1) / block_tokens_;
  while (int64_t(s.blocks.size()) < need) s.blocks.push_back(take_block());
  refresh_ptrs(s);
}

void KvCache::set_length(int32_t seq, int64_t length) {
  Sequence& s = seq_ref(seq);
  DSINFER_CHECK(length >= 0 && length <= int64_t(s.blocks.size()) * block_tokens_, "set_length 超出已预留的块");
  s.length = length;
}

void KvCache::truncate(int32_t seq, int64_t length) {
  Sequence& s = seq_ref(seq);
  DSINFER_CHECK(length >= 0 && length <= s.length, "truncate 的长度 ", length, " 超出序列长度 ", s.length);
  s.length = length;
  const size_t keep = size_t((length + block_tokens_ - 1) / block_tokens_);
  while (s.blocks.size() > keep) {
    release_block(s.blocks.back());
    s.blocks.pop_back();
  }
  s.ptrs.resize(keep);
}

void KvCache::prepare(const Batch& batch) {
  const int64_t T = batch.size();
  DSINFER_CHECK(
      batch.seq_ids.size() == size_t(T) && batch.positions.size() == size_t(T) && batch.want_output.size() == size_t(T),
      "Batch 各数组长度不一致");
  for (int64_t t = 0; t < T; ++t)
    if (!has_sequence(batch.seq_ids[size_t(t)]))
      throw Error(ErrorCode::kInvalidArgument, cat("批次引用了不存在的序列 ", batch.seq_ids[size_t(t)]));
  next_pos_.resize(seqs_.size());
  for (int64_t t = 0; t < T; ++t) next_pos_[size_t(batch.seq_ids[size_t(t)])] = length(batch.seq_ids[size_t(t)]);
  for (int64_t t = 0; t < T; ++t) {
    const int32_t seq = batch.seq_ids[size_t(t)];
    int64_t& next = next_pos_[size_t(seq)];
    if (batch.positions[size_t(t)] != next)
      throw Error(ErrorCode::kInvalidArgument, cat("序列 ", seq, " 的位置 ", batch.positions[size_t(t)],
                                                   " 不连续：应为 ", next, "（位置须从缓存长度起逐一递增）"));
    ++next;
  }
  for (int64_t t = 0; t < T; ++t) reserve(batch.seq_ids[size_t(t)], next_pos_[size_t(batch.seq_ids[size_t(t)])]);
}

void KvCache::commit(const Batch& batch) {
  for (int64_t t = 0; t < batch.size(); ++t) {
    const int32_t seq = batch.seq_ids[size_t(t)];
    set_length(seq, std::max(length(seq), batch.positions[size_t(t)] + 1));
  }
}

uint8_t* KvCache::row(int32_t seq, int64_t layer, int64_t pos) {
  Sequence& s = seq_ref(seq);
  DSINFER_CHECK(pos >= 0 && pos < int64_t(s.blocks.size()) * block_tokens_, "缓存位置越界 ", pos);
  return blocks_[size_t(s.blocks[size_t(pos / block_tokens_)])].data() +
         (size_t(layer * block_tokens_) + size_t(pos % block_tokens_)) * row_bytes_;
}

kernels::KvRows KvCache::rows(int32_t seq, int64_t layer) const {
  const Sequence& s = seq_ref(seq);
  kernels::KvRows r;
  r.blocks = s.ptrs.data();
  r.block_tokens = block_tokens_;
  r.token_stride = int64_t(row_bytes_);
  r.layer_offset = layer * block_tokens_ * int64_t(row_bytes_);
  r.dtype = dtype_;
  return r;
}

size_t KvCache::used_bytes() const {
  size_t n = 0;
  for (const auto& s : seqs_)
    if (s.live) n += size_t(s.length) * bytes_per_token();
  return n;
}

}  // namespace dsinfer
