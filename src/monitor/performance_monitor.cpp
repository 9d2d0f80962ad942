#include "monitor/performance_monitor.h"

#include <fstream>

namespace dsinfer {

void PerformanceMonitor::add_prefill(int64_t tokens, double seconds) {
  prefill_tokens_ += tokens;
  prefill_seconds_ += seconds;
}

void PerformanceMonitor::add_decode(int64_t tokens, double seconds) {
  decode_tokens_ += tokens;
  decode_seconds_ += seconds;
}

double PerformanceMonitor::prefill_tps() const {
  return prefill_seconds_ > 0 ? double(prefill_tokens_) / prefill_seconds_ : 0.0;
}

double PerformanceMonitor::decode_tps() const {
  return decode_seconds_ > 0 ? double(decode_tokens_) / decode_seconds_ : 0.0;
}

namespace {

// 阶段 p 在树中各位置的节点之和
template <class F>
auto sum_over_phase(const PhaseTree& tree, Phase p, F value) {
  decltype(value(tree.nodes()[0])) total{};
  for (size_t i = 1; i < tree.nodes().size(); ++i)
    if (tree.nodes()[i].phase == p) total += value(tree.nodes()[i]);
  return total;
}

}  // namespace

double PerformanceMonitor::phase_seconds(Phase p) const {
  return sum_over_phase(phases_, p, [](const PhaseTree::Node& n) { return n.seconds; });
}

double PerformanceMonitor::phase_self_seconds(Phase p) const {
  return sum_over_phase(phases_, p, [](const PhaseTree::Node& n) { return n.self_seconds(); });
}

int64_t PerformanceMonitor::phase_calls(Phase p) const {
  return sum_over_phase(phases_, p, [](const PhaseTree::Node& n) { return n.calls; });
}

void PerformanceMonitor::add_mtp_step(int64_t drafted, int64_t accepted) {
  if (mtp_drafted_by_depth_.size() < size_t(drafted)) {
    mtp_drafted_by_depth_.resize(size_t(drafted));
    mtp_accepted_by_depth_.resize(size_t(drafted));
  }
  for (int64_t d = 0; d < drafted; ++d) {
    mtp_drafted_by_depth_[size_t(d)] += 1;
    if (d < accepted) mtp_accepted_by_depth_[size_t(d)] += 1;
  }
  mtp_steps_ += 1;
  mtp_accepted_total_ += accepted;
}

std::vector<double> PerformanceMonitor::mtp_acceptance_by_depth() const {
  std::vector<double> r;
  for (size_t d = 0; d < mtp_drafted_by_depth_.size(); ++d)
    r.push_back(mtp_drafted_by_depth_[d] ? double(mtp_accepted_by_depth_[d]) / double(mtp_drafted_by_depth_[d]) : 0.0);
  return r;
}

int64_t PerformanceMonitor::mtp_drafted_tokens() const {
  int64_t n = 0;
  for (int64_t d : mtp_drafted_by_depth_) n += d;
  return n;
}

double PerformanceMonitor::mtp_mean_accepted() const {
  return mtp_steps_ ? double(mtp_accepted_total_) / double(mtp_steps_) : 0.0;
}

size_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return size_t(std::stoull(line.substr(6))) * 1024;
  }
  return 0;
}

}  // namespace dsinfer
