#include "formats/synthetic_model.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/progress.h"
#include "core/weight.h"
#include "formats/model_config.h"
#include "formats/safetensors.h"

namespace dsinfer {

using nlohmann::json;

namespace {

json preset_config(const std::string& preset) {
  // docs/spec.md §1 的真实数值
  json c = {{"attention_bias", false},
            {"first_k_dense_replace", 1},
            {"hidden_act", "silu"},
            {"kv_lora_rank", 512},
            {"max_position_embeddings", 163840},
            {"moe_layer_freq", 1},
            {"qk_nope_head_dim", 128},
            {"qk_rope_head_dim", 64},
            {"v_head_dim", 128},
            {"rms_norm_eps", 1e-6},
            {"rope_theta", 10000.0},
            {"tie_word_embeddings", false}};
  if (preset == "v2-lite") {
    c.update({{"architectures", {"DeepseekV2ForCausalLM"}},
              {"model_type", "deepseek_v2"},
              {"vocab_size", 102400},
              {"hidden_size", 2048},
              {"intermediate_size", 10944},
              {"moe_intermediate_size", 1408},
              {"num_hidden_layers", 27},
              {"num_attention_heads", 16},
              {"num_key_value_heads", 16},
              {"q_lora_rank", nullptr},
              {"n_routed_experts", 64},
              {"n_shared_experts", 2},
              {"num_experts_per_tok", 6},
              {"n_group", 1},
              {"topk_group", 1},
              {"topk_method", "greedy"},
              {"scoring_func", "softmax"},
              {"norm_topk_prob", false},
              {"routed_scaling_factor", 1.0},
              {"bos_token_id", 100000},
              {"eos_token_id", 100001}});
  } else if (preset == "v2") {
    c.update({{"architectures", {"DeepseekV2ForCausalLM"}},
              {"model_type", "deepseek_v2"},
              {"vocab_size", 102400},
              {"hidden_size", 5120},
              {"intermediate_size", 12288},
              {"moe_intermediate_size", 1536},
              {"num_hidden_layers", 60},
              {"num_attention_heads", 128},
              {"num_key_value_heads", 128},
              {"q_lora_rank", 1536},
              {"n_routed_experts", 160},
              {"n_shared_experts", 2},
              {"num_experts_per_tok", 6},
              {"n_group", 8},
              {"topk_group", 3},
              {"topk_method", "group_limited_greedy"},
              {"scoring_func", "softmax"},
              {"norm_topk_prob", false},
              {"routed_scaling_factor", 16.0},
              {"bos_token_id", 100000},
              {"eos_token_id", 100001}});
  } else if (preset == "v3") {
    c.update({{"architectures", {"DeepseekV3ForCausalLM"}},
              {"model_type", "deepseek_v3"},
              {"vocab_size", 129280},
              {"hidden_size", 7168},
              {"intermediate_size", 18432},
              {"moe_intermediate_size", 2048},
              {"num_hidden_layers", 61},
              {"first_k_dense_replace", 3},
              {"num_attention_heads", 128},
              {"num_key_value_heads", 128},
              {"q_lora_rank", 1536},
              {"n_routed_experts", 256},
              {"n_shared_experts", 1},
              {"num_experts_per_tok", 8},
              {"n_group", 8},
              {"topk_group", 4},
              {"topk_method", "noaux_tc"},
              {"scoring_func", "sigmoid"},
              {"norm_topk_prob", true},
              {"routed_scaling_factor", 2.5},
              {"num_nextn_predict_layers", 1},
              {"bos_token_id", 0},
              {"eos_token_id", 1}});
  } else {
    throw Error(ErrorCode::kInvalidArgument, cat("未知预设 '", preset, "'（可选：v2-lite、v2、v3）"));
  }
  const double mscale = preset == "v3" ? 1.0 : 0.707;
  c["rope_scaling"] = {{"type", "yarn"},          {"factor", 40},   {"original_max_position_embeddings", 4096},
                       {"beta_fast", 32},         {"beta_slow", 1}, {"mscale", mscale},
                       {"mscale_all_dim", mscale}};
  return c;
}

const char* torch_dtype_name(DType d) {
  switch (d) {
    case DType::kF32:
      return "float32";
    case DType::kF16:
      return "float16";
    default:
      return "bfloat16";  // FP8 检查点的非线性层也是 bf16
  }
}

// ---- 基于计数器的正态随机数：splitmix64 → 两个均匀数 → Box-Muller ----
uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t name_hash(const std::string& s, uint64_t seed) {
  uint64_t h = splitmix(seed);
  for (unsigned char ch : s) h = splitmix(h ^ ch);
  return h;
}

void fill_normal(float* out, int64_t n, uint64_t stream, int64_t offset, float mean, float stddev) {
  for (int64_t i = 0; i < n;) {
    const int64_t idx = offset + i;
    const uint64_t r = splitmix(stream ^ uint64_t(idx / 2) * 0x2545f4914f6cdd1dull);
    const float u1 = (float((r >> 40) & 0xffffff) + 1.0f) / 16777217.0f;
    const float u2 = float(r & 0xffffff) / 16777216.0f;
    const float rad = std::sqrt(-2.0f * std::log(u1));
    // 一对均匀数给出一对正态数：偶数下标取 cos，奇数下标取 sin
    if (idx % 2 == 0) {
      out[i++] = mean + stddev * rad * std::cos(6.2831853f * u2);
      if (i < n) out[i++] = mean + stddev * rad * std::sin(6.2831853f * u2);
    } else {
      out[i++] = mean + stddev * rad * std::sin(6.2831853f * u2);
    }
  }
}

struct TensorPlan {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype;
  enum Kind { kLinear, kEmbedding, kNorm, kBias, kScale } kind;
  std::string scale_of;  // kScale：对应的 FP8 权重名
  uint64_t bytes() const {
    uint64_t n = 1;
    for (int64_t d : shape) n *= uint64_t(d);
    return n * dtype_size(dtype);
  }
};

class Planner {
 public:
  Planner(DType linear_dtype) : linear_(linear_dtype) {}
  void linear(const std::string& name, int64_t rows, int64_t cols) {
    tensors.push_back({name, {rows, cols}, linear_, TensorPlan::kLinear, ""});
    if (linear_ == DType::kF8E4M3)
      tensors.push_back(
          {name + "_scale_inv", {(rows + 127) / 128, (cols + 127) / 128}, DType::kF32, TensorPlan::kScale, name});
  }
  void embedding(const std::string& name, int64_t rows, int64_t cols) {
    tensors.push_back({name, {rows, cols}, other(), TensorPlan::kEmbedding, ""});
  }
  void norm(const std::string& name, int64_t n) { tensors.push_back({name, {n}, other(), TensorPlan::kNorm, ""}); }
  void bias(const std::string& name, int64_t n) { tensors.push_back({name, {n}, DType::kF32, TensorPlan::kBias, ""}); }
  std::vector<TensorPlan> tensors;

