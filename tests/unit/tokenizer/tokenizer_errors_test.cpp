// 损坏的 tokenizer.json：错误码为 kFormat，消息点名出错的字段（原样引用英文路径）。
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "unit/tokenizer/test_tokenizers.h"

namespace dsinfer {
namespace {

struct BadCase {
  const char* name;
  std::function<void(nlohmann::json&)> corrupt;
  const char* expected_message;
};

class TokenizerJsonErrors : public testing::TestWithParam<BadCase> {};

TEST_P(TokenizerJsonErrors, NameTheField) {
  nlohmann::json j = testing_tokenizers::tiny_byte_level();
  GetParam().corrupt(j);
  try {
    Tokenizer::from_json(j.dump());
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    EXPECT_NE(std::string(e.what()).find(GetParam().expected_message), std::string::npos) << e.what();
  }
}

const BadCase kCases[] = {
    {"UnknownModelType", [](auto& j) { j["model"]["type"] = "Unigram"; },
     "tokenizer.json: model.type 是不支持的模型类型 'Unigram'"},
    {"MissingVocab", [](auto& j) { j["model"].erase("vocab"); }, "model.vocab 缺少必需字段"},
    {"MergeUnknownToken", [](auto& j) { j["model"]["merges"][1] = "l xyz"; },
     "tokenizer.json: model.merges[1] 引用了词表中不存在的 token 'xyz'"},
    {"MergeResultMissing", [](auto& j) { j["model"]["merges"].push_back("o o"); },
     "model.merges[4] 的合并结果 'oo' 不在词表中"},
    {"MergeWithoutSpace", [](auto& j) { j["model"]["merges"][0] = "he"; },
     "model.merges[0] 应为以空格分隔的两个 token"},
    {"BadRegex", [](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(ab"; },
     "pre_tokenizer.pretokenizers[0].pattern.Regex 正则表达式无法编译"},
    {"UnknownPreTokenizer", [](auto& j) { j["pre_tokenizer"]["pretokenizers"][1]["type"] = "Metaspace"; },
     "pre_tokenizer.pretokenizers[1].type 是不支持的 pre_tokenizer 类型 'Metaspace'"},
    {"UnknownBehavior", [](auto& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Odd"; },
     "pre_tokenizer.pretokenizers[0].behavior 是未知的 behavior 'Odd'"},
    {"UnknownNormalizer",
     [](auto& j) {
       j["normalizer"] = {{"type", "Lowercase"}};
     },
     "normalizer.type 是不支持的 normalizer 类型 'Lowercase'"},
    {"UnknownDecoder",
     [](auto& j) {
       j["decoder"] = {{"type", "WordPiece"}};
     },
     "decoder.type 是不支持的 decoder 类型 'WordPiece'"},
    {"UnknownPostProcessor",
     [](auto& j) {
       j["post_processor"] = {{"type", "BertProcessing"}};
     },
     "post_processor.type 是不支持的 post_processor 类型 'BertProcessing'"},
    {"AddedTokenIdNotInteger", [](auto& j) { j["added_tokens"][1]["id"] = "x"; },
     "added_tokens[1].id 应为整数，实际为 string"},
    {"VocabIdNegative", [](auto& j) { j["model"]["vocab"]["he"] = -3; },
     "model.vocab 中 'he' 的 id 不是合法的非负整数"},
    {"UnkTokenNotInVocab", [](auto& j) { j["model"]["unk_token"] = "<unk>"; }, "model.unk_token '<unk>' 不在词表中"},
    {"PatternWithoutKind",
     [](auto& j) {
       j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"Glob", "*"}};
     },
     "pattern 应为 {\"String\": …} 或 {\"Regex\": …}"},
    {"TemplateUnknownSpecial",
     [](auto& j) {
       j["post_processor"] = {{"type", "TemplateProcessing"},
                              {"single", {{{"SpecialToken", {{"id", "<s>"}}}}}},
                              {"special_tokens", nlohmann::json::object()}};
     },
     "post_processor.single[0].SpecialToken.id 引用的 '<s>' 不在 special_tokens 中"},
    {"StripContentNotAChar",
     [](auto& j) {
       j["decoder"] = {{"type", "Strip"}, {"content", "ab"}, {"start", 1}, {"stop", 0}};
     },
     "decoder.content 应为单个字符"},
    {"RootNotObject", [](auto& j) { j = nlohmann::json::array(); }, "tokenizer.json: (根) 应为对象"},
};

INSTANTIATE_TEST_SUITE_P(Malformed, TokenizerJsonErrors, testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TokenizerJsonErrors, BadJsonSyntax) {
  try {
    Tokenizer::from_json("{\"model\": [1, 2");
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: 不是合法的 JSON"), std::string::npos);
  }
}

TEST(TokenizerJsonErrors, NumberOverflowIsAFormatError) {
  try {
    Tokenizer::from_json("1e99999");
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: 不是合法的 JSON"), std::string::npos);
  }
}

TEST(TokenizerJsonErrors, BosTokenMissingFromVocabIsAConfigError) {
  try {
    Tokenizer::from_json(testing_tokenizers::tiny_byte_level().dump(), R"({"bos_token": "<s>"})");
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json: bos_token '<s>' 不在词表中"), std::string::npos);
  }
}

}  // namespace
}  // namespace dsinfer
