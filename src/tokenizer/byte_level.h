// GPT-2 的字节 ↔ 可见字符映射（ByteLevel 预分词器与解码器共用）：
// 可打印的 188 个字节映射到自身，其余依次映射到 U+0100 起的码点，使每个字节都是一个“字符”。
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dsinfer::byte_level {

// 字节 b 对应字符的 UTF-8 编码。
const std::string& byte_to_char(uint8_t b);
// 码点 → 字节；不在映射表中返回 nullopt。
std::optional<uint8_t> char_to_byte(uint32_t cp);
// 把任意字节串映射为字符串（每个字节一个字符）。
std::string encode(std::string_view bytes);

}  // namespace dsinfer::byte_level
