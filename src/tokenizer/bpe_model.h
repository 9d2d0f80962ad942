// BPE 模型（tokenizer.json 的 model 部分）：词表、merges（"a b" 与 ["a","b"] 两种写法）、
// byte_fallback / unk_token / fuse_unk、continuing_subword_prefix / end_of_word_suffix、ignore_merges。
// 合并顺序与 tokenizers 相同：每次合并 rank 最小的相邻对，rank 相同取最左。
// 线程安全：tokenize 为 const，每线程一份单词缓存，无锁。
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dsinfer {

class JsonField;

class BpeModel {
 public:
  // byte_level_input：片段是未经映射的原始字节（ByteLevel 映射被推迟到这里）。
  BpeModel(const JsonField& model, bool byte_level_input);

  // 把一个预分词片段编码为 id，追加到 out。
  void tokenize(std::string_view piece, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // 不存在时返回 nullptr。
  const std::string* id_to_token(int32_t id) const;
  int32_t max_id() const { return int32_t(id_to_token_.size()) - 1; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Vocab = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

  // (左 id, 右 id) → (rank, 合并后 id) 的开放寻址表；合并是编码热路径。
  class MergeTable {
   public:
    void build(const std::vector<std::pair<uint64_t, uint64_t>>& entries);
    // 命中返回 rank<<32 | new_id，否则返回 kMissing。
    uint64_t find(int32_t left, int32_t right) const;
    static constexpr uint64_t kMissing = ~uint64_t(0);
    static uint64_t key(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }

   private:
    std::vector<uint64_t> keys_, values_;
    uint64_t mask_ = 0;
  };

  void load_merges(const JsonField& merges);
  void initial_symbols(std::string_view word, std::vector<int32_t>& symbols) const;
  void merge(std::vector<int32_t>& symbols) const;
  void tokenize_uncached(std::string_view piece, std::vector<int32_t>& out) const;

  Vocab vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  MergeTable merges_;
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::string prefix_, suffix_;  // continuing_subword_prefix / end_of_word_suffix
  bool byte_level_input_ = false;
  bool direct_bytes_ = false;  // 原始字节可直接查 byte_ids_
  int32_t byte_ids_[256] = {};
  uint64_t cache_owner_;  // 区分线程缓存属于哪个模型实例
};

}  // namespace dsinfer