 private:
  DType other() const { return linear_ == DType::kF8E4M3 ? DType::kBF16 : linear_; }
  DType linear_;
};

void plan_layer(Planner& p, const ModelConfig& c, int64_t l) {
  const std::string pre = "model.layers." + std::to_string(l);
  const int64_t D = c.hidden_size, H = c.num_attention_heads, qk = c.qk_head_dim();
  p.norm(pre + ".input_layernorm.weight", D);
  p.norm(pre + ".post_attention_layernorm.weight", D);
  const std::string a = pre + ".self_attn";
  if (c.q_lora_rank > 0) {
    p.linear(a + ".q_a_proj.weight", c.q_lora_rank, D);
    p.norm(a + ".q_a_layernorm.weight", c.q_lora_rank);
    p.linear(a + ".q_b_proj.weight", H * qk, c.q_lora_rank);
  } else {
    p.linear(a + ".q_proj.weight", H * qk, D);
  }
  p.linear(a + ".kv_a_proj_with_mqa.weight", c.kv_lora_rank + c.qk_rope_head_dim, D);
  p.norm(a + ".kv_a_layernorm.weight", c.kv_lora_rank);
  p.linear(a + ".kv_b_proj.weight", H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank);
  p.linear(a + ".o_proj.weight", D, H * c.v_head_dim);
  const std::string m = pre + ".mlp";
  auto mlp = [&](const std::string& prefix, int64_t inter) {
    p.linear(prefix + ".gate_proj.weight", inter, D);
    p.linear(prefix + ".up_proj.weight", inter, D);
    p.linear(prefix + ".down_proj.weight", D, inter);
  };
  if (!c.is_moe_layer(l)) {
    mlp(m, c.intermediate_size);
    return;
  }
  // 路由器保持 bf16（与真实 V3 一致：gate.weight 不量化）
  p.embedding(m + ".gate.weight", c.n_routed_experts, D);
  if (c.topk_method == TopkMethod::kNoauxTc) p.bias(m + ".gate.e_score_correction_bias", c.n_routed_experts);
  for (int64_t e = 0; e < c.n_routed_experts; ++e) mlp(m + ".experts." + std::to_string(e), c.moe_intermediate_size);
  if (c.n_shared_experts > 0) mlp(m + ".shared_experts", c.n_shared_experts * c.moe_intermediate_size);
}

// 生成一个张量的数据并写出；FP8 时同时把缩放因子存入 scales（随后作为 kScale 张量写出）。
void write_tensor(std::ofstream& out, const TensorPlan& t, uint64_t seed, ThreadPool& pool, std::vector<float>& scales,
                  ProgressBar& bar) {
  const uint64_t stream = name_hash(t.kind == TensorPlan::kScale ? t.scale_of : t.name, seed);
  if (t.kind == TensorPlan::kScale) {
    out.write(reinterpret_cast<const char*>(scales.data()), std::streamsize(scales.size() * 4));
    bar.add(scales.size() * 4);
    return;
  }
  const int64_t rows = t.shape.size() == 2 ? t.shape[0] : 1, cols = t.shape.back();
  float mean = 0.0f, stddev = 1.0f / std::sqrt(float(cols));
  if (t.kind == TensorPlan::kNorm) mean = 1.0f, stddev = 0.02f;
  if (t.kind == TensorPlan::kBias) stddev = 0.01f;
  const size_t es = dtype_size(t.dtype);
  const int64_t chunk_rows = 128;  // 与 FP8 块对齐
  std::vector<float> f(static_cast<size_t>(chunk_rows * cols));
  std::vector<uint8_t> bytes(static_cast<size_t>(chunk_rows * cols) * es);
  const int64_t sc = (cols + 127) / 128;
  if (t.dtype == DType::kF8E4M3) scales.assign(size_t(((rows + 127) / 128) * sc), 0.0f);
  for (int64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
    const int64_t nr = std::min(chunk_rows, rows - r0), n = nr * cols;
    pool.parallel_for(
        n, [&](int64_t b, int64_t e, int) { fill_normal(f.data() + b, e - b, stream, r0 * cols + b, mean, stddev); },
        4096);
    if (t.dtype == DType::kF8E4M3) {
      float* s = scales.data() + (r0 / 128) * sc;
      for (int64_t i = 0; i < n; ++i)
        s[(i % cols) / 128] = std::max(s[(i % cols) / 128], std::fabs(f[size_t(i)]) / 448.0f);
      for (int64_t j = 0; j < sc; ++j)
        if (s[j] == 0.0f) s[j] = 1.0f;
      for (int64_t i = 0; i < n; ++i) bytes[size_t(i)] = f32_to_fp8e4m3(f[size_t(i)] / s[(i % cols) / 128]);
    } else if (t.dtype == DType::kF32) {
      std::memcpy(bytes.data(), f.data(), size_t(n) * 4);
    } else {
      auto* h = reinterpret_cast<uint16_t*>(bytes.data());
      for (int64_t i = 0; i < n; ++i)
        h[i] = t.dtype == DType::kBF16 ? f32_to_bf16(f[size_t(i)]) : f32_to_f16(f[size_t(i)]);
    }
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(size_t(n) * es));
    bar.add(uint64_t(n) * es);
  }
}

}  // namespace

