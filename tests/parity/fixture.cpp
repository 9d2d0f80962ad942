#include "parity/fixture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"

namespace dsinfer::testing_support {

Fixture load_fixture(const std::string& dir) {
  Fixture f;
  f.dir = dir;
  const auto j = nlohmann::json::parse(read_text_file(dir + "/tokens.json"));
  f.sequences = j["sequences"].get<std::vector<std::vector<int32_t>>>();
  f.decode_prefill_lengths = j["decode_prefill_lengths"].get<std::vector<int64_t>>();
  f.model_dir = j.contains("model") ? dir + "/" + j["model"].get<std::string>() : dir;
  if (j.contains("mtp_draft_ids_nozero"))
    f.mtp_draft_ids_nozero = j["mtp_draft_ids_nozero"].get<std::vector<std::vector<int32_t>>>();
  if (j.contains("mtp_input_ids")) f.mtp_input_ids = j["mtp_input_ids"].get<std::vector<std::vector<int32_t>>>();
  f.expected = std::make_unique<SafetensorsFile>(dir + "/expected.safetensors", LoadMode::kRead);
  return f;
}

const TensorInfo& Fixture::tensor(const std::string& name) const {
  auto it = expected->tensors().find(name);
  if (it == expected->tensors().end()) {
    ADD_FAILURE() << "夹具 " << dir << " 缺少张量 " << name;
    static TensorInfo empty;
    return empty;
  }
  return it->second;
}

const float* Fixture::data(const std::string& name) const {
  return reinterpret_cast<const float*>(tensor(name).data);
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

double max_abs_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace dsinfer::testing_support
