#include "formats/model_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"

namespace dsinfer {
namespace {

using nlohmann::json;
const std::string kData = DSINFER_TEST_DATA_DIR;

json base_config() {
  return json::parse(read_text_file(kData + "/configs/deepseek-v2-lite/config.json"));
}

std::string error_of(const json& j) {
  try {
    parse_model_config(j.dump(), "cfg/config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, RealConfigsParseWithSpecValues) {
  const ModelConfig lite = load_model_config(kData + "/configs/deepseek-v2-lite");
  EXPECT_EQ(lite.architecture, Architecture::kDeepseekV2);
  EXPECT_EQ(lite.q_lora_rank, 0);
  EXPECT_EQ(lite.topk_method, TopkMethod::kGreedy);
  EXPECT_EQ(lite.eos_token_ids, std::vector<int32_t>{100001});
  EXPECT_NEAR(lite.softmax_scale(), 0.114721, 1e-6);  // docs/spec.md §3.5
  EXPECT_FALSE(lite.is_moe_layer(0));
  EXPECT_TRUE(lite.is_moe_layer(1));
  const ModelConfig v3 = load_model_config(kData + "/configs/deepseek-v3");
  EXPECT_EQ(v3.architecture, Architecture::kDeepseekV3);
  EXPECT_EQ(v3.topk_method, TopkMethod::kNoauxTc);
  EXPECT_EQ(v3.scoring_func, ScoringFunc::kSigmoid);
  EXPECT_TRUE(v3.fp8_quantized);
  EXPECT_EQ(v3.num_nextn_predict_layers, 1);
  EXPECT_NEAR(v3.softmax_scale(), 0.135234, 1e-6);
  EXPECT_STREQ(v3.architecture_name(), "DeepseekV3ForCausalLM");
  const ModelConfig v2 = load_model_config(kData + "/configs/deepseek-v2");
  EXPECT_EQ(v2.topk_method, TopkMethod::kGroupLimitedGreedy);
  EXPECT_EQ(v2.n_group, 8);
  EXPECT_EQ(v2.topk_group, 3);
}

TEST(ModelConfig, DefaultsAndVariants) {
  json j = base_config();
  j.erase("architectures");  // 退回 model_type
  j["rope_scaling"] = nullptr;
  j["moe_layer_freq"] = 2;
  j["eos_token_id"] = {1, 2};
  j.erase("rms_norm_eps");
  const ModelConfig c = parse_model_config(j.dump(), "x");
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV2);
  EXPECT_FALSE(c.rope_scaling.yarn);
  EXPECT_NEAR(c.softmax_scale(), 1.0 / std::sqrt(192.0), 1e-9);
  EXPECT_TRUE(c.is_moe_layer(2));
  EXPECT_FALSE(c.is_moe_layer(3));
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  json dense = base_config();
  dense["n_routed_experts"] = nullptr;
  EXPECT_FALSE(parse_model_config(dense.dump(), "x").is_moe_layer(5));
  json v3 = base_config();
  v3["architectures"] = nullptr;
  v3["model_type"] = "deepseek_v3";
  EXPECT_EQ(parse_model_config(v3.dump(), "x").architecture, Architecture::kDeepseekV3);
  v3["rope_scaling"]["rope_type"] = "yarn";
  v3["rope_scaling"].erase("type");
  EXPECT_TRUE(parse_model_config(v3.dump(), "x").rope_scaling.yarn);
}

// 超出 double 范围的数值：nlohmann 抛出 out_of_range 而不是 parse_error，也须成为点名文件的 Error。
TEST(ModelConfig, NumberOverflowIsAnError) {
  try {
    parse_model_config(R"({"rope_theta": 1e999})", "cfg/config.json");
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(std::string(e.what()).find("cfg/config.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1e999"), std::string::npos) << e.what();
  }
}

// qk_nope_head_dim 接近 int64 上限时 qk_head_dim() 曾有符号溢出；现在解析时即报错。
TEST(ModelConfig, HugeHeadDimIsRejected) {
  json j = base_config();
  j["qk_nope_head_dim"] = INT64_MAX;
  EXPECT_NE(error_of(j).find("qk_nope_head_dim"), std::string::npos) << error_of(j);
}

TEST(ModelConfig, InvalidValuesNameTheField) {
  struct Case {
    std::function<void(json&)> edit;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j["n_group"] = 3; }, "\"n_group\""},
      {[](json& j) { j["n_group"] = 512; }, "\"n_group\""},
      {[](json& j) { j["topk_group"] = 2; }, "\"topk_group\""},
      {[](json& j) { j["num_experts_per_tok"] = 65; }, "\"num_experts_per_tok\""},
      {[](json& j) { j["hidden_act"] = "gelu"; }, "\"hidden_act\""},
      {[](json& j) { j["attention_bias"] = true; }, "\"attention_bias\""},
      {[](json& j) { j["rope_scaling"]["type"] = "linear"; }, "\"rope_scaling.type\""},
      {[](json& j) { j["rope_scaling"]["factor"] = "big"; }, "\"rope_scaling.factor\""},
      {[](json& j) { j["rope_scaling"] = 3; }, "\"rope_scaling\""},
      {[](json& j) { j["scoring_func"] = "relu"; }, "\"scoring_func\""},
      {[](json& j) { j["norm_topk_prob"] = "yes"; }, "\"norm_topk_prob\""},
      {[](json& j) { j["eos_token_id"] = "eos"; }, "\"eos_token_id\""},
      {[](json& j) { j["architectures"] = "DeepseekV2ForCausalLM"; }, "\"architectures\""},
      {[](json& j) { j["vocab_size"] = 0; }, "\"vocab_size\""},
      {[](json& j) { j["rms_norm_eps"] = -1; }, "\"rms_norm_eps\""},
      {[](json& j) { j["qk_rope_head_dim"] = 1024; }, "\"qk_rope_head_dim\""},
      {[](json& j) {
         j["model_type"] = 5;
         j.erase("architectures");
       },
       "\"model_type\""},
      {[](json& j) {
         j["quantization_config"] = {{"quant_method", "awq"}};
       },
       "\"quantization_config.quant_method\""},
      {[](json& j) {
         j["quantization_config"] = {{"quant_method", "fp8"}, {"fmt", "e5m2"}};
       },
       "\"quantization_config.fmt\""},
      {[](json& j) {
         j["quantization_config"] = {{"quant_method", "fp8"}, {"weight_block_size", {64, 64}}};
       },
       "\"quantization_config.weight_block_size\""},
      {[](json& j) { j["quantization_config"] = 1; }, "\"quantization_config\""},
      {[](json& j) {
         j["topk_method"] = "noaux_tc";
         j["n_group"] = 64;
         j["topk_group"] = 6;
       },
       "\"n_group\""},
      {[](json& j) {
         j["topk_method"] = "group_limited_greedy";
         j["n_group"] = 8;
         j["topk_group"] = 0;
       },
       "\"topk_group\""},
  };
  for (const auto& c : cases) {
    json j = base_config();
    c.edit(j);
    const std::string err = error_of(j);
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.expect << " → " << err;
    EXPECT_NE(err.find("cfg/config.json"), std::string::npos) << err;
  }
  EXPECT_NE(error_of(json::array()).find("对象"), std::string::npos);
}

}  // namespace
}  // namespace dsinfer
