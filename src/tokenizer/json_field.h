// tokenizer.json / tokenizer_config.json 的字段访问：记录从根开始的路径（如 model.merges[12]），
// 类型不符或缺字段时抛出 Error(kFormat)，消息以文件名开头并原样引用字段路径。
// 只在加载阶段使用；不出现在公开头文件中。
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace dsinfer {

class JsonField {
 public:
  JsonField(const nlohmann::json& value, std::string file, std::string path)
      : value_(&value), file_(std::move(file)), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *value_; }
  const std::string& path() const { return path_; }
  bool is_null() const { return value_->is_null(); }
  bool has(const char* key) const;

  // 必须存在的子字段；缺失时报错。
  JsonField operator[](const char* key) const;
  // 可缺省的子字段：不存在时返回 JSON null。
  JsonField optional(const char* key) const;
  JsonField at(size_t index) const;
  size_t size() const;  // 数组长度；不是数组时报错

  std::string str() const;
  int64_t integer() const;
  bool boolean() const;
  // 字段可缺省或为 null 时取默认值。
  bool boolean_or(const char* key, bool fallback) const;
  std::string str_or(const char* key, const std::string& fallback) const;

  [[noreturn]] void fail(const std::string& what) const;

 private:
  void expect(bool ok, const char* type_name) const;

  const nlohmann::json* value_;
  std::string file_, path_;
};

// 解析 JSON 文本；语法错误抛出 Error(kFormat)，消息含文件名与 nlohmann 给出的位置。
nlohmann::json parse_json_text(std::string_view text, const std::string& file);

}  // namespace dsinfer
