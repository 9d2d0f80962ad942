#include "tokenizer/bpe_model.h"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/json_field.h"
#include "tokenizer/unicode.h"

namespace dsinfer {

namespace {

// 超过此长度的片段不进缓存（与 tokenizers 的 MAX_LENGTH 同量级），缓存满了整体清空。
constexpr size_t kMaxCachedWordBytes = 256;
constexpr size_t kMaxCacheEntries = 1 << 16;

uint64_t next_model_uid() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

// 每线程一份单词缓存：tokenize 不加锁；换了模型实例就清空。
struct WordCache {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  uint64_t owner = 0;
  std::unordered_map<std::string, std::vector<int32_t>, Hash, std::equal_to<>> map;
};

// 合并队列的元素：rank 小者优先，rank 相同则位置靠左者优先。
struct MergeCandidate {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
  bool operator>(const MergeCandidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

std::string hex_byte_token(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
  return buf;
}

}  // namespace

void BpeModel::MergeTable::build(const std::vector<std::pair<uint64_t, uint64_t>>& entries) {
  size_t cap = 16;
  while (cap < entries.size() * 2) cap <<= 1;
  keys_.assign(cap, kMissing);
  values_.assign(cap, 0);
  mask_ = cap - 1;
  for (const auto& [k, v] : entries) {
    uint64_t slot = (k * 0x9E3779B97F4A7C15ull) >> 20 & mask_;
    while (keys_[slot] != kMissing && keys_[slot] != k) slot = (slot + 1) & mask_;
    keys_[slot] = k;  // 重复的 merge 以后出现者为准（tokenizers 用 HashMap collect，同样后者覆盖）
    values_[slot] = v;
  }
}

uint64_t BpeModel::MergeTable::find(int32_t left, int32_t right) const {
  const uint64_t k = key(left, right);
  uint64_t slot = (k * 0x9E3779B97F4A7C15ull) >> 20 & mask_;
  while (true) {
    const uint64_t cur = keys_[slot];
    if (cur == k) return values_[slot];
    if (cur == kMissing) return kMissing;
    slot = (slot + 1) & mask_;
  }
}

BpeModel::BpeModel(const JsonField& model, bool byte_level_input)
    : byte_level_input_(byte_level_input), cache_owner_(next_model_uid()) {
  const JsonField type = model.optional("type");
  if (!type.is_null() && type.str() != "BPE") type.fail(cat("是不支持的模型类型 '", type.str(), "'（仅支持 BPE）"));

  const JsonField vocab = model["vocab"];
  if (!vocab.json().is_object()) vocab.fail(cat("应为对象，实际为 ", vocab.json().type_name()));
  int64_t max_id = -1;
  vocab_.reserve(vocab.json().size());
  for (const auto& [token, id_json] : vocab.json().items()) {
    if (!id_json.is_number_integer() || id_json.get<int64_t>() < 0 || id_json.get<int64_t>() > INT32_MAX)
      vocab.fail(cat("中 '", token, "' 的 id 不是合法的非负整数"));
    const int32_t id = id_json.get<int32_t>();
    vocab_[token] = id;
    max_id = std::max<int64_t>(max_id, id);
  }
  id_to_token_.assign(size_t(max_id + 1), std::string());
  has_id_.assign(size_t(max_id + 1), false);
  for (const auto& [token, id] : vocab_) {
    id_to_token_[size_t(id)] = token;
    has_id_[size_t(id)] = true;
  }

  const JsonField unk = model.optional("unk_token");
  if (!unk.is_null()) {
    const auto id = token_to_id(unk.str());
    if (!id) unk.fail(cat("'", unk.str(), "' 不在词表中"));
    unk_id_ = id;
  }
  fuse_unk_ = model.boolean_or("fuse_unk", false);
  byte_fallback_ = model.boolean_or("byte_fallback", false);
  ignore_merges_ = model.boolean_or("ignore_merges", false);
  prefix_ = model.str_or("continuing_subword_prefix", "");
  suffix_ = model.str_or("end_of_word_suffix", "");
  load_merges(model["merges"]);

  direct_bytes_ = byte_level_input_ && prefix_.empty() && suffix_.empty();
  for (int b = 0; b < 256 && direct_bytes_; ++b) {
    const auto id = token_to_id(byte_level::byte_to_char(uint8_t(b)));
    if (id)
      byte_ids_[b] = *id;
    else
      direct_bytes_ = false;  // 词表缺少某个字节字符：走通用的逐字符路径（含 unk 处理）
  }
}

void BpeModel::load_merges(const JsonField& merges) {
  std::vector<std::pair<uint64_t, uint64_t>> entries;
  entries.reserve(merges.size());
  const size_t prefix_len = prefix_.size();
  for (size_t i = 0; i < merges.size(); ++i) {
    const JsonField m = merges.at(i);
    std::string left, right;
    if (m.json().is_string()) {
      const std::string s = m.str();
      const size_t space = s.find(' ');
      if (space == std::string::npos) m.fail("应为以空格分隔的两个 token（\"a b\"）");
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.json().is_array() && m.size() == 2) {
      left = m.at(0).str();
      right = m.at(1).str();
    } else {
      m.fail("应为 \"a b\" 字符串或 [\"a\", \"b\"] 数组");
    }
    const auto left_id = token_to_id(left), right_id = token_to_id(right);
    if (!left_id) m.fail(cat("引用了词表中不存在的 token '", left, "'"));
    if (!right_id) m.fail(cat("引用了词表中不存在的 token '", right, "'"));
    // 右侧 token 的 continuing_subword_prefix 在合并结果中去掉（与 tokenizers 相同）。
    const std::string merged = left + (right.compare(0, prefix_len, prefix_) == 0 ? right.substr(prefix_len) : right);
    const auto merged_id = token_to_id(merged);
    if (!merged_id) m.fail(cat("的合并结果 '", merged, "' 不在词表中"));
    entries.emplace_back(MergeTable::key(*left_id, *right_id), (uint64_t(i) << 32) | uint32_t(*merged_id));
  }
  merges_.build(entries);
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || size_t(id) >= id_to_token_.size() || !has_id_[size_t(id)]) return nullptr;
  return &id_to_token_[size_t(id)];
}

void BpeModel::initial_symbols(std::string_view word, std::vector<int32_t>& symbols) const {
  symbols.clear();
  std::optional<int32_t> pending_unk;
  std::string s;
  for (size_t pos = 0; pos < word.size();) {
    const size_t len = unicode::sequence_length(uint8_t(word[pos]));
    s.clear();
    if (pos > 0) s += prefix_;
    s.append(word.substr(pos, len));
    pos += len;
    if (pos >= word.size()) s += suffix_;
    if (const auto id = token_to_id(s)) {
      if (pending_unk) symbols.push_back(*std::exchange(pending_unk, std::nullopt));
      symbols.push_back(*id);
      continue;
    }
    if (byte_fallback_) {
      std::vector<int32_t> bytes;
      for (const char c : s) {
        const auto id = token_to_id(hex_byte_token(uint8_t(c)));
        if (!id) break;
        bytes.push_back(*id);
      }
      if (bytes.size() == s.size()) {
        if (pending_unk) symbols.push_back(*std::exchange(pending_unk, std::nullopt));
        symbols.insert(symbols.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    // 没有 unk_token 时未知字符被丢弃（tokenizers 的行为）；fuse_unk 把相邻的 unk 合成一个。
    if (!unk_id_) continue;
    if (pending_unk && !fuse_unk_) symbols.push_back(*pending_unk);
    pending_unk = unk_id_;
  }
  if (pending_unk) symbols.push_back(*pending_unk);
}

void BpeModel::merge(std::vector<int32_t>& symbols) const {
  const int32_t n = int32_t(symbols.size());
  if (n < 2) return;
  thread_local std::vector<int32_t> prev, next;
  thread_local std::vector<MergeCandidate> heap;
  prev.resize(size_t(n));
  next.resize(size_t(n));
  heap.clear();
  const auto push = [&](int32_t pos) {
    const uint64_t m = merges_.find(symbols[size_t(pos)], symbols[size_t(next[size_t(pos)])]);
    if (m == MergeTable::kMissing) return;
    heap.push_back({uint32_t(m >> 32), pos, int32_t(uint32_t(m))});
    std::push_heap(heap.begin(), heap.end(), std::greater<>());
  };
  for (int32_t i = 0; i < n; ++i) {
    prev[size_t(i)] = i - 1;
    next[size_t(i)] = i + 1 < n ? i + 1 : -1;
  }
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  constexpr int32_t kDead = -2;  // 已被并入左邻的符号
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const MergeCandidate top = heap.back();
    heap.pop_back();
    const size_t pos = size_t(top.pos);
    if (prev[pos] == kDead || next[pos] < 0) continue;
    const size_t right = size_t(next[pos]);
    // 过期条目：这一对已经变了（与 tokenizers 相同，只比较合并结果 id）。
    const uint64_t m = merges_.find(symbols[pos], symbols[right]);
    if (m == MergeTable::kMissing || int32_t(uint32_t(m)) != top.new_id) continue;
    symbols[pos] = top.new_id;
    next[pos] = next[right];
    prev[right] = kDead;
    if (next[pos] >= 0) prev[size_t(next[pos])] = int32_t(pos);
    if (prev[pos] >= 0) push(prev[pos]);
    if (next[pos] >= 0) push(int32_t(pos));
  }
  size_t out = 0;
  for (int32_t i = 0; i >= 0; i = next[size_t(i)]) symbols[out++] = symbols[size_t(i)];
  symbols.resize(out);
}

void BpeModel::tokenize_uncached(std::string_view piece, std::vector<int32_t>& out) const {
  thread_local std::vector<int32_t> symbols;
  thread_local std::string mapped;
  std::string_view word = piece;
  if (byte_level_input_ && !direct_bytes_) {
    mapped = byte_level::encode(piece);
    word = mapped;
  }
  if (ignore_merges_) {
    const auto id = token_to_id(byte_level_input_ && direct_bytes_ ? byte_level::encode(piece) : std::string(word));
    if (id) {
      out.push_back(*id);
      return;
    }
  }
  if (direct_bytes_) {
    symbols.resize(piece.size());
    for (size_t i = 0; i < piece.size(); ++i) symbols[i] = byte_ids_[uint8_t(piece[i])];
  } else {
    initial_symbols(word, symbols);
  }
  merge(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void BpeModel::tokenize(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.size() > kMaxCachedWordBytes) return tokenize_uncached(piece, out);
  thread_local WordCache cache;
  if (cache.owner != cache_owner_) {
    cache.map.clear();
    cache.owner = cache_owner_;
  }
  if (const auto it = cache.map.find(piece); it != cache.map.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
    return;
  }
  const size_t start = out.size();
  tokenize_uncached(piece, out);
  if (cache.map.size() >= kMaxCacheEntries) cache.map.clear();
  cache.map.emplace(std::string(piece), std::vector<int32_t>(out.begin() + long(start), out.end()));
}

}  // namespace dsinfer
