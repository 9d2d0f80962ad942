#include "server/server_metrics.h"

#include <algorithm>
#include <cstdio>

namespace dsinfer::server {

namespace {

std::string number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

void metric(std::string& out, const std::string& name, const char* type, const std::string& help, double value) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + number(value) + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double x) {
  const size_t i = size_t(std::lower_bound(bounds_.begin(), bounds_.end(), x) - bounds_.begin());
  ++counts_[i];
  sum_ += x;
  ++count_;
}

void Histogram::write(std::string& out, const std::string& name, const std::string& help) const {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  int64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(sum_) + "\n" + name + "_count " + std::to_string(count_) + "\n";
}

ServerMetrics::ServerMetrics()
    : ttft_({0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
      inter_token_({0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56}) {}

void ServerMetrics::add_response(int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++responses_[status];
}

void ServerMetrics::add_tokens(int64_t prompt, int64_t completion) {
  std::lock_guard<std::mutex> lock(mu_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void ServerMetrics::add_cached_prompt_tokens(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cached_prompt_tokens_ += n;
}

void ServerMetrics::observe_ttft(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ttft_.observe(seconds);
}

void ServerMetrics::observe_inter_token(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  inter_token_.observe(seconds);
}

void ServerMetrics::set_queue(int64_t waiting, int64_t running) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_ = waiting;
  running_ = running;
}

void ServerMetrics::set_kv_blocks(int64_t used, int64_t reserved, int64_t total, int64_t cached) {
  std::lock_guard<std::mutex> lock(mu_);
  kv_cached_ = cached;
  kv_used_ = used;
  kv_reserved_ = reserved;
  kv_total_ = total;
}

void ServerMetrics::set_mtp(int64_t drafted, int64_t accepted) {
  std::lock_guard<std::mutex> lock(mu_);
  mtp_drafted_ = drafted;
  mtp_accepted_ = accepted;
}

std::string ServerMetrics::prometheus_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP dsinfer_requests_total HTTP responses by status code\n# TYPE dsinfer_requests_total counter\n";
  for (const auto& [status, n] : responses_)
    out += "dsinfer_requests_total{code=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  metric(out, "dsinfer_prompt_tokens_total", "counter", "Prompt tokens of finished requests", double(prompt_tokens_));
  metric(out, "dsinfer_completion_tokens_total", "counter", "Generated tokens of finished requests",
         double(completion_tokens_));
  metric(out, "dsinfer_prefix_cache_hit_tokens_total", "counter", "Prompt tokens served from the prefix cache",
         double(cached_prompt_tokens_));
  metric(out, "dsinfer_requests_waiting", "gauge", "Requests queued for KV space", double(waiting_));
  metric(out, "dsinfer_requests_running", "gauge", "Sequences in the running batch", double(running_));
  metric(out, "dsinfer_kv_blocks_used", "gauge", "KV blocks holding tokens", double(kv_used_));
  metric(out, "dsinfer_kv_blocks_reserved", "gauge", "KV blocks reserved by admitted requests", double(kv_reserved_));
  metric(out, "dsinfer_kv_blocks_free", "gauge", "KV blocks not reserved", double(kv_total_ - kv_reserved_));
  metric(out, "dsinfer_kv_blocks_total", "gauge", "KV pool capacity in blocks", double(kv_total_));
  metric(out, "dsinfer_kv_blocks_cached", "gauge", "Unreferenced KV blocks kept for the prefix cache",
         double(kv_cached_));
  metric(out, "dsinfer_mtp_draft_tokens_total", "counter", "Tokens drafted by the MTP module", double(mtp_drafted_));
  metric(out, "dsinfer_mtp_accepted_tokens_total", "counter", "Drafted tokens accepted by verification",
         double(mtp_accepted_));
  metric(out, "dsinfer_mtp_acceptance_ratio", "gauge", "Accepted / drafted MTP tokens",
         mtp_drafted_ ? double(mtp_accepted_) / double(mtp_drafted_) : 0.0);
  ttft_.write(out, "dsinfer_time_to_first_token_seconds", "Time from request arrival to its first token");
  inter_token_.write(out, "dsinfer_inter_token_latency_seconds", "Time between consecutive tokens of a request");
  return out;
}

}  // namespace dsinfer::server
