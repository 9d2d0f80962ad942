// 命令行上的上下文上限：--ctx / --max-context、提示超长的退出码与消息、到达上限时的 stderr 提示、info 的报告。
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using testing_support::CliResult;
using testing_support::run_cli;

const std::string kTiny = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";

std::string ids(int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string((i * 7 + 3) % 500);
  return s;
}

size_t count_ids(const std::string& line) {
  return line.empty() ? 0 : size_t(std::count(line.begin(), line.end(), ',')) + 1;
}

TEST(ContextLimitCli, PromptLongerThanContextFailsNamingBothNumbers) {
  const CliResult r = run_cli("run -m " + kTiny + " --ids " + ids(70) + " -n 4 --ctx 64");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("提示有 70 个 token，超过上下文上限 64"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  // --max-context 是同一个配置项；超过模型的 max_position_embeddings 是配置错误
  const CliResult big = run_cli("run -m " + kTiny + " --ids 1,2 -n 4 --max-context 4096");
  EXPECT_EQ(big.code, 5) << big.err;
  EXPECT_NE(big.err.find("4096"), std::string::npos) << big.err;
  EXPECT_NE(big.err.find("2048"), std::string::npos) << big.err;
}

// 到达上限：输出是不设上限时的前缀，恰好停在上限，stderr 有提示；启用 MTP 时相同
TEST(ContextLimitCli, RunStopsAtTheLimitWithANote) {
  const std::string base = "run -m " + kTiny + " --ids " + ids(10) + " -n 80 --ignore-eos";
  for (const std::string mtp : {"", " --mtp 3"}) {
    SCOPED_TRACE(mtp);
    const CliResult free_run = run_cli(base + mtp);
    ASSERT_EQ(free_run.code, 0) << free_run.err;
    EXPECT_EQ(free_run.err.find("上下文上限"), std::string::npos) << free_run.err;
    const CliResult r = run_cli(base + mtp + " --ctx 32");
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(count_ids(r.out.substr(0, r.out.find('\n'))), 22u) << r.out;
    EXPECT_EQ(free_run.out.rfind(r.out.substr(0, r.out.find('\n')) + ",", 0), 0u) << r.out;
    EXPECT_NE(r.err.find("已达到上下文上限 32，生成在第 22 个 token 停止"), std::string::npos) << r.err;
  }
  // -n 先到：没有提示
  const CliResult short_run = run_cli("run -m " + kTiny + " --ids " + ids(10) + " -n 5 --ignore-eos --ctx 32");
  ASSERT_EQ(short_run.code, 0) << short_run.err;
  EXPECT_EQ(short_run.err.find("上下文上限"), std::string::npos) << short_run.err;
}

TEST(ContextLimitCli, InfoReportsTheLimit) {
  CliResult r = run_cli("info -m " + kTiny + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["context_limit"], 2048);
  EXPECT_EQ(j["max_position_embeddings"], 2048);
  EXPECT_EQ(j["ctx"], 8192);  // info 的 --ctx 仍是计算 KV 占用的长度
  EXPECT_EQ(j["optimization"]["max_context"], "0");
  r = run_cli("info -m " + kTiny + " --max-context 512 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["context_limit"], 512);
  r = run_cli("info -m " + kTiny + " --max-context 512");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("上下文上限:     512 token（max_position_embeddings 2048）"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dsinfer
