// 文本进、文本出：run -p（流式与非流式）、--chat、chat 交互式对话（/reset、/exit）。
// 模型目录 = 参考夹具 v3-tiny 的权重 + 词表 ≤ 512 的字节级分词器（tests/data/tokenizer/tiny-bytelevel）。
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::ScratchDir;

class TextModel : public testing::Test {
 protected:
  void SetUp() override {
    const std::string data = DSINFER_TEST_DATA_DIR;
    for (const char* f : {"config.json", "model.safetensors"})
      std::filesystem::copy_file(data + "/reference/v3-tiny/" + f, dir_.file(f));
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
      std::filesystem::copy_file(data + "/tokenizer/tiny-bytelevel/" + f, dir_.file(f));
  }
  ScratchDir dir_;
};

TEST_F(TextModel, RunPromptPrintsPromptAndContinuationStreamingOrNot) {
  const CliResult plain = run_cli({"run", "-m", dir_.path(), "-p", "你好 world", "-n", "12", "--ignore-eos"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.out.rfind("你好 world", 0), 0u) << plain.out;
  const CliResult streamed =
      run_cli({"run", "-m", dir_.path(), "-p", "你好 world", "-n", "12", "--ignore-eos", "--stream"});
  ASSERT_EQ(streamed.code, 0) << streamed.err;
  EXPECT_EQ(streamed.out, plain.out);
  // 与按 id 生成的结果一致：BOS + 字节 token
  const CliResult tok = run_cli({"tokenize", "-m", dir_.path(), "-p", "你好 world", "--add-bos"});
  ASSERT_EQ(tok.code, 0) << tok.err;
  std::string ids = tok.out.substr(0, tok.out.find('\n'));
  for (char& c : ids)
    if (c == ' ') c = ',';
  const CliResult by_ids = run_cli({"run", "-m", dir_.path(), "--ids", ids, "-n", "12", "--ignore-eos"});
  ASSERT_EQ(by_ids.code, 0) << by_ids.err;
  const std::string gen = by_ids.out.substr(0, by_ids.out.find('\n'));
  const CliResult text = run_cli({"detokenize", "-m", dir_.path(), "--ids", gen});
  EXPECT_EQ("你好 world" + text.out + "\n", plain.out);
}

TEST_F(TextModel, ChatFlagAndInteractiveChat) {
  const CliResult r = run_cli({"run", "-m", dir_.path(), "-p", "Hi", "-n", "6", "--chat", "--mtp", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("Hi"), std::string::npos) << "--chat 只打印回复";
  const CliResult c =
      run_cli({"chat", "-m", dir_.path(), "-n", "4", "--system", "be brief"}, "hi\n/reset\n\nyo\n/exit\nnever\n");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("（对话已清空）"), std::string::npos) << c.out;
  size_t prompts = 0;
  for (size_t p = c.out.find("> "); p != std::string::npos; p = c.out.find("> ", p + 2)) ++prompts;
  EXPECT_GE(prompts, 4u);  // hi、/reset、空行、yo 之后各一个提示符，/exit 之后退出
}

TEST_F(TextModel, PromptSourceErrors) {
  CliResult r = run_cli({"run", "-m", dir_.path(), "-p", "a", "--ids", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("只能给一个"), std::string::npos);
  r = run_cli({"run", "-m", dir_.path(), "--ids", "1", "--chat"});
  EXPECT_EQ(r.code, 2);
  r = run_cli({"run", "-m", dir_.path(), "-f", "/nonexistent/prompt.txt"});
  EXPECT_EQ(r.code, 3);
  r = run_cli({"chat", "-m", dir_.path(), "-n", "0"}, "");
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace dsinfer
