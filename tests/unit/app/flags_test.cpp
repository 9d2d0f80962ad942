#include "app/flags.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace dsinfer {
namespace {

TEST(FlagSet, ParsesEveryKindAndReportsErrors) {
  std::string s;
  int64_t n = 1;
  double x = 0;
  bool b = false;
  std::string custom;
  FlagSet f("test", "测试");
  f.add_string("-s,--str", &s, "字符串", true);
  f.add_int("-n", &n, "整数");
  f.add_float("--x", &x, "浮点");
  f.add_bool("--flag", &b, "开关");
  f.add_custom("--c", "V", "自定义", [&](const std::string&, const std::string& v) { custom = v; });
  std::vector<std::string> args = {"dsinfer", "test", "--str=abc", "-n", "5", "--x", "2.5", "--flag", "--c", "q"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  EXPECT_TRUE(f.parse(int(argv.size()), argv.data(), 2));
  EXPECT_EQ(s, "abc");
  EXPECT_EQ(n, 5);
  EXPECT_DOUBLE_EQ(x, 2.5);
  EXPECT_TRUE(b);
  EXPECT_EQ(custom, "q");
  EXPECT_TRUE(f.seen("--flag"));
  EXPECT_FALSE(f.seen("--nothing"));
  EXPECT_NE(f.help().find("（必填）"), std::string::npos);

  std::vector<std::string> help = {"dsinfer", "test", "--help"};
  std::vector<char*> hv;
  for (auto& a : help) hv.push_back(a.data());
  FlagSet g("test", "测试");
  EXPECT_FALSE(g.parse(int(hv.size()), hv.data(), 2));
}

TEST(FlagSet, ValueParsers) {
  EXPECT_EQ(parse_id_list("--ids", "1, 2,3"), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_THROW(parse_id_list("--ids", ""), Error);
  EXPECT_THROW(parse_id_list("--ids", "-1"), Error);
  EXPECT_THROW(parse_id_list("--ids", "99999999999"), Error);
  EXPECT_THROW(parse_int("-n", "1.5"), Error);
  EXPECT_THROW(parse_float("--x", "abc"), Error);
  EXPECT_DOUBLE_EQ(parse_float("--x", "1e-3"), 1e-3);
}

}  // namespace
}  // namespace dsinfer