std::string synthetic_config_json(const SyntheticModelSpec& spec) {
  json c = preset_config(spec.preset);
  if (spec.layers < 0 || spec.experts < 0 || spec.vocab < 0)
    throw Error(ErrorCode::kInvalidArgument, "--layers / --experts / --vocab 不能为负");
  if (spec.layers) c["num_hidden_layers"] = spec.layers;
  if (spec.vocab) c["vocab_size"] = spec.vocab;
  if (spec.mtp_layers >= 0) c["num_nextn_predict_layers"] = spec.mtp_layers;
  if (spec.experts) {
    c["n_routed_experts"] = spec.experts;
    if (spec.experts % c["n_group"].get<int64_t>())
      throw Error(ErrorCode::kInvalidArgument,
                  cat("--experts ", spec.experts, " 不能被预设的 n_group ", c["n_group"].get<int64_t>(), " 整除"));
    if (c["num_experts_per_tok"].get<int64_t>() > spec.experts) c["num_experts_per_tok"] = spec.experts;
  }
  if (spec.top_k < 0 || spec.top_k > c["n_routed_experts"].get<int64_t>())
    throw Error(ErrorCode::kInvalidArgument,
                cat("--top-k ", spec.top_k, " 非法（应在 1…", c["n_routed_experts"].get<int64_t>(), " 内）"));
  if (spec.top_k) c["num_experts_per_tok"] = spec.top_k;
  if (spec.dense) {
    const int64_t L = c["num_hidden_layers"], first = std::min(c["first_k_dense_replace"].get<int64_t>(), L);
    const int64_t per_moe = (c["n_routed_experts"].get<int64_t>() + c["n_shared_experts"].get<int64_t>()) *
                            c["moe_intermediate_size"].get<int64_t>();
    c["intermediate_size"] = (first * c["intermediate_size"].get<int64_t>() + (L - first) * per_moe + L / 2) / L;
    c["first_k_dense_replace"] = L + c.value("num_nextn_predict_layers", int64_t(0));
  }
  c["torch_dtype"] = torch_dtype_name(spec.dtype);
  if (spec.dtype == DType::kF8E4M3)
    c["quantization_config"] = {
        {"activation_scheme", "dynamic"}, {"fmt", "e4m3"}, {"quant_method", "fp8"}, {"weight_block_size", {128, 128}}};
  std::string text = c.dump(2);
  parse_model_config(text, "make-model");  // 覆盖后的组合必须合法
  return text;
}

