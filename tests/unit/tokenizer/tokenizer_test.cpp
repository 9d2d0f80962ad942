#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "unit/tokenizer/test_tokenizers.h"

namespace dsinfer {
namespace {

using testing_tokenizers::tiny_byte_level;

Tokenizer tiny(const std::string& config = "") {
  return Tokenizer::from_json(tiny_byte_level().dump(), config);
}

TEST(Tokenizer, MergesBothFormsAndAddedTokens) {
  const Tokenizer tok = tiny();
  EXPECT_EQ(tok.encode("hello"), (std::vector<int32_t>{259}));
  EXPECT_EQ(tok.encode("<bos>hell o"), (std::vector<int32_t>{260, 258, ' ', 'o'}));
  EXPECT_EQ(tok.decode(tok.encode("<bos>hello wörld<eos>")), "<bos>hello wörld<eos>");
  EXPECT_EQ(tok.decode(tok.encode("<bos>hello<eos>"), true), "hello");
  EXPECT_EQ(tok.vocab_size(), 262u);
  EXPECT_EQ(tok.token_to_id("<eos>"), 261);
  EXPECT_EQ(tok.token_to_id("hell"), 258);
  EXPECT_EQ(tok.token_to_id("nope"), std::nullopt);
  EXPECT_EQ(tok.id_to_token(259), "hello");
  EXPECT_EQ(tok.id_to_token(9999), std::nullopt);
  EXPECT_TRUE(tok.is_special(260));
  EXPECT_FALSE(tok.is_special(259));
}

TEST(Tokenizer, DecodeSkipsUnknownIds) {
  const std::vector<int32_t> ids = {-1, 259, 100000};
  EXPECT_EQ(tiny().decode(ids), "hello");
}

TEST(Tokenizer, BosAndEosComeFromTokenizerConfig) {
  const Tokenizer with_strings = tiny(R"({"bos_token": "<bos>", "eos_token": "<eos>"})");
  EXPECT_EQ(with_strings.bos_id(), 260);
  EXPECT_EQ(with_strings.eos_id(), 261);
  EXPECT_EQ(with_strings.encode("hello", true), (std::vector<int32_t>{260, 259}));
  const Tokenizer with_objects = tiny(R"({"bos_token": {"content": "<eos>"}})");
  EXPECT_EQ(with_objects.bos_id(), 261);
  EXPECT_EQ(with_objects.eos_id(), std::nullopt);
}

TEST(Tokenizer, AddBosWithoutAnyBosIsAConfigError) {
  const Tokenizer tok = tiny();
  EXPECT_EQ(tok.bos_id(), std::nullopt);
  try {
    tok.encode("x", true);
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(std::string(e.what()).find("bos_token"), std::string::npos);
  }
}

TEST(Tokenizer, TemplateProcessingProvidesBos) {
  nlohmann::json j = tiny_byte_level();
  j["post_processor"] = {{"type", "Sequence"},
                         {"processors",
                          {{{"type", "ByteLevel"}},
                           {{"type", "TemplateProcessing"},
                            {"single", {{{"SpecialToken", {{"id", "<bos>"}}}}, {{"Sequence", {{"id", "A"}}}}}},
                            {"special_tokens", {{"<bos>", {{"id", "<bos>"}, {"ids", {260}}}}}}}}}};
  const Tokenizer tok = Tokenizer::from_json(j.dump());
  EXPECT_EQ(tok.bos_id(), 260);
  EXPECT_EQ(tok.encode("hello", true), (std::vector<int32_t>{260, 259}));
}

TEST(Tokenizer, InvalidUtf8InputIsRejected) {
  try {
    tiny().encode("ab\xff");
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("UTF-8（字节偏移 2）"), std::string::npos);
  }
}

TEST(Tokenizer, LoadsFromDirectoryOrFile) {
  const std::string dir = testing::TempDir() + "/tok_dir";
  std::filesystem::create_directories(dir);
  const std::string json = tiny_byte_level().dump();
  write_file(dir + "/tokenizer.json", json.data(), json.size());
  const std::string config = R"({"bos_token": "<bos>"})";
  write_file(dir + "/tokenizer_config.json", config.data(), config.size());
  EXPECT_EQ(Tokenizer::load(dir).bos_id(), 260);
  EXPECT_EQ(Tokenizer::load(dir + "/tokenizer.json").bos_id(), 260);
  try {
    Tokenizer::load(dir + "/missing.json");
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

}  // namespace
}  // namespace dsinfer
