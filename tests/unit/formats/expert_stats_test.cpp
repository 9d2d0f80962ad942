// 专家统计文件：写出再读回不变；格式错误点名文件与字段；与模型不符（专家数、top-k、非 MoE 层）报错。
#include "formats/expert_stats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "e2e/cli.h"

namespace dsinfer {
namespace {

using nlohmann::json;
const std::string kData = DSINFER_TEST_DATA_DIR;

ExpertStats sample() {
  ExpertStats s;
  s.model = "v2-lite";
  s.tokens = 3;
  s.n_routed_experts = 64;
  s.num_experts_per_tok = 6;
  s.counts[1] = std::vector<uint64_t>(64, 0);
  s.counts[1][7] = 18;
  s.counts[26] = std::vector<uint64_t>(64, 0);
  s.counts[26][63] = 18;
  return s;
}

std::string error_of(const std::string& text) {
  try {
    parse_expert_stats(text, "stats.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFormat);
    return e.what();
  }
  return "";
}

TEST(ExpertStats, SaveAndLoadRoundTrip) {
  testing_support::ScratchDir d;
  save_expert_stats(d.file("s.json"), sample());
  const ExpertStats s = load_expert_stats(d.file("s.json"));
  EXPECT_EQ(s.model, "v2-lite");
  EXPECT_EQ(s.tokens, 3);
  EXPECT_EQ(s.n_routed_experts, 64);
  EXPECT_EQ(s.num_experts_per_tok, 6);
  EXPECT_EQ(s.counts, sample().counts);
  EXPECT_EQ(json::parse(testing_support::read_file(d.file("s.json")))["format"], "dsinfer-expert-stats");
}

TEST(ExpertStats, MalformedFilesNameTheField) {
  json good = json::parse(expert_stats_json(sample()));
  EXPECT_EQ(error_of(good.dump()), "");
  EXPECT_NE(error_of("{").find("stats.json"), std::string::npos);
  EXPECT_NE(error_of("[]").find("顶层"), std::string::npos);
  json j = good;
  j["format"] = "other";
  EXPECT_NE(error_of(j.dump()).find("\"format\""), std::string::npos);
  j = good;
  j["version"] = 2;
  EXPECT_NE(error_of(j.dump()).find("版本 2"), std::string::npos);
  j = good;
  j.erase("tokens");
  EXPECT_NE(error_of(j.dump()).find("\"tokens\""), std::string::npos);
  j = good;
  j["layers"][0]["counts"].erase(0);
  EXPECT_NE(error_of(j.dump()).find("layers[0]"), std::string::npos);
  j = good;
  j["layers"][1]["counts"][3] = -1;
  EXPECT_NE(error_of(j.dump()).find("-1 不是非负整数"), std::string::npos);
  j = good;
  j["layers"][1]["counts"][3] = 1.5;
  EXPECT_NE(error_of(j.dump()).find("不是非负整数"), std::string::npos);
  j = good;
  j["layers"][1]["layer"] = 1;
  EXPECT_NE(error_of(j.dump()).find("重复"), std::string::npos);
  j = good;
  j["layers"][0]["layer"] = "1";
  EXPECT_NE(error_of(j.dump()).find("\"layer\""), std::string::npos);
}

TEST(ExpertStats, MustMatchTheModel) {
  const ModelConfig lite = load_model_config(kData + "/configs/deepseek-v2-lite");
  EXPECT_NO_THROW(check_expert_stats(sample(), lite, "s.json"));
  auto message = [&](const ExpertStats& s) {
    try {
      check_expert_stats(s, lite, "s.json");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig);
      return std::string(e.what());
    }
    return std::string();
  };
  ExpertStats s = sample();
  s.n_routed_experts = 160;
  EXPECT_NE(message(s).find("n_routed_experts 为 160"), std::string::npos);
  s = sample();
  s.num_experts_per_tok = 8;
  EXPECT_NE(message(s).find("num_experts_per_tok"), std::string::npos);
  s = sample();
  s.counts[0] = std::vector<uint64_t>(64, 1);  // 第 0 层是稠密层
  EXPECT_NE(message(s).find("第 0 层不是该模型的 MoE 层"), std::string::npos);
  s = sample();
  s.counts[27] = std::vector<uint64_t>(64, 1);  // V2-Lite 没有 MTP 层
  EXPECT_NE(message(s).find("第 27 层"), std::string::npos);
}

}  // namespace
}  // namespace dsinfer
