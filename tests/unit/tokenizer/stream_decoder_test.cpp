#include "tokenizer/stream_decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "core/mapped_file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"
#include "unit/tokenizer/test_tokenizers.h"

namespace dsinfer {
namespace {

// 逐个 push 后 flush：每段都是合法 UTF-8，拼接结果等于一次性 decode。
void expect_stream_equals_decode(const Tokenizer& tok, const std::vector<int32_t>& ids, bool skip_special = false) {
  StreamDecoder stream(tok, skip_special);
  std::string streamed;
  for (const int32_t id : ids) {
    const std::string piece = stream.push(id);
    EXPECT_EQ(unicode::find_invalid_utf8(piece), unicode::kValid);
    streamed += piece;
  }
  streamed += stream.flush();
  EXPECT_EQ(streamed, tok.decode(ids, skip_special));
}

TEST(StreamDecoder, ByteLevelHoldsIncompleteCharacters) {
  const Tokenizer tok = Tokenizer::from_json(testing_tokenizers::tiny_byte_level().dump());
  // 每个字节一个 token：“你” 的 3 个字节要到第 3 个 token 才输出。
  StreamDecoder stream(tok);
  const std::string ni = "你";
  EXPECT_EQ(stream.push(uint8_t(ni[0])), "");
  EXPECT_EQ(stream.push(uint8_t(ni[1])), "");
  EXPECT_EQ(stream.push(uint8_t(ni[2])), "你");
  EXPECT_EQ(stream.push(259), "hello");
  EXPECT_EQ(stream.flush(), "");
  // 无法补全的残缺字符在 flush 时按 U+FFFD 输出，且只输出一次。
  EXPECT_EQ(stream.push(0xE4), "");
  EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.flush(), "");
}

TEST(StreamDecoder, ResetStartsANewStream) {
  const Tokenizer tok = Tokenizer::from_json(testing_tokenizers::tiny_byte_level().dump());
  StreamDecoder stream(tok);
  EXPECT_EQ(stream.push(0xE4), "");
  stream.reset();
  EXPECT_EQ(stream.push(259), "hello");
}

TEST(StreamDecoder, RandomIdsEmitEveryByteOnce) {
  const Tokenizer tok = Tokenizer::from_json(testing_tokenizers::tiny_byte_level().dump());
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<int32_t> ids(rng() % 20);
    for (auto& id : ids) id = int32_t(rng() % 262);
    expect_stream_equals_decode(tok, ids);
    expect_stream_equals_decode(tok, ids, true);
  }
}

TEST(StreamDecoder, SentencepieceStyleDecoders) {
  // Strip 只去掉整段开头的空格、ByteFallback 字节要凑齐才成字：前缀上下文保证两者都正确。
  const Tokenizer tok =
      Tokenizer::from_json(read_text_file(DSINFER_TEST_DATA_DIR "/tokenizer/synthetic/sentencepiece_like.json"));
  for (const char* text : {"hello world 😀 你好 ok", "<s>the thing</s> ÿ"})
    expect_stream_equals_decode(tok, tok.encode(text));
}

TEST(StreamDecoder, DeepSeekMixedText) {
  const Tokenizer tok = Tokenizer::load(DSINFER_TEST_DATA_DIR "/tokenizer/deepseek-v3");
  const auto ids =
      tok.encode("<｜User｜>写一首诗 🫠👩‍💻 about naïve café\n<｜Assistant｜>床前明月光");
  expect_stream_equals_decode(tok, ids);
  expect_stream_equals_decode(tok, ids, true);
}

}  // namespace
}  // namespace dsinfer
