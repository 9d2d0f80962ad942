#include "formats/model_config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/json_text.h"

namespace dsinfer {

using nlohmann::json;

bool ModelConfig::is_moe_layer(int64_t layer) const {
  return n_routed_experts > 0 && layer >= first_k_dense_replace && layer % moe_layer_freq == 0;
}

double ModelConfig::softmax_scale() const {
  double scale = 1.0 / std::sqrt(double(qk_head_dim()));
  if (rope_scaling.yarn && rope_scaling.factor > 1.0) {
    const double m = 0.1 * rope_scaling.mscale_all_dim * std::log(rope_scaling.factor) + 1.0;
    scale *= m * m;
  }
  return scale;
}

const char* ModelConfig::architecture_name() const {
  return architecture == Architecture::kDeepseekV2 ? "DeepseekV2ForCausalLM" : "DeepseekV3ForCausalLM";
}

namespace {

// 带路径与字段名的读取助手。
class Reader {
 public:
  Reader(const json& j, const std::string& path, std::string prefix = "")
      : j_(j), path_(path), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(ErrorCode::kConfig, cat(path_, ": 字段 \"", prefix_, field, "\" ", what));
  }
  bool has(const std::string& key) const { return j_.contains(key) && !j_[key].is_null(); }

  int64_t integer(const std::string& key, bool required, int64_t fallback, int64_t min_value) const {
    if (!has(key)) {
      if (required) fail(key, "缺失（必填）");
      return fallback;
    }
    const json& v = j_[key];
    if (!v.is_number_integer()) fail(key, cat("应为整数，实际为 ", v.dump()));
    const int64_t x = v.get<int64_t>();
    if (x < min_value) fail(key, cat("取值 ", x, " 非法（应 ≥ ", min_value, "）"));
    return x;
  }
  double number(const std::string& key, double fallback, double min_value) const {
    if (!has(key)) return fallback;
    const json& v = j_[key];
    if (!v.is_number()) fail(key, cat("应为数字，实际为 ", v.dump()));
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < min_value) fail(key, cat("取值 ", x, " 非法"));
    return x;
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_boolean()) fail(key, cat("应为 true/false，实际为 ", j_[key].dump()));
    return j_[key].get<bool>();
  }
  std::string string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    if (!j_[key].is_string()) fail(key, cat("应为字符串，实际为 ", j_[key].dump()));
    return j_[key].get<std::string>();
  }
  std::vector<int32_t> token_ids(const std::string& key) const {
    std::vector<int32_t> ids;
    if (!has(key)) return ids;
    const json& v = j_[key];
    auto add = [&](const json& x) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0) fail(key, "应为非负整数或其数组");
      ids.push_back(x.get<int32_t>());
    };
    if (v.is_array()) {
      for (const json& x : v) add(x);
    } else {
      add(v);
    }
    return ids;
  }

 private:
  const json& j_;
  const std::string& path_;
  std::string prefix_;
};

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& path) {
  const json j = parse_json(json_text, ErrorCode::kConfig, path + ": ");
  if (!j.is_object()) throw Error(ErrorCode::kConfig, cat(path, ": 顶层应为 JSON 对象"));
  Reader r(j, path);
  ModelConfig c;
  c.path = path;

  // 架构：architectures[0] 优先，其次 model_type。
  std::string arch;
  if (r.has("architectures")) {
    if (!j["architectures"].is_array() || j["architectures"].empty() || !j["architectures"][0].is_string())
      r.fail("architectures", "应为非空字符串数组");
    arch = j["architectures"][0].get<std::string>();
  }
  c.model_type = r.string("model_type", "");
  if (arch == "DeepseekV2ForCausalLM" || (arch.empty() && c.model_type == "deepseek_v2")) {
    c.architecture = Architecture::kDeepseekV2;
  } else if (arch == "DeepseekV3ForCausalLM" || (arch.empty() && c.model_type == "deepseek_v3")) {
    c.architecture = Architecture::kDeepseekV3;
  } else {
    throw Error(ErrorCode::kUnsupported, cat(path, ": 不支持的架构 '", arch.empty() ? c.model_type : arch,
                                             "'（支持 DeepseekV2ForCausalLM、DeepseekV3ForCausalLM）"));
  }

  c.vocab_size = r.integer("vocab_size", true, 0, 1);
  c.hidden_size = r.integer("hidden_size", true, 0, 1);
  c.intermediate_size = r.integer("intermediate_size", true, 0, 1);
  c.num_hidden_layers = r.integer("num_hidden_layers", true, 0, 1);
  c.num_attention_heads = r.integer("num_attention_heads", true, 0, 1);
  c.q_lora_rank = r.integer("q_lora_rank", false, 0, 1);
  c.kv_lora_rank = r.integer("kv_lora_rank", true, 0, 1);
  c.qk_nope_head_dim = r.integer("qk_nope_head_dim", true, 0, 1);
  c.qk_rope_head_dim = r.integer("qk_rope_head_dim", true, 0, 2);
  c.v_head_dim = r.integer("v_head_dim", true, 0, 1);
  if (c.qk_rope_head_dim % 2) r.fail("qk_rope_head_dim", "必须是偶数（RoPE 按相邻两维成对旋转）");
  if (c.qk_rope_head_dim > 512) r.fail("qk_rope_head_dim", cat("取值 ", c.qk_rope_head_dim, " 过大（≤ 512）"));
  // qk_head_dim() = nope + rope：上限保证相加不溢出（真实模型为 128）。
  if (c.qk_nope_head_dim > 65536) r.fail("qk_nope_head_dim", cat("取值 ", c.qk_nope_head_dim, " 过大（≤ 65536）"));

  c.n_routed_experts = r.integer("n_routed_experts", false, 0, 1);
  if (c.n_routed_experts > 0) {
    c.moe_intermediate_size = r.integer("moe_intermediate_size", true, 0, 1);
    c.num_experts_per_tok = r.integer("num_experts_per_tok", true, 0, 1);
    if (c.num_experts_per_tok > c.n_routed_experts)
      r.fail("num_experts_per_tok", cat("取值 ", c.num_experts_per_tok, " 大于 n_routed_experts ", c.n_routed_experts));
    c.n_shared_experts = r.integer("n_shared_experts", false, 0, 0);
    c.n_group = r.integer("n_group", false, 1, 1);
    c.topk_group = r.integer("topk_group", false, 1, 1);
    if (c.n_group > 256) r.fail("n_group", cat("取值 ", c.n_group, " 过大（≤ 256）"));
    if (c.n_routed_experts % c.n_group)
      r.fail("n_group", cat("取值 ", c.n_group, " 不能整除 n_routed_experts ", c.n_routed_experts));
    if (c.topk_group > c.n_group) r.fail("topk_group", cat("取值 ", c.topk_group, " 大于 n_group ", c.n_group));
    const std::string method = r.string("topk_method", "greedy");
    if (method == "greedy")
      c.topk_method = TopkMethod::kGreedy;
    else if (method == "group_limited_greedy")
      c.topk_method = TopkMethod::kGroupLimitedGreedy;
    else if (method == "noaux_tc")
      c.topk_method = TopkMethod::kNoauxTc;
    else
      r.fail("topk_method", cat("取值 '", method, "' 不受支持（greedy、group_limited_greedy、noaux_tc）"));
    const std::string scoring = r.string("scoring_func", "softmax");
    if (scoring == "softmax")
      c.scoring_func = ScoringFunc::kSoftmax;
    else if (scoring == "sigmoid")
      c.scoring_func = ScoringFunc::kSigmoid;
    else
      r.fail("scoring_func", cat("取值 '", scoring, "' 不受支持（softmax、sigmoid）"));
    if (c.topk_method != TopkMethod::kGreedy) {
      const int64_t per_group = c.n_routed_experts / c.n_group;
      if (c.topk_group * per_group < c.num_experts_per_tok)
        r.fail("topk_group", "所选组内的专家总数少于 num_experts_per_tok");
      if (c.topk_method == TopkMethod::kNoauxTc && per_group < 2 && c.n_group > 1)
        r.fail("n_group", "noaux_tc 的组分取组内前 2 之和，每组至少需要 2 个专家");
    }
    c.norm_topk_prob = r.boolean("norm_topk_prob", false);
    c.routed_scaling_factor = r.number("routed_scaling_factor", 1.0, 0.0);
    c.first_k_dense_replace = r.integer("first_k_dense_replace", false, 0, 0);
    c.moe_layer_freq = r.integer("moe_layer_freq", false, 1, 1);
  }

  c.rms_norm_eps = r.number("rms_norm_eps", 1e-6, 0.0);
  c.rope_theta = r.number("rope_theta", 10000.0, 1e-9);
  c.max_position_embeddings = r.integer("max_position_embeddings", false, 4096, 1);
  c.num_nextn_predict_layers = r.integer("num_nextn_predict_layers", false, 0, 0);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.bos_token_ids = r.token_ids("bos_token_id");
  c.eos_token_ids = r.token_ids("eos_token_id");
  c.torch_dtype = r.string("torch_dtype", "");

  const std::string act = r.string("hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act", cat("取值 '", act, "' 不受支持（仅 silu）"));
  if (r.boolean("attention_bias", false)) r.fail("attention_bias", "为 true 不受支持（DeepSeek 注意力无偏置）");

  if (r.has("rope_scaling")) {
    const json& rs = j["rope_scaling"];
    if (!rs.is_object()) r.fail("rope_scaling", "应为对象或 null");
    Reader s(rs, path, "rope_scaling.");
    std::string type = s.string("type", s.string("rope_type", ""));
    if (type != "yarn") s.fail("type", cat("取值 '", type, "' 不受支持（仅 yarn）"));
    c.rope_scaling.yarn = true;
    c.rope_scaling.factor = s.number("factor", 1.0, 1e-9);
    c.rope_scaling.original_max_position_embeddings =
        s.integer("original_max_position_embeddings", false, c.max_position_embeddings, 1);
    c.rope_scaling.beta_fast = s.number("beta_fast", 32.0, 0.0);
    c.rope_scaling.beta_slow = s.number("beta_slow", 1.0, 0.0);
    c.rope_scaling.mscale = s.number("mscale", 1.0, 0.0);
    c.rope_scaling.mscale_all_dim = s.number("mscale_all_dim", 0.0, 0.0);
  }

  if (r.has("quantization_config")) {
    const json& q = j["quantization_config"];
    if (!q.is_object()) r.fail("quantization_config", "应为对象");
    Reader qr(q, path, "quantization_config.");
    const std::string method = qr.string("quant_method", "");
    if (method != "fp8") qr.fail("quant_method", cat("取值 '", method, "' 不受支持（仅 fp8）"));
    const std::string fmt = qr.string("fmt", "e4m3");
    if (fmt != "e4m3") qr.fail("fmt", cat("取值 '", fmt, "' 不受支持（仅 e4m3）"));
    if (qr.has("weight_block_size")) {
      const json& b = q["weight_block_size"];
      if (!b.is_array() || b.size() != 2 || b[0] != 128 || b[1] != 128)
        qr.fail("weight_block_size", cat("取值 ", b.dump(), " 不受支持（仅 [128, 128]）"));
    }
    c.fp8_quantized = true;
  }
  return c;
}

ModelConfig load_model_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  return parse_model_config(read_text_file(path), path);
}

}  // namespace dsinfer