void write_synthetic_model(const SyntheticModelSpec& spec, const std::string& dir, ThreadPool& pool, FILE* progress) {
  const std::string config_text = synthetic_config_json(spec);
  const ModelConfig c = parse_model_config(config_text, dir + "/config.json");
  ::mkdir(dir.c_str(), 0755);
  write_file(dir + "/config.json", config_text.data(), config_text.size());

  Planner p(spec.dtype);
  const int64_t D = c.hidden_size, V = c.vocab_size;
  p.embedding("model.embed_tokens.weight", V, D);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) plan_layer(p, c, l);
  p.norm("model.norm.weight", D);
  p.embedding("lm_head.weight", V, D);
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    const int64_t l = c.num_hidden_layers + k;
    const std::string pre = "model.layers." + std::to_string(l);
    plan_layer(p, c, l);
    p.embedding(pre + ".embed_tokens.weight", V, D);
    p.norm(pre + ".enorm.weight", D);
    p.norm(pre + ".hnorm.weight", D);
    p.embedding(pre + ".eh_proj.weight", D, 2 * D);  // vLLM 按未量化的 Linear 加载
    p.norm(pre + ".shared_head.norm.weight", D);
    p.embedding(pre + ".shared_head.head.weight", V, D);
  }

  // 分片：按顺序累加，超过 shard_bytes 就开新分片（FP8 权重与其缩放因子不拆开）
  std::vector<std::vector<const TensorPlan*>> shards(1);
  uint64_t acc = 0;
  for (const auto& t : p.tensors) {
    if (acc > 0 && acc + t.bytes() > uint64_t(spec.shard_bytes) && t.kind != TensorPlan::kScale) {
      shards.emplace_back();
      acc = 0;
    }
    shards.back().push_back(&t);
    acc += t.bytes();
  }
  uint64_t total = 0;
  for (const auto& t : p.tensors) total += t.bytes();
  ProgressBar bar(total, "写出模型", progress);
  json weight_map = json::object();
  std::vector<float> scales;
  for (size_t s = 0; s < shards.size(); ++s) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
    json header = json::object();
    uint64_t off = 0;
    for (const TensorPlan* t : shards[s]) {
      header[t->name] = {
          {"dtype", std::string(dtype_name(t->dtype))}, {"shape", t->shape}, {"data_offsets", {off, off + t->bytes()}}};
      off += t->bytes();
      weight_map[t->name] = name;
    }
    std::string h = header.dump();
    while ((h.size() + 8) % 8) h += ' ';
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorCode::kIo, cat("无法写入文件 ", path));
    const uint64_t hl = h.size();
    out.write(reinterpret_cast<const char*>(&hl), 8);
    out.write(h.data(), std::streamsize(h.size()));
    for (const TensorPlan* t : shards[s]) write_tensor(out, *t, spec.seed, pool, scales, bar);
    out.close();
    if (!out) throw Error(ErrorCode::kIo, cat("写入失败 ", path, "（磁盘已满？）"));
  }
  const std::string index =
      json{{"metadata", {{"generator", "dsinfer make-model"}}}, {"weight_map", weight_map}}.dump(2);
  write_file(dir + "/model.safetensors.index.json", index.data(), index.size());
  bar.finish();
}

}  // namespace dsinfer
