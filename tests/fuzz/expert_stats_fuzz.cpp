// 专家统计文件（moe.expert_stats）：输入是 JSON 文本；解析成功时每行计数个数等于 n_routed_experts，
// 且写出再读回得到相同的统计。
#include "core/error.h"
#include "formats/expert_stats.h"
#include "fuzz/fuzz_support.h"

namespace {

void parse(std::string_view input) {
  const dsinfer::ExpertStats s = dsinfer::parse_expert_stats(std::string(input), "stats.json");
  for (const auto& [layer, counts] : s.counts)
    if (int64_t(counts.size()) != s.n_routed_experts) dsinfer::fuzz::violated("计数个数与 n_routed_experts 不符");
  const dsinfer::ExpertStats back = dsinfer::parse_expert_stats(dsinfer::expert_stats_json(s), "stats.json");
  if (back.counts != s.counts || back.tokens != s.tokens || back.model != s.model)
    dsinfer::fuzz::violated("写出再读回的统计不同");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, parse);
  return 0;
}
