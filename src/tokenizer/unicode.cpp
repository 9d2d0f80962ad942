// UTF-8 细节按 Unicode 第 3 章表 3-7（合法字节序列）实现；字符属性查询 utf8proc。
#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/error.h"

namespace dsinfer::unicode {

namespace {

// s[pos] 起合法序列的长度；非法时返回 0，并在 *maximal_subpart 给出应整体替换的字节数。
size_t valid_sequence_at(std::string_view s, size_t pos, size_t* maximal_subpart) {
  const auto b = [&](size_t i) { return uint8_t(s[pos + i]); };
  const uint8_t lead = b(0);
  *maximal_subpart = 1;
  if (lead < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // 第二字节的合法范围
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t i = 1; i < need; ++i) {
    if (pos + i >= s.size()) return 0;
    const uint8_t lower = i == 1 ? lo : 0x80, upper = i == 1 ? hi : 0xBF;
    if (b(i) < lower || b(i) > upper) return 0;
    *maximal_subpart = i + 1;
  }
  return need;
}

}  // namespace

size_t find_invalid_utf8(std::string_view s) {
  size_t pos = 0, sub = 0;
  while (pos < s.size()) {
    const size_t n = valid_sequence_at(s, pos, &sub);
    if (n == 0) return pos;
    pos += n;
  }
  return kValid;
}

uint32_t decode_at(std::string_view s, size_t pos, size_t* len) {
  const uint8_t lead = uint8_t(s[pos]);
  const size_t n = sequence_length(lead);
  *len = n;
  if (n == 1) return lead;
  uint32_t cp = lead & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (uint8_t(s[pos + i]) & 0x3F);
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

std::string to_valid_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0, sub = 0;
  while (pos < bytes.size()) {
    const size_t n = valid_sequence_at(bytes, pos, &sub);
    if (n) {
      out.append(bytes.substr(pos, n));
      pos += n;
    } else {
      out += "\xEF\xBF\xBD";
      pos += sub;
    }
  }
  return out;
}

bool ends_with_incomplete_sequence(std::string_view bytes) {
  // 从结尾往前最多看 3 个字节，找到首字节后判断它是否是一个被截断但合法的前缀。
  for (size_t back = 1; back <= 3 && back <= bytes.size(); ++back) {
    const size_t pos = bytes.size() - back;
    const uint8_t b = uint8_t(bytes[pos]);
    if ((b & 0xC0) == 0x80) continue;
    size_t sub = 0;
    return valid_sequence_at(bytes, pos, &sub) == 0 && sub == back && b >= 0xC2 && b <= 0xF4;
  }
  return false;
}

bool is_white_space(uint32_t cp) {
  if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return true;
  const auto cat = utf8proc_category(utf8proc_int32_t(cp));
  return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP;
}

bool is_word_char(uint32_t cp) {
  if (cp == 0x200C || cp == 0x200D) return true;  // Join_Control
  switch (utf8proc_category(utf8proc_int32_t(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

std::string normalize(std::string_view s, NormalForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormalForm::kNfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormalForm::kNfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormalForm::kNfkd:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), utf8proc_ssize_t(s.size()), &out,
                              utf8proc_option_t(options));
  // 输入已在入口校验为合法 UTF-8，utf8proc 只会因内存不足失败。
  DSINFER_CHECK(n >= 0, "utf8proc_map: ", utf8proc_errmsg(n));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> holder(out, &std::free);
  return std::string(reinterpret_cast<const char*>(out), size_t(n));
}

}  // namespace dsinfer::unicode
