// chat 的多轮对话复用前几轮的 KV（前缀缓存）：预填充的 token 数少得多，回复与关掉前缀缓存时逐字相同。
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::ScratchDir;

const std::string kTiny = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";

TEST(ChatPrefixCache, LaterTurnsPrefillOnlyTheNewTokens) {
  ScratchDir d;
  std::string turns;
  for (int i = 1; i <= 4; ++i)
    turns += "第 " + std::to_string(i) + " 个问题：天下大事，分久必合，合久必分，这是为什么？\n";
  int64_t prefill[2];
  std::string out[2];
  for (int cached = 0; cached < 2; ++cached) {
    const std::string stats = d.file("s" + std::to_string(cached) + ".json");
    const CliResult r = run_cli({"chat", "-m", kTiny, "-n", "24", "--seed", "1", "--prefix-cache",
                                 cached ? "true" : "false", "--stats-json", stats},
                                turns);
    ASSERT_EQ(r.code, 0) << r.err;
    out[cached] = r.out;
    prefill[cached] = nlohmann::json::parse(testing_support::read_file(stats))["prefill_tokens"].get<int64_t>();
  }
  EXPECT_EQ(out[1], out[0]);
  // 4 轮：不缓存时每轮都重算整段历史；缓存时只算未写满一块的尾巴与新的一轮
  EXPECT_LT(prefill[1], prefill[0] * 2 / 3) << prefill[1] << " vs " << prefill[0];
}

}  // namespace
}  // namespace dsinfer
