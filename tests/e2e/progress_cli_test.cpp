// 进度条：在伪终端上加载权重（--load-mode read，以及放得下时预读页缓存的默认 mmap）与 make-model 显示进度条；
// stderr 被捕获（不是终端）时一字不写。
#include <gtest/gtest.h>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::run_cli_on_terminal;
using testing_support::ScratchDir;

const std::string kTiny = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";

TEST(ProgressCli, LoadingShowsABarOnlyOnATerminal) {
  const std::vector<std::string> args = {"run", "-m", kTiny, "--ids", "5,6,7", "-n", "2", "--load-mode", "read"};
  const CliResult tty = run_cli_on_terminal(args);
  ASSERT_EQ(tty.code, 0) << tty.out;
  EXPECT_NE(tty.out.find("\r加载权重"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("100%"), std::string::npos) << tty.out;
  const CliResult piped = run_cli(args);
  ASSERT_EQ(piped.code, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
  EXPECT_EQ(piped.out.find('\r'), std::string::npos);
}

TEST(ProgressCli, MmapLoadShowsTheReadIntoThePageCache) {
  const CliResult tty = run_cli_on_terminal({"run", "-m", kTiny, "--ids", "5,6,7", "-n", "2"});
  ASSERT_EQ(tty.code, 0) << tty.out;
  EXPECT_NE(tty.out.find("\r加载权重"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("100%"), std::string::npos) << tty.out;
  // 内存预算下专家留在磁盘：不预读整个文件，也就没有整文件的进度条
  const CliResult budget =
      run_cli_on_terminal({"run", "-m", kTiny, "--ids", "5,6,7", "-n", "2", "--mem-budget", "80M"});
  ASSERT_EQ(budget.code, 0) << budget.out;
  EXPECT_EQ(budget.out.find("加载权重"), std::string::npos) << budget.out;
}

TEST(ProgressCli, MakeModelShowsABarOnlyOnATerminal) {
  ScratchDir d;
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"make-model", "--preset", "v2-lite", "--layers", "1",  "--experts", "4",
                                    "--vocab",    "256",      "--dtype", "fp8",      "-o", d.file(out)};
  };
  const CliResult tty = run_cli_on_terminal(args("a"));
  ASSERT_EQ(tty.code, 0) << tty.out;
  EXPECT_NE(tty.out.find("\r写出模型"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("100%"), std::string::npos) << tty.out;
  const CliResult piped = run_cli(args("b"));
  ASSERT_EQ(piped.code, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
}

}  // namespace
}  // namespace dsinfer
