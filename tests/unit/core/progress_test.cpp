// ProgressBar：终端上 \r 重画、含标签 / 百分比 / 字节、至多约每 100 ms 一次、finish 换行；不是终端时什么都不写。
#include "core/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace dsinfer {
namespace {

std::string contents(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += char(c);
  return s;
}

TEST(ProgressBar, DrawsOnTerminalWithFinalNewline) {
  FILE* f = std::tmpfile();
  {
    ProgressBar bar(uint64_t(4) << 20, "加载权重", f, true);
    bar.add(uint64_t(1) << 20);
    bar.add(uint64_t(3) << 20);
    bar.finish();
    bar.finish();  // 只换行一次
  }
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(out.front(), '\r');
  EXPECT_NE(out.find("加载权重"), std::string::npos) << out;
  EXPECT_NE(out.find("100%"), std::string::npos) << out;
  EXPECT_NE(out.find("4.0 MiB / 4.0 MiB"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_EQ(out.back(), '\n');
}

TEST(ProgressBar, CountsInGivenUnit) {
  FILE* f = std::tmpfile();
  {
    ProgressBar bar(3000, "统计专家", f, true);
    bar.count_in("token");
    bar.add(3000);
  }
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_NE(out.find("3000 token / 3000 token"), std::string::npos) << out;
  EXPECT_EQ(out.find("KiB"), std::string::npos) << out;
}

TEST(ProgressBar, RedrawsAtMostAboutTenTimesPerSecond) {
  FILE* f = std::tmpfile();
  {
    ProgressBar bar(100000, "x", f, true);
    for (int i = 0; i < 100000; ++i) bar.add(1);  // 远少于 100 ms
  }                                               // 析构时 finish
  const std::string out = contents(f);
  std::fclose(f);
  EXPECT_LE(std::count(out.begin(), out.end(), '\r'), 3) << out;
  EXPECT_EQ(out.back(), '\n');
}

TEST(ProgressBar, SilentWhenNotATerminal) {
  FILE* f = std::tmpfile();
  EXPECT_FALSE(ProgressBar::is_terminal(f));
  {
    ProgressBar bar(1000, "x", f);  // 按 isatty 判断：临时文件不是终端
    bar.add(500);
    bar.add(500);
    bar.finish();
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

}  // namespace
}  // namespace dsinfer
