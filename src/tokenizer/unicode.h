// UTF-8 与 Unicode 工具：校验、码点编解码、Rust from_utf8_lossy 同款的替换规则，
// 以及 NFC/NFKC 与字符属性（数据来自 utf8proc，不手写 Unicode 表）。
// 只处理字节与码点；不做分词相关的任何决定。
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsinfer::unicode {

constexpr size_t kValid = std::string_view::npos;

// 第一个非法 UTF-8 字节的偏移；整段合法时返回 kValid（拒绝过长编码、代理区与 > U+10FFFF）。
size_t find_invalid_utf8(std::string_view s);

// 解码 s[pos] 起的一个码点（s 须为合法 UTF-8），*len 得到字节数。
uint32_t decode_at(std::string_view s, size_t pos, size_t* len);
// 首字节推出的序列长度（1..4）；用于在合法文本里按字符前进。
inline size_t sequence_length(uint8_t lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}
void append_utf8(std::string& out, uint32_t cp);

// 与 Rust String::from_utf8_lossy 一致：每个非法的“最大子部分”替换为一个 U+FFFD。
std::string to_valid_lossy(std::string_view bytes);
// bytes 结尾是否是一个尚未写完、但补上后续字节仍可能合法的多字节序列。
bool ends_with_incomplete_sequence(std::string_view bytes);

// Unicode White_Space 属性（与 Rust char::is_whitespace 相同）。
bool is_white_space(uint32_t cp);
// Rust regex 的 \w：字母、标记、十进制数字、连接标点与 Join_Control。
bool is_word_char(uint32_t cp);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };
// s 须为合法 UTF-8。
std::string normalize(std::string_view s, NormalForm form);

}  // namespace dsinfer::unicode
