#include "runtime/generator.h"

#include <unordered_map>

#include "core/error.h"

namespace dsinfer {

std::vector<std::vector<int32_t>> run_to_completion(Scheduler& scheduler,
                                                    const std::vector<GenerationRequest>& requests,
                                                    const TokenCallback& on_token, const AddedCallback& on_added,
                                                    const FinishCallback& on_finish) {
  for (size_t i = 0; i < requests.size(); ++i) {
    const std::string error = scheduler.validate(requests[i]);
    if (!error.empty()) throw Error(ErrorCode::kInvalidArgument, cat("第 ", i, " 个请求：", error));
  }
  std::vector<SequenceId> ids;
  std::unordered_map<SequenceId, size_t> index;
  for (size_t i = 0; i < requests.size(); ++i) {
    GenerationRequest r = requests[i];
    r.sampling.seed += i;
    ids.push_back(scheduler.add(r));
    index[ids.back()] = i;
  }
  std::vector<std::vector<int32_t>> results(requests.size());
  try {
    if (on_added)
      for (size_t i = 0; i < ids.size(); ++i) on_added(i, ids[i]);
    while (!scheduler.idle())
      for (const SequenceEvent& e : scheduler.step().events) {
        const auto it = index.find(e.id);
        if (it == index.end()) continue;  // 别人加入的序列
        for (int32_t token : e.tokens) {
          results[it->second].push_back(token);
          if (on_token) on_token(it->second, token);
        }
        if (on_finish && e.finish != FinishReason::kNone) on_finish(it->second, e.finish);
      }
  } catch (...) {
    for (SequenceId id : ids) scheduler.cancel(id);
    throw;
  }
  return results;
}

Generator::Generator(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config)
    : scheduler_(model, ctx, config) {}

std::vector<std::vector<int32_t>> Generator::generate(const std::vector<GenerationRequest>& requests,
                                                      const TokenCallback& on_token, const FinishCallback& on_finish) {
  return run_to_completion(scheduler_, requests, on_token, nullptr, on_finish);
}

}  // namespace dsinfer
