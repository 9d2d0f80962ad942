// 参考夹具（tests/data/reference/<名字>/）的读取助手：tokens.json 与 expected.safetensors。
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/safetensors.h"

namespace dsinfer::testing_support {

struct Fixture {
  std::string dir;
  std::string model_dir;  // tokens.json 的 model 字段（相对 dir）；没有时模型就在 dir 里
  std::vector<std::vector<int32_t>> sequences;
  std::vector<int64_t> decode_prefill_lengths;
  std::vector<std::vector<int32_t>> mtp_input_ids;
  std::vector<std::vector<int32_t>> mtp_draft_ids_nozero;  // 预填充后链式起草的草稿（有的夹具才有）
  std::unique_ptr<SafetensorsFile> expected;

  // expected 中的张量（F32），缺失时测试失败
  const TensorInfo& tensor(const std::string& name) const;
  const float* data(const std::string& name) const;
  bool has(const std::string& name) const { return expected->tensors().count(name) != 0; }
};

Fixture load_fixture(const std::string& dir);
// a 与 b（n 个 float）的最大绝对误差
double max_abs_diff(const float* a, const float* b, int64_t n);
// 与参考实现比较 logits / 隐状态的容差
inline constexpr double kParityAtol = 1e-4;
// JSON Lines 文件的每个非空行
std::vector<nlohmann::json> read_jsonl(const std::string& path);

}  // namespace dsinfer::testing_support
