// 单元测试共用的小型 tokenizer.json：字节级 BPE，词表只有 256 个字节字符与几条 merges。
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace dsinfer::testing_tokenizers {

// 返回可修改的 JSON，测试按需改坏某个字段。
nlohmann::json tiny_byte_level();

}  // namespace dsinfer::testing_tokenizers
