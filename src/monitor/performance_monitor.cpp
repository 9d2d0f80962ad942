#include "monitor/performance_monitor.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dsinfer {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kEmbedding:
      return "embedding";
    case Phase::kAttention:
      return "attention";
    case Phase::kMoe:
      return "moe";
    case Phase::kDenseMlp:
      return "dense_mlp";
    case Phase::kLmHead:
      return "lm_head";
    case Phase::kSampling:
      return "sampling";
    case Phase::kMtpDraft:
      return "mtp_draft";
    case Phase::kMtpVerify:
      return "mtp_verify";
    case Phase::kCount:
      break;
  }
  return "?";
}

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

void PerformanceMonitor::add_expert_load(int64_t layer, int64_t expert, int64_t n) {
  if (expert_load_.size() <= size_t(layer)) expert_load_.resize(size_t(layer) + 1);
  auto& l = expert_load_[size_t(layer)];
  if (l.size() <= size_t(expert)) l.resize(size_t(expert) + 1);
  l[size_t(expert)] += n;
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

double PerformanceMonitor::mtp_mean_accepted() const {
  return mtp_steps_ ? double(mtp_accepted_total_) / double(mtp_steps_) : 0.0;
}

std::string PerformanceMonitor::table() const {
  std::ostringstream os;
  char line[160];
  double total = 0;
  for (double s : phase_seconds_) total += s;
  os << "阶段            调用次数      耗时(ms)    占比\n";
  for (size_t i = 0; i < phase_seconds_.size(); ++i) {
    if (!phase_calls_[i]) continue;
    std::snprintf(line, sizeof line, "%-14s %10lld %13.2f %6.1f%%\n", phase_name(Phase(i)), (long long)phase_calls_[i],
                  phase_seconds_[i] * 1e3, total > 0 ? 100 * phase_seconds_[i] / total : 0.0);
    os << line;
  }
  std::snprintf(line, sizeof line, "预填充: %lld token, %.2f token/s\n解码:   %lld token, %.2f token/s\n",
                (long long)prefill_tokens_, prefill_tps(), (long long)decode_tokens_, decode_tps());
  os << line;
  if (ttft_seconds_ > 0) {
    std::snprintf(line, sizeof line, "首 token 延迟: %.2f ms\n", ttft_seconds_ * 1e3);
    os << line;
  }
  std::snprintf(line, sizeof line, "KV 缓存: 已用 %.3f MiB / 已分配 %.3f MiB\n权重: %.3f MiB\n",
                double(kv_bytes_used_) / 1048576.0, double(kv_bytes_allocated_) / 1048576.0,
                double(weight_bytes_) / 1048576.0);
  os << line;
  if (mtp_steps_) {
    os << "MTP 各深度接受率:";
    for (double a : mtp_acceptance_by_depth()) {
      std::snprintf(line, sizeof line, " %.1f%%", 100 * a);
      os << line;
    }
    std::snprintf(line, sizeof line, "\nMTP 每步平均接受: %.2f\n", mtp_mean_accepted());
    os << line;
  }
  return os.str();
}

std::string PerformanceMonitor::json() const {
  nlohmann::json j;
  nlohmann::json phases = nlohmann::json::object();
  for (size_t i = 0; i < phase_seconds_.size(); ++i)
    phases[phase_name(Phase(i))] = {{"calls", phase_calls_[i]}, {"seconds", phase_seconds_[i]}};
  j["phases"] = phases;
  j["prefill_tokens"] = prefill_tokens_;
  j["prefill_tps"] = prefill_tps();
  j["decode_tokens"] = decode_tokens_;
  j["decode_tps"] = decode_tps();
  j["ttft_ms"] = ttft_seconds_ * 1e3;
  j["kv_bytes"] = kv_bytes_used_;
  j["kv_bytes_allocated"] = kv_bytes_allocated_;
  j["weight_bytes"] = weight_bytes_;
  j["peak_rss_bytes"] = peak_rss_bytes();
  j["expert_load"] = expert_load_;
  j["mtp_acceptance_by_depth"] = mtp_acceptance_by_depth();
  j["mtp_mean_accepted"] = mtp_mean_accepted();
  j["mtp_steps"] = mtp_steps_;
  return j.dump(2);
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
