#include "tokenizer/json_field.h"

#include "core/error.h"

namespace dsinfer {

namespace {
const nlohmann::json& null_json() {
  static const nlohmann::json kNull;
  return kNull;
}
}  // namespace

bool JsonField::has(const char* key) const {
  return value_->is_object() && value_->contains(key);
}

JsonField JsonField::operator[](const char* key) const {
  expect(value_->is_object(), "对象");
  const auto it = value_->find(key);
  const std::string child = path_.empty() ? key : path_ + "." + key;
  if (it == value_->end()) JsonField(null_json(), file_, child).fail("缺少必需字段");
  return JsonField(*it, file_, child);
}

JsonField JsonField::optional(const char* key) const {
  const std::string child = path_.empty() ? key : path_ + "." + key;
  if (!value_->is_object()) return JsonField(null_json(), file_, child);
  const auto it = value_->find(key);
  return JsonField(it == value_->end() ? null_json() : *it, file_, child);
}

JsonField JsonField::at(size_t index) const {
  expect(value_->is_array(), "数组");
  return JsonField((*value_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

size_t JsonField::size() const {
  expect(value_->is_array(), "数组");
  return value_->size();
}

std::string JsonField::str() const {
  expect(value_->is_string(), "字符串");
  return value_->get<std::string>();
}

int64_t JsonField::integer() const {
  expect(value_->is_number_integer(), "整数");
  return value_->get<int64_t>();
}

bool JsonField::boolean() const {
  expect(value_->is_boolean(), "布尔值");
  return value_->get<bool>();
}

bool JsonField::boolean_or(const char* key, bool fallback) const {
  const JsonField f = optional(key);
  return f.is_null() ? fallback : f.boolean();
}

std::string JsonField::str_or(const char* key, const std::string& fallback) const {
  const JsonField f = optional(key);
  return f.is_null() ? fallback : f.str();
}

void JsonField::fail(const std::string& what) const {
  throw Error(ErrorCode::kFormat, cat(file_, ": ", path_.empty() ? "(根)" : path_, " ", what));
}

void JsonField::expect(bool ok, const char* type_name) const {
  if (!ok) fail(cat("应为", type_name, "，实际为 ", value_->type_name()));
}

nlohmann::json parse_json_text(std::string_view text, const std::string& file) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::kFormat, cat(file, ": 不是合法的 JSON（字节偏移 ", e.byte, "）"));
  } catch (const nlohmann::json::exception& e) {
    // 例如数值超出范围（out_of_range.406）。
    throw Error(ErrorCode::kFormat, cat(file, ": 不是合法的 JSON（", e.what(), "）"));
  }
}

}  // namespace dsinfer
