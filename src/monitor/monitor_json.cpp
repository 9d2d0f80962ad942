// PerformanceMonitor::json()：--stats-json 的内容。字段是对外约定：只增加，不改名（说明见
// docs/performance.md 的“性能统计”一节）。
#include <nlohmann/json.hpp>

#include "monitor/performance_monitor.h"

namespace dsinfer {
namespace {

using Json = nlohmann::json;

double percent(double part, double total) {
  return total > 0 ? 100 * part / total : 0.0;
}

Json phase_subtree(const PhaseTree& tree, size_t node, double total) {
  Json children = Json::array();
  for (size_t c : tree.children_in_order(node)) {
    const PhaseTree::Node& n = tree.nodes()[c];
    children.push_back({{"phase", phase_name(n.phase)},
                        {"calls", n.calls},
                        {"seconds", n.seconds},
                        {"self_seconds", n.self_seconds()},
                        {"percent", percent(n.self_seconds(), total)},
                        {"children", phase_subtree(tree, c, total)}});
  }
  return children;
}

}  // namespace

namespace {
Json expert_cache_json(const ExpertCacheStats& c, int64_t tokens) {
  Json layers = Json::array();
  for (size_t l = 0; l < c.layers.size(); ++l) {
    const auto& L = c.layers[l];
    if (L.hits + L.misses == 0) continue;
    layers.push_back(
        {{"layer", l}, {"hits", L.hits}, {"misses", L.misses}, {"hit_rate", ExpertCacheStats::rate(L.hits, L.misses)}});
  }
  return {{"policy", c.policy},
          {"prefetch", c.prefetch},
          {"slots_per_layer", c.slots_per_layer},
          {"pinned_per_layer", c.pinned_per_layer},
          {"pins_released", c.pins_released},
          {"direct_io", c.direct_io},
          {"hits", c.hits()},
          {"misses", c.misses()},
          {"hit_rate", c.hit_rate()},
          {"layers", layers},
          {"bytes_read", c.bytes_read},
          {"bytes_read_per_token", tokens ? double(c.bytes_read) / double(tokens) : 0.0},
          {"prefetch_issued", c.prefetch_issued},
          {"prefetch_used", c.prefetch_used},
          {"prefetch_precision", c.prefetch_precision()},
          {"prefetch_recall", c.prefetch_recall()},
          {"stall_seconds", c.stall_seconds},
          {"io_seconds", c.io_seconds},
          {"read_gbps", c.read_gbps()}};
}
}  // namespace

std::string expert_cache_json_text(const ExpertCacheStats& stats, int64_t tokens) {
  return expert_cache_json(stats, tokens).dump();
}

std::string PerformanceMonitor::json() const {
  Json j;
  const double total = phases_.total_seconds();
  Json phases = Json::object();
  for (size_t i = 0; i < size_t(Phase::kCount); ++i) {
    const Phase p = Phase(i);
    phases[phase_name(p)] = {{"calls", phase_calls(p)},
                             {"seconds", phase_seconds(p)},
                             {"self_seconds", phase_self_seconds(p)},
                             {"percent", percent(phase_self_seconds(p), total)}};
  }
  j["phases"] = phases;
  j["phase_tree"] = phase_subtree(phases_, 0, total);
  j["phase_total_seconds"] = total;
  j["prefill_tokens"] = prefill_tokens_;
  j["prefill_tps"] = prefill_tps();
  j["decode_tokens"] = decode_tokens_;
  j["decode_tps"] = decode_tps();
  const LatencySummary ttft = time_to_first_token();
  j["ttft_ms"] = ttft.mean * 1e3;
  j["ttft"] = {
      {"count", ttft.count}, {"mean_ms", ttft.mean * 1e3}, {"p50_ms", ttft.p50 * 1e3}, {"p99_ms", ttft.p99 * 1e3}};
  j["kv_bytes"] = kv_bytes_used_;
  j["kv_bytes_allocated"] = kv_bytes_allocated_;
  j["weight_bytes"] = weight_bytes_;
  j["peak_rss_bytes"] = peak_rss_bytes();
  Json load = Json::array(), imbalance = Json::array(), dense = Json::array();
  for (int64_t l = 0; l < expert_load_.n_layers(); ++l) {
    if (!expert_load_.is_moe(l)) dense.push_back(l);
    load.push_back(expert_load_.is_moe(l) ? Json(expert_load_.rows()[size_t(l)]) : Json(nullptr));
    const auto im = expert_load_.imbalance(l);
    imbalance.push_back(im ? Json{{"tokens", im->tokens}, {"max_over_mean", im->max_over_mean}, {"cv", im->cv}}
                           : Json(nullptr));
  }
  j["expert_load"] = load;
  j["dense_layers"] = dense;
  j["n_routed_experts"] = expert_load_.n_experts();
  j["expert_imbalance"] = imbalance;
  if (expert_cache_.enabled) j["expert_cache"] = expert_cache_json(expert_cache_, prefill_tokens_ + decode_tokens_);
  j["mtp_acceptance_by_depth"] = mtp_acceptance_by_depth();
  j["mtp_mean_accepted"] = mtp_mean_accepted();
  j["mtp_steps"] = mtp_steps_;
  return j.dump(2);
}

}  // namespace dsinfer
