#include "formats/expert_stats.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "formats/json_text.h"

namespace dsinfer {

namespace {

constexpr const char* kFormatName = "dsinfer-expert-stats";
constexpr int64_t kVersion = 1;

const nlohmann::json& field(const nlohmann::json& obj, const char* name, const std::string& where) {
  const auto it = obj.find(name);
  if (it == obj.end()) throw Error(ErrorCode::kFormat, cat(where, "缺少字段 \"", name, "\""));
  return *it;
}

int64_t int_field(const nlohmann::json& obj, const char* name, const std::string& where, int64_t min_value) {
  const nlohmann::json& v = field(obj, name, where);
  if (!v.is_number_integer() || v.get<int64_t>() < min_value)
    throw Error(ErrorCode::kFormat,
                cat(where, "字段 \"", name, "\" 应为 ≥ ", min_value, " 的整数（实为 ", v.dump(), "）"));
  return v.get<int64_t>();
}

}  // namespace

ExpertStats parse_expert_stats(const std::string& text, const std::string& path) {
  const std::string where = cat("专家统计文件 ", path, "：");
  const nlohmann::json j = parse_json(text, ErrorCode::kFormat, cat("专家统计文件 ", path, " "));
  if (!j.is_object()) throw Error(ErrorCode::kFormat, cat(where, "顶层应为 JSON 对象"));
  const nlohmann::json& format = field(j, "format", where);
  if (!format.is_string() || format.get<std::string>() != kFormatName)
    throw Error(ErrorCode::kFormat, cat(where, "字段 \"format\" 应为 \"", kFormatName, "\"（实为 ", format.dump(),
                                        "）；这个文件由 dsinfer profile-experts 写出"));
  const int64_t version = int_field(j, "version", where, 1);
  if (version != kVersion)
    throw Error(ErrorCode::kFormat, cat(where, "不支持的版本 ", version, "（支持 ", kVersion, "）"));

  ExpertStats s;
  if (const auto it = j.find("model"); it != j.end() && it->is_string()) s.model = it->get<std::string>();
  s.tokens = int_field(j, "tokens", where, 0);
  s.n_routed_experts = int_field(j, "n_routed_experts", where, 1);
  s.num_experts_per_tok = int_field(j, "num_experts_per_tok", where, 1);
  const nlohmann::json& layers = field(j, "layers", where);
  if (!layers.is_array()) throw Error(ErrorCode::kFormat, cat(where, "字段 \"layers\" 应为数组"));
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string at = cat(where, "layers[", i, "]：");
    const nlohmann::json& entry = layers[i];
    if (!entry.is_object()) throw Error(ErrorCode::kFormat, cat(at, "应为对象"));
    const int64_t layer = int_field(entry, "layer", at, 0);
    const nlohmann::json& counts = field(entry, "counts", at);
    if (!counts.is_array() || int64_t(counts.size()) != s.n_routed_experts)
      throw Error(ErrorCode::kFormat,
                  cat(at, "字段 \"counts\" 应为 ", s.n_routed_experts, " 个非负整数的数组（n_routed_experts）"));
    std::vector<uint64_t> row;
    row.reserve(counts.size());
    for (const auto& c : counts) {
      if (!c.is_number_unsigned() && !(c.is_number_integer() && c.get<int64_t>() >= 0))
        throw Error(ErrorCode::kFormat, cat(at, "counts 中的 ", c.dump(), " 不是非负整数"));
      row.push_back(c.get<uint64_t>());
    }
    if (!s.counts.emplace(layer, std::move(row)).second)
      throw Error(ErrorCode::kFormat, cat(at, "第 ", layer, " 层重复出现"));
  }
  return s;
}

ExpertStats load_expert_stats(const std::string& path) {
  return parse_expert_stats(read_text_file(path), path);
}

std::string expert_stats_json(const ExpertStats& stats) {
  nlohmann::ordered_json j;
  j["format"] = kFormatName;
  j["version"] = kVersion;
  j["model"] = stats.model;
  j["tokens"] = stats.tokens;
  j["n_routed_experts"] = stats.n_routed_experts;
  j["num_experts_per_tok"] = stats.num_experts_per_tok;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& [layer, counts] : stats.counts) layers.push_back({{"layer", layer}, {"counts", counts}});
  j["layers"] = std::move(layers);
  return j.dump(1) + "\n";
}

void save_expert_stats(const std::string& path, const ExpertStats& stats) {
  const std::string text = expert_stats_json(stats);
  write_file(path, text.data(), text.size());
}

void check_expert_stats(const ExpertStats& stats, const ModelConfig& config, const std::string& path) {
  const std::string where = cat("专家统计文件 ", path, "（模型 ", stats.model, "）与模型 ", config.path, " 不符：");
  if (stats.n_routed_experts != config.n_routed_experts)
    throw Error(ErrorCode::kConfig,
                cat(where, "n_routed_experts 为 ", stats.n_routed_experts, "，模型为 ", config.n_routed_experts));
  if (stats.num_experts_per_tok != config.num_experts_per_tok)
    throw Error(ErrorCode::kConfig, cat(where, "num_experts_per_tok 为 ", stats.num_experts_per_tok, "，模型为 ",
                                        config.num_experts_per_tok));
  const int64_t n_layers = config.num_hidden_layers + config.num_nextn_predict_layers;
  for (const auto& [layer, counts] : stats.counts)
    if (layer >= n_layers || !config.is_moe_layer(layer))
      throw Error(ErrorCode::kConfig, cat(where, "第 ", layer, " 层不是该模型的 MoE 层"));
}

}  // namespace dsinfer
