// PerformanceMonitor::table()：--stats 的文本表格。
// 阶段表：嵌套的阶段缩进列在父阶段之下；“总耗时”含子阶段，“自身”不含，占比 = 自身 / 合计，
// 所以各行占比相加为 100%。
#include <cstdio>
#include <sstream>

#include "monitor/performance_monitor.h"

namespace dsinfer {
namespace {

void phase_rows(std::ostringstream& os, const PhaseTree& tree, size_t node, int depth, double total) {
  char line[160];
  for (size_t c : tree.children_in_order(node)) {
    const PhaseTree::Node& n = tree.nodes()[c];
    std::snprintf(line, sizeof line, "%*s%-*s %10lld %13.2f %13.2f %6.1f%%\n", 2 * depth, "", 16 - 2 * depth,
                  phase_name(n.phase), (long long)n.calls, n.seconds * 1e3, n.self_seconds() * 1e3,
                  total > 0 ? 100 * n.self_seconds() / total : 0.0);
    os << line;
    phase_rows(os, tree, c, depth + 1, total);
  }
}

void imbalance_rows(std::ostringstream& os, const ExpertLoad& load) {
  char line[160];
  std::string dense;
  bool header = false;
  for (int64_t l = 0; l < load.n_layers(); ++l) {
    if (!load.is_moe(l)) {
      dense += (dense.empty() ? "" : ", ") + std::to_string(l);
      continue;
    }
    const auto im = load.imbalance(l);
    if (!im) continue;
    if (!header) {
      os << "专家负载（" << load.n_experts() << " 个路由专家；变异系数 = 标准差 / 平均）:\n"
         << "  层      路由次数   最大/平均   变异系数\n";
      header = true;
    }
    std::snprintf(line, sizeof line, "%4lld %13lld %11.2f %10.2f\n", (long long)l, (long long)im->tokens,
                  im->max_over_mean, im->cv);
    os << line;
  }
  if (header && !dense.empty()) os << "  稠密层: " << dense << "\n";
}

void expert_cache_rows(std::ostringstream& os, const ExpertCacheStats& c, int64_t tokens) {
  if (!c.enabled) return;
  char line[1024];
  std::snprintf(line, sizeof line,
                "专家存储（%s，预取 %s，每层 %lld 个槽位，钉住 %lld 个，运行中解除 %lld 个，%s）:\n"
                "  命中率 %.1f%%（命中 %lld / 未命中 %lld），读盘 %.1f MiB（每 token %.2f MiB），"
                "等待读盘 %.3f s，读带宽 %.2f GB/s\n"
                "  预取 %lld 次，用上 %lld 次：精确率 %.1f%%，召回率 %.1f%%\n",
                c.policy.c_str(), c.prefetch.c_str(), (long long)c.slots_per_layer, (long long)c.pinned_per_layer,
                (long long)c.pins_released, c.direct_io ? "O_DIRECT" : "普通读 + 丢弃页缓存", 100 * c.hit_rate(),
                (long long)c.hits(), (long long)c.misses(), double(c.bytes_read) / 1048576.0,
                tokens ? double(c.bytes_read) / double(tokens) / 1048576.0 : 0.0, c.stall_seconds, c.read_gbps(),
                (long long)c.prefetch_issued, (long long)c.prefetch_used, 100 * c.prefetch_precision(),
                100 * c.prefetch_recall());
  os << line;
  os << "  各层命中率:";
  for (size_t l = 0; l < c.layers.size(); ++l) {
    const auto& L = c.layers[l];
    if (L.hits + L.misses == 0) continue;
    std::snprintf(line, sizeof line, " %zu:%.0f%%", l, 100 * ExpertCacheStats::rate(L.hits, L.misses));
    os << line;
  }
  os << "\n";
}

}  // namespace

std::string PerformanceMonitor::table() const {
  std::ostringstream os;
  char line[200];
  const double total = phases_.total_seconds();
  os << "阶段               调用次数    总耗时(ms)      自身(ms)    占比\n";
  phase_rows(os, phases_, 0, 0, total);
  if (total > 0) {
    std::snprintf(line, sizeof line, "%-18s %10s %13.2f %13.2f %6.1f%%\n", "合计", "", total * 1e3, total * 1e3, 100.0);
    os << line;
  }
  std::snprintf(line, sizeof line, "预填充: %lld token, %.2f token/s\n解码:   %lld token, %.2f token/s\n",
                (long long)prefill_tokens_, prefill_tps(), (long long)decode_tokens_, decode_tps());
  os << line;
  const LatencySummary ttft = time_to_first_token();
  if (ttft.count > 0) {
    std::snprintf(line, sizeof line, "首 token 延迟（%lld 个请求）: 平均 %.2f ms, p50 %.2f ms, p99 %.2f ms\n",
                  (long long)ttft.count, ttft.mean * 1e3, ttft.p50 * 1e3, ttft.p99 * 1e3);
    os << line;
  }
  std::snprintf(line, sizeof line, "KV 缓存: 已用 %.3f MiB / 已分配 %.3f MiB\n权重: %.3f MiB\n",
                double(kv_bytes_used_) / 1048576.0, double(kv_bytes_allocated_) / 1048576.0,
                double(weight_bytes_) / 1048576.0);
  os << line;
  imbalance_rows(os, expert_load_);
  expert_cache_rows(os, expert_cache_, prefill_tokens_ + decode_tokens_);
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

}  // namespace dsinfer
