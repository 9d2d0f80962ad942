#include "tokenizer/post_processor.h"

#include "core/error.h"
#include "tokenizer/json_field.h"

namespace dsinfer {

namespace {

class ByteLevelPostProcessor final : public PostProcessor {
 public:
  void add_special_tokens(std::vector<int32_t>&) const override {}
  bool adds_tokens() const override { return false; }
  std::optional<int32_t> leading_token() const override { return std::nullopt; }
};

// single 模板的每一项：一组 special token id，或序列本身（$A）。
class TemplatePostProcessor final : public PostProcessor {
 public:
  explicit TemplatePostProcessor(const JsonField& f) {
    const JsonField single = f["single"];
    const JsonField specials = f.optional("special_tokens");
    for (size_t i = 0; i < single.size(); ++i) {
      const JsonField item = single.at(i);
      if (item.has("Sequence")) {
        items_.emplace_back();
        items_.back().is_sequence = true;
        continue;
      }
      const std::string name = item["SpecialToken"]["id"].str();
      if (!specials.has(name.c_str()))
        item["SpecialToken"]["id"].fail(cat("引用的 '", name, "' 不在 special_tokens 中"));
      const JsonField ids = specials[name.c_str()]["ids"];
      Item entry;
      for (size_t k = 0; k < ids.size(); ++k) entry.ids.push_back(int32_t(ids.at(k).integer()));
      items_.push_back(std::move(entry));
    }
  }
  void add_special_tokens(std::vector<int32_t>& ids) const override {
    std::vector<int32_t> out;
    out.reserve(ids.size() + 4);
    for (const Item& item : items_) {
      if (item.is_sequence)
        out.insert(out.end(), ids.begin(), ids.end());
      else
        out.insert(out.end(), item.ids.begin(), item.ids.end());
    }
    ids.swap(out);
  }
  bool adds_tokens() const override { return true; }
  std::optional<int32_t> leading_token() const override {
    if (items_.empty() || items_.front().is_sequence || items_.front().ids.empty()) return std::nullopt;
    return items_.front().ids.front();
  }

 private:
  struct Item {
    bool is_sequence = false;
    std::vector<int32_t> ids;
  };
  std::vector<Item> items_;
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void add_special_tokens(std::vector<int32_t>& ids) const override {
    for (const auto& s : steps_) s->add_special_tokens(ids);
  }
  bool adds_tokens() const override {
    for (const auto& s : steps_)
      if (s->adds_tokens()) return true;
    return false;
  }
  std::optional<int32_t> leading_token() const override {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it)
      if (const auto t = (*it)->leading_token()) return t;
    return std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonField& field) {
  if (field.is_null()) return nullptr;
  const std::string type = field["type"].str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelPostProcessor>();
  if (type == "TemplateProcessing") return std::make_unique<TemplatePostProcessor>(field);
  if (type == "Sequence") {
    const JsonField list = field["processors"];
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(make_post_processor(list.at(i)));
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  field["type"].fail(
      cat("是不支持的 post_processor 类型 '", type, "'（支持 TemplateProcessing、ByteLevel、Sequence）"));
}

}  // namespace dsinfer
