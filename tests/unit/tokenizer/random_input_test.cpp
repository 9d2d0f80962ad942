// “随机字节永不崩溃”：libFuzzer 目标（tests/fuzz/）的常规测试版本，g++ 构建的默认测试集里也会跑。
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"
#include "unit/tokenizer/test_tokenizers.h"

namespace dsinfer {
namespace {

TEST(RandomInput, BytesNeverCrashAndValidTextRoundTrips) {
  const Tokenizer tok = Tokenizer::from_json(testing_tokenizers::tiny_byte_level().dump());
  std::mt19937 rng(1234);
  int valid = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text(rng() % 64, '\0');
    // 一半输入只用 ASCII 与若干多字节字符拼成（合法 UTF-8），一半是任意字节。
    const bool utf8 = iter % 2 == 0;
    static const char* kPieces[] = {"a", " ", "he", "ll", "o", "\n", "你", "😀", "<bos>", "1", "é"};
    if (utf8) {
      text.clear();
      for (int k = int(rng() % 16); k > 0; --k) text += kPieces[rng() % std::size(kPieces)];
    } else {
      for (char& c : text) c = char(rng());
    }
    if (unicode::find_invalid_utf8(text) != unicode::kValid) {
      EXPECT_THROW(tok.encode(text), Error);
      continue;
    }
    ++valid;
    const auto ids = tok.encode(text);
    EXPECT_EQ(tok.decode(ids), text);
  }
  EXPECT_GT(valid, 1500);
}

TEST(RandomInput, RandomIdsDecodeToValidUtf8) {
  const Tokenizer tok = Tokenizer::from_json(testing_tokenizers::tiny_byte_level().dump());
  std::mt19937 rng(99);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<int32_t> ids(rng() % 12);
    for (auto& id : ids) id = int32_t(rng() % 300) - 10;
    EXPECT_EQ(unicode::find_invalid_utf8(tok.decode(ids)), unicode::kValid);
  }
}

}  // namespace
}  // namespace dsinfer
