// PCRE2 正则的薄封装（UTF + UCP，能 JIT 时用 JIT）：编译错误抛出 Error(kFormat) 并点名字段，
// find_all 复刻 tokenizers 所用 Oniguruma find_iter 的迭代语义（含空匹配的推进规则）。
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsinfer {

class JsonField;

class Regex {
 public:
  enum class Syntax { kRegex, kLiteral };
  // field 只用于报错（编译失败时消息引用它的路径）。
  Regex(std::string_view pattern, Syntax syntax, const JsonField& field);
  // 内部固定模式用：编译失败属于程序错误。
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(Regex&& other) noexcept;
  Regex& operator=(Regex&&) = delete;
  Regex(const Regex&) = delete;

  // text 须为合法 UTF-8。结果为按位置递增、互不重叠的 [begin, end) 区间。
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  // PCRE2 内置 Unicode 表的版本号，如 "14.0.0"。
  static std::string unicode_version();

 private:
  void compile(std::string_view pattern, Syntax syntax, const JsonField* field);

  void* code_ = nullptr;  // pcre2_code_8*，不把 pcre2.h 暴露给包含者
  bool jit_ = false;
};

}  // namespace dsinfer
