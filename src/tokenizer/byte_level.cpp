#include "tokenizer/byte_level.h"

#include "tokenizer/unicode.h"

namespace dsinfer::byte_level {

namespace {

struct Tables {
  std::array<std::string, 256> to_char;
  std::array<int16_t, 512> to_byte;  // 映射后的码点都小于 0x200
  Tables() {
    to_byte.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const uint32_t cp = printable ? b : next++;
      unicode::append_utf8(to_char[b], cp);
      to_byte[cp] = int16_t(b);
    }
  }
};

const Tables& tables() {
  static const Tables kTables;
  return kTables;
}

}  // namespace

const std::string& byte_to_char(uint8_t b) {
  return tables().to_char[b];
}

std::optional<uint8_t> char_to_byte(uint32_t cp) {
  if (cp >= 512 || tables().to_byte[cp] < 0) return std::nullopt;
  return uint8_t(tables().to_byte[cp]);
}

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += byte_to_char(uint8_t(c));
  return out;
}

}  // namespace dsinfer::byte_level
