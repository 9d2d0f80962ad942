#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

namespace dsinfer::unicode {
namespace {

TEST(Unicode, FindInvalidUtf8) {
  EXPECT_EQ(find_invalid_utf8("héllo 你好 😀"), kValid);
  EXPECT_EQ(find_invalid_utf8(std::string("a\0b", 3)), kValid);
  EXPECT_EQ(find_invalid_utf8("ab\x80"), 2u);
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);          // 过长编码
  EXPECT_EQ(find_invalid_utf8("x\xED\xA0\x80"), 1u);     // 代理区
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);  // > U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\xE4\xBD"), 0u);          // 截断
}

TEST(Unicode, LossyReplacesMaximalSubparts) {
  // 与 Rust from_utf8_lossy 相同：截断的合法前缀整体换成一个 U+FFFD，孤立的坏字节各换一个。
  EXPECT_EQ(to_valid_lossy("a\xE4\xBD"
                           "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(to_valid_lossy("\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_lossy("\xF0\x9F\x98"), "\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_lossy("你好"), "你好");
}

TEST(Unicode, EndsWithIncompleteSequence) {
  EXPECT_TRUE(ends_with_incomplete_sequence("a\xE4"));
  EXPECT_TRUE(ends_with_incomplete_sequence("a\xE4\xBD"));
  EXPECT_TRUE(ends_with_incomplete_sequence("\xF0\x9F\x98"));
  EXPECT_FALSE(ends_with_incomplete_sequence("a\xE4\xBD\xA0"));
  EXPECT_FALSE(ends_with_incomplete_sequence("a\x80"));
  EXPECT_FALSE(ends_with_incomplete_sequence("\xC0"));
  EXPECT_FALSE(ends_with_incomplete_sequence(""));
}

TEST(Unicode, CodePoints) {
  size_t len = 0;
  EXPECT_EQ(decode_at("😀", 0, &len), 0x1F600u);
  EXPECT_EQ(len, 4u);
  std::string s;
  for (uint32_t cp : {0x41u, 0xE9u, 0x4F60u, 0x1F600u}) append_utf8(s, cp);
  EXPECT_EQ(s, "Aé你😀");
}

TEST(Unicode, Properties) {
  for (uint32_t cp : {0x20u, 0x09u, 0x85u, 0xA0u, 0x2028u, 0x3000u}) EXPECT_TRUE(is_white_space(cp));
  for (uint32_t cp : {0x41u, 0x200Bu, 0x1Cu}) EXPECT_FALSE(is_white_space(cp));
  for (uint32_t cp : {0x41u, 0x5Fu, 0x4F60u, 0x301u, 0x39u}) EXPECT_TRUE(is_word_char(cp));
  for (uint32_t cp : {0x2Du, 0x2Cu, 0x20u}) EXPECT_FALSE(is_word_char(cp));
}

TEST(Unicode, NormalForms) {
  EXPECT_EQ(normalize("cafe\xCC\x81", NormalForm::kNfc), "café");
  EXPECT_EQ(normalize("café", NormalForm::kNfd), "cafe\xCC\x81");
  EXPECT_EQ(normalize("ﬁ１", NormalForm::kNfkc), "fi1");
  EXPECT_EQ(normalize("ﬁé", NormalForm::kNfkd), "fie\xCC\x81");
}

}  // namespace
}  // namespace dsinfer::unicode
