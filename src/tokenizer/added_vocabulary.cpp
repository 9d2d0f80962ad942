#include "tokenizer/added_vocabulary.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/json_field.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"

namespace dsinfer {

namespace {

// text 末尾的空白串从哪里开始（对应 tokenizers 的 \s*$）。
size_t trailing_space_start(std::string_view text) {
  size_t start = 0, pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    if (!unicode::is_white_space(unicode::decode_at(text, pos, &len))) start = pos + len;
    pos += len;
  }
  return start;
}

// text 开头的空白串长度（对应 ^\s*）。
size_t leading_space_length(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t len = 0;
    if (!unicode::is_white_space(unicode::decode_at(text, pos, &len))) break;
    pos += len;
  }
  return pos;
}

bool ends_with_word(std::string_view text) {
  if (text.empty()) return false;
  size_t pos = text.size() - 1;
  while (pos > 0 && (uint8_t(text[pos]) & 0xC0) == 0x80) --pos;
  size_t len = 0;
  return unicode::is_word_char(unicode::decode_at(text, pos, &len));
}

bool starts_with_word(std::string_view text) {
  size_t len = 0;
  return !text.empty() && unicode::is_word_char(unicode::decode_at(text, 0, &len));
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view key, int32_t token) {
  int32_t node = 0;
  for (const char c : key) {
    const uint8_t b = uint8_t(c);
    auto& children = nodes[size_t(node)].children;
    const auto it = std::find_if(children.begin(), children.end(), [b](const auto& child) { return child.first == b; });
    if (it != children.end()) {
      node = it->second;
    } else {
      const int32_t child = int32_t(nodes.size());
      nodes[size_t(node)].children.emplace_back(b, child);
      nodes.emplace_back();
      node = child;
    }
  }
  if (!key.empty()) first_byte[uint8_t(key.front())] = true;
  // 同一内容出现多次时保留先出现的（tokenizers 对重复内容也只登记一次）。
  if (nodes[size_t(node)].token < 0) nodes[size_t(node)].token = token;
}

std::pair<int32_t, size_t> AddedVocabulary::Trie::longest_at(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const uint8_t b = uint8_t(text[i]);
    const auto& children = nodes[size_t(node)].children;
    const auto it = std::find_if(children.begin(), children.end(), [b](const auto& child) { return child.first == b; });
    if (it == children.end()) break;
    node = it->second;
    if (nodes[size_t(node)].token >= 0) best = {nodes[size_t(node)].token, i + 1 - pos};
  }
  return best;
}

AddedVocabulary::AddedVocabulary(const JsonField& list, const Normalizer* normalizer) {
  if (list.is_null()) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonField t = list.at(i);
    const int64_t id = t["id"].integer();
    if (id < 0 || id > INT32_MAX) t["id"].fail("不是合法的 token id");
    AddedToken token{int32_t(id),
                     t["content"].str(),
                     t.boolean_or("single_word", false),
                     t.boolean_or("lstrip", false),
                     t.boolean_or("rstrip", false),
                     t.boolean_or("normalized", true),
                     t.boolean_or("special", false)};
    if (token.content.empty()) continue;  // tokenizers 忽略空内容
    if (unicode::find_invalid_utf8(token.content) != unicode::kValid) t["content"].fail("不是合法的 UTF-8");
    max_id_ = std::max(max_id_, token.id);
    const int32_t index = int32_t(tokens_.size());
    by_id_[token.id] = size_t(index);
    by_content_.emplace(token.content, size_t(index));
    if (token.normalized) {
      std::string key = token.content;
      if (normalizer) normalizer->normalize(key);
      normalized_.insert(key, index);
    } else {
      raw_.insert(token.content, index);
    }
    tokens_.push_back(std::move(token));
  }
}

void AddedVocabulary::split(std::string_view text, bool normalized_pass, std::vector<TextSegment>& out) const {
  out.clear();
  const Trie& trie = normalized_pass ? normalized_ : raw_;
  size_t start_offset = 0, pos = 0;
  while (pos < text.size()) {
    if (!trie.first_byte[uint8_t(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [index, length] = trie.longest_at(text, pos);
    if (index < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[size_t(index)];
    size_t start = pos, stop = pos + length;
    pos = stop;  // 与 Aho-Corasick 迭代一致：无论是否采用，下一次从匹配结尾继续
    if (token.single_word && ((start > 0 && ends_with_word(text.substr(0, start))) ||
                              (stop < text.size() && starts_with_word(text.substr(stop)))))
      continue;
    if (start < start_offset) continue;
    if (token.lstrip) start = std::max(trailing_space_start(text.substr(0, start)), start_offset);
    if (token.rstrip) stop += leading_space_length(text.substr(stop));
    if (start_offset < start) out.push_back({text.substr(start_offset, start - start_offset), -1});
    out.push_back({text.substr(start, stop - start), token.id});
    start_offset = stop;
    pos = std::max(pos, stop);
  }
  if (start_offset < text.size()) out.push_back({text.substr(start_offset), -1});
}

const AddedToken* AddedVocabulary::find(int32_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::find(std::string_view content) const {
  const auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

}  // namespace dsinfer
