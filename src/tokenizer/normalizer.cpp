#include "tokenizer/normalizer.h"

#include <vector>

#include "core/error.h"
#include "tokenizer/json_field.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace dsinfer {

namespace {

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(unicode::NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::NormalForm form_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  explicit ReplaceNormalizer(const JsonField& f) : pattern_(f["pattern"]), content_(f["content"].str()) {}
  void normalize(std::string& text) const override { text = pattern_.replace(text, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

// 与 tokenizers 一致：只对非空文本加前缀。
class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& s : steps_) s->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const JsonField& field) {
  if (field.is_null()) return nullptr;
  const std::string type = field["type"].str();
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfc);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfd);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfkc);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfkd);
  if (type == "Replace") return std::make_unique<ReplaceNormalizer>(field);
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(field["prepend"].str());
  if (type == "Sequence") {
    const JsonField list = field["normalizers"];
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      if (auto step = make_normalizer(list.at(i))) steps.push_back(std::move(step));
    if (steps.empty()) return nullptr;
    if (steps.size() == 1) return std::move(steps.front());
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  field["type"].fail(
      cat("是不支持的 normalizer 类型 '", type, "'（支持 NFC、NFD、NFKC、NFKD、Replace、Prepend、Sequence）"));
}

}  // namespace dsinfer
