// dsinfer template 的端到端测试：输出与 chat_cases.jsonl 的 prompt 逐字节相同。
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using testing_support::CliResult;
using testing_support::run_cli;

const std::string kModel = DSINFER_TEST_DATA_DIR "/tokenizer/deepseek-v3";

TEST(TemplateCli, RendersChatCasesExactly) {
  std::ifstream in(kModel + "/chat_cases.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line);
    SCOPED_TRACE(row["name"].get<std::string>());
    const std::string path = testing::TempDir() + "/messages_" + std::to_string(n++) + ".json";
    std::ofstream(path) << row["messages"].dump();
    std::vector<std::string> args = {"template", "-m", kModel, "--messages", path};
    if (row["add_generation_prompt"].get<bool>()) args.push_back("--add-generation-prompt");
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, row["prompt"].get<std::string>());
  }
  EXPECT_EQ(n, 3);
}

TEST(TemplateCli, FamilyOverrideAndErrors) {
  const std::string path = testing::TempDir() + "/one.json";
  std::ofstream(path) << R"([{"role": "user", "content": "hi"}])";
  auto r = run_cli(std::vector<std::string>{"template", "-m", kModel, "--messages", path, "--chat-template", "chatml",
                                            "--add-generation-prompt"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  r = run_cli(std::vector<std::string>{"template", "-m", kModel, "--messages", path, "--chat-template", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("未知的模板族 'x'"), std::string::npos) << r.err;
  r = run_cli(std::vector<std::string>{"template", "-m", kModel});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "错误: 缺少必填参数 --messages（dsinfer template --help）\n");
}

}  // namespace
}  // namespace dsinfer
