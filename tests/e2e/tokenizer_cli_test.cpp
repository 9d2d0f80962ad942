// dsinfer tokenize / detokenize 的端到端测试：参数是对外契约，输出格式与错误文本逐字检查。
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using testing_support::CliResult;
using testing_support::run_cli;

const std::string kModel = DSINFER_TEST_DATA_DIR "/tokenizer/deepseek-v3";

std::string write_temp(const std::string& name, const std::string& content) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(TokenizeCli, PrintsIdsSpaceSeparatedOrJson) {
  auto r = run_cli(std::vector<std::string>{"tokenize", "-m", kModel, "-p", "Hello, world!"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "19923 14 2058 3\n");
  r = run_cli(std::vector<std::string>{"tokenize", "-m", kModel, "-p", "Hello, world!", "--json", "--add-bos"});
  EXPECT_EQ(r.out, "[0,19923,14,2058,3]\n");
}

TEST(TokenizeCli, TokenizerFileAndTextFile) {
  const std::string text = write_temp("tok_input.txt", "<｜User｜>你好\n");
  const auto r =
      run_cli(std::vector<std::string>{"tokenize", "--tokenizer", kModel + "/tokenizer.json", "-f", text, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "[128803,30594,201]\n");
}

TEST(TokenizeCli, JsonlEncodesManyTexts) {
  const std::string input =
      write_temp("tok.jsonl", "{\"text\": \"Hello\"}\n\n{\"text\": \"12345\", \"add_bos\": true}\n");
  const auto r = run_cli(std::vector<std::string>{"tokenize", "-m", kModel, "--jsonl", input});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ids\":[19923]}\n{\"ids\":[0,6895,1883]}\n");
}

TEST(TokenizeCli, JsonlBadLineNamesTheLine) {
  const std::string input = write_temp("bad.jsonl", "{\"text\": \"a\"}\n{\"txt\": 1}\n");
  const auto r = run_cli(std::vector<std::string>{"tokenize", "-m", kModel, "--jsonl", input});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("第 2 行 应为含字符串字段 \"text\" 的 JSON 对象"), std::string::npos) << r.err;
}

TEST(TokenizeCli, InputChoiceIsValidated) {
  auto r = run_cli(std::vector<std::string>{"tokenize", "-m", kModel});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "错误: 须且只能给出 -p TEXT、-f FILE 与 --jsonl FILE 之一\n");
  r = run_cli(std::vector<std::string>{"tokenize", "-p", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "错误: 须且只能给出 -m DIR 与 --tokenizer FILE 之一\n");
}

TEST(TokenizeCli, InvalidUtf8FileIsAClearError) {
  const std::string text = write_temp("bad_utf8.txt", "ok\xff");
  const auto r = run_cli(std::vector<std::string>{"tokenize", "-m", kModel, "-f", text});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "错误: 输入文本不是合法的 UTF-8（字节偏移 2）\n");
}

TEST(TokenizeCli, CorruptTokenizerJsonNamesTheFile) {
  const std::string path = write_temp("corrupt_tokenizer.json", "{\"model\": ");
  const auto r = run_cli(std::vector<std::string>{"tokenize", "--tokenizer", path, "-p", "x"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("corrupt_tokenizer.json: 不是合法的 JSON"), std::string::npos) << r.err;
}

TEST(DetokenizeCli, PrintsTextExactly) {
  auto r = run_cli(std::vector<std::string>{"detokenize", "-m", kModel, "--ids", "0,19923,14,2058,3,201"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "<｜begin▁of▁sentence｜>Hello, world!\n");
  r = run_cli(std::vector<std::string>{"detokenize", "-m", kModel, "--ids", "0,19923", "--skip-special"});
  EXPECT_EQ(r.out, "Hello");
}

TEST(DetokenizeCli, BadIdsAreRejected) {
  const auto r = run_cli(std::vector<std::string>{"detokenize", "-m", kModel, "--ids", "1,x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "错误: 参数 --ids 的取值 'x' 不是整数\n");
}

}  // namespace
}  // namespace dsinfer
