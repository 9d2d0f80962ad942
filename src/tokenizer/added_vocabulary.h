// added_tokens：在预分词之前从文本中切出的整 token（special 与普通），
// 匹配规则对齐 tokenizers 的 AddedVocabulary：最左最长匹配，支持 lstrip / rstrip / single_word；
// normalized=false 的在原文上匹配，normalized=true 的在 normalize 之后的文本上匹配。
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dsinfer {

class JsonField;
class Normalizer;

struct AddedToken {
  int32_t id;
  std::string content;
  bool single_word, lstrip, rstrip, normalized, special;
};

// 切分结果的一段：id >= 0 表示一个 added token，否则是普通文本。
struct TextSegment {
  std::string_view text;
  int32_t id;
};

class AddedVocabulary {
 public:
  // normalizer 可为空；normalized=true 的 token 内容先经过它再参与匹配。
  AddedVocabulary(const JsonField& list, const Normalizer* normalizer);

  // 把 text 切成首尾相接的段；normalized_pass 选择匹配哪一组 token。
  void split(std::string_view text, bool normalized_pass, std::vector<TextSegment>& out) const;

  const AddedToken* find(int32_t id) const;
  const AddedToken* find(std::string_view content) const;
  int32_t max_id() const { return max_id_; }

 private:
  // 字节 trie：在每个起点找最长的 token（即 Aho-Corasick 的 LeftmostLongest 结果）。
  struct Trie {
    struct Node {
      std::vector<std::pair<uint8_t, int32_t>> children;
      int32_t token = -1;  // 在 tokens_ 中的下标
    };
    std::vector<Node> nodes{Node{}};
    bool first_byte[256] = {};
    void insert(std::string_view key, int32_t token);
    // 返回 (token 下标, 长度)；无匹配时下标为 -1。
    std::pair<int32_t, size_t> longest_at(std::string_view text, size_t pos) const;
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;
  Trie raw_, normalized_;
  int32_t max_id_ = -1;
};

}  // namespace dsinfer
