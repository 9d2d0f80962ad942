// formats 读取的 JSON 文本（config.json、safetensors 头、权重索引）统一由这里解析：nlohmann 抛出的任何异常
// ——不只是语法错误，还有数值超出 double 范围（out_of_range.406）——都转成 dsinfer::Error，
// 不让第三方异常穿过加载边界。只在 formats 的实现文件中使用。
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"

namespace dsinfer {

// 消息为 context + "不是合法的 JSON（原因）"；context 应点名文件（及文件中的位置）。
nlohmann::json parse_json(std::string_view text, ErrorCode code, const std::string& context);

}  // namespace dsinfer
