// tokenizer.json 的 normalizer 部分：NFC/NFD/NFKC/NFKD、Replace、Prepend 与 Sequence。
// 只产出文本，不追踪偏移（本引擎只需要 id）。
#pragma once

#include <memory>
#include <string>

namespace dsinfer {

class JsonField;

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// null（或空 Sequence）返回 nullptr；未知 type 抛出 Error(kFormat) 并点名字段。
std::unique_ptr<Normalizer> make_normalizer(const JsonField& field);

}  // namespace dsinfer
