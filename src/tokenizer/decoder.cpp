#include "tokenizer/decoder.h"

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/json_field.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace dsinfer {

namespace {

// 字符全部在字节映射表中的 token 还原为字节，否则原样保留（如 <｜User｜>）；整体按 lossy 规则转 UTF-8。
class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      const size_t mark = bytes.size();
      bool all_mapped = true;
      for (size_t pos = 0; pos < token.size() && all_mapped;) {
        size_t len = 0;
        const auto b = byte_level::char_to_byte(unicode::decode_at(token, pos, &len));
        if (b) bytes += char(*b);
        all_mapped = b.has_value();
        pos += len;
      }
      if (!all_mapped) bytes.replace(mark, std::string::npos, token);
    }
    tokens.assign(1, unicode::to_valid_lossy(bytes));
  }
};

class ReplaceDecoder final : public Decoder {
 public:
  explicit ReplaceDecoder(const JsonField& f) : pattern_(f["pattern"]), content_(f["content"].str()) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) t = pattern_.replace(t, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// <0xXX> 形式的 token 还原为字节；连续字节不构成合法 UTF-8 时每个字节变成一个 U+FFFD。
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pending_count = 0;
    const auto flush = [&] {
      if (pending_count == 0) return;
      if (unicode::find_invalid_utf8(pending) == unicode::kValid) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& t : tokens) {
      if (const int b = parse_byte_token(t); b >= 0) {
        pending += char(b);
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }
  static int parse_byte_token(const std::string& t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
    const int hi = hex_digit(t[3]), lo = hex_digit(t[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// 每个 token 去掉开头至多 start 个、结尾至多 stop 个等于 content 的字符。
class StripDecoder final : public Decoder {
 public:
  explicit StripDecoder(const JsonField& f)
      : content_(f["content"].str()), start_(size_t(f["start"].integer())), stop_(size_t(f["stop"].integer())) {
    size_t len = 0;
    if (!content_.empty()) unicode::decode_at(content_, 0, &len);
    if (len == 0 || len != content_.size()) f["content"].fail("应为单个字符");
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      size_t begin = 0, end = t.size();
      for (size_t i = 0; i < start_ && t.compare(begin, content_.size(), content_) == 0; ++i) begin += content_.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         t.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i)
        end -= content_.size();
      t = t.substr(begin, end - begin);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& s : steps_) s->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonField& field) {
  if (field.is_null()) return nullptr;
  const std::string type = field["type"].str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Replace") return std::make_unique<ReplaceDecoder>(field);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") return std::make_unique<StripDecoder>(field);
  if (type == "Sequence") {
    const JsonField list = field["decoders"];
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(make_decoder(list.at(i)));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  field["type"].fail(
      cat("是不支持的 decoder 类型 '", type, "'（支持 ByteLevel、Replace、ByteFallback、Fuse、Strip、Sequence）"));
}

}  // namespace dsinfer
