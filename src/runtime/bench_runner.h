// 速度与内存测量（dsinfer bench 的核心，像 llama-bench）：
//   预填充：batch 条序列各 prompt 个随机 token，一次计时 → prefill_tps、首 token 延迟；
//   解码：（可选）先把缓存填到 ctx 个 token（不计时），再每步每条序列一个随机 token，共 gen 步 → decode_tps。
// 每项重复 reps 次取中位数。另有 STREAM 式读带宽探针，用同样的线程数，
// decode_tps × weight_bytes_per_token ÷ read_gbps 即达到的带宽上限（roofline）比例。
// 本机是共享虚拟机、带宽随时间波动，所以每轮解码前紧挨着测一次带宽，逐轮求比例再取中位数。
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/engine.h"

namespace dsinfer {

struct BenchOptions {
  int64_t prompt = 512;
  int64_t gen = 128;
  int64_t batch = 1;
  int64_t ctx = 0;
  int64_t reps = 3;
  uint64_t seed = 0;
  bool warmup = true;  // 先跑一轮不计时的预填充 + 解码（首次触碰内存、页表、缓存）
  int64_t bandwidth_bytes = 0;  // > 0：每轮解码前紧挨着测一次读带宽（同样的线程），算该轮的 roofline 比例
  // 解码改为真实的贪心生成（Generator，按配置启用 MTP）；用于 --mtp K 与 --mtp 0 的公平比较
  bool generate = false;
  bool oracle_drafts = false;  // 先不用 MTP 生成一遍，再把结果作为草稿（接受率 100%，测机制上限）
};

struct BenchResult {
  std::vector<double> prefill_tps_runs, decode_tps_runs, ttft_ms_runs, read_gbps_runs, roofline_runs;
  double prefill_tps = 0, decode_tps = 0, ttft_ms = 0;  // 中位数
  double read_gbps = 0, roofline_fraction = 0;          // 中位数（bandwidth_bytes > 0 时）
  int64_t kv_bytes = 0;                                 // 解码测试结束时（ctx + gen 个 token）的 KV 字节
  int64_t kv_bytes_allocated = 0;
  int64_t weight_bytes_per_token = 0;  // 解码一个 token 读到的权重字节（batch 1）
  int64_t peak_rss_bytes = 0;
  // 内存预算下（专家存储启用时）：计入记录的各轮，预填充与解码分开
  ExpertCacheStats expert_cache_prefill, expert_cache_decode;
  int64_t prefill_tokens = 0, decode_tokens = 0;  // 上面两份统计对应的 token 数
  std::vector<double> mtp_acceptance_by_depth;    // generate 且启用 MTP 时
  double mtp_mean_accepted = 0;
};

BenchResult run_benchmark(Engine& engine, const BenchOptions& options);

// STREAM 式读带宽探针（GB/s，10^9 字节每秒）：bytes 大小的数组（透明大页），各线程读各自的一段，
// measure 取 reps 次中最好的一次。数组只分配、填充一次；读内核与线程池取自 kc。
class BandwidthProbe {
 public:
  BandwidthProbe(const kernels::KernelContext& kc, int64_t bytes);
  ~BandwidthProbe();
  double measure(int reps);

 private:
  kernels::KernelContext kc_;
  int64_t n_;
  float* data_;
};

double median(std::vector<double> v);

// 磁盘的直读带宽（GB/s）：以专家存储同样的方式（O_DIRECT、8 个线程、每次读整个张量）读约 bytes 字节的
// 路由专家张量，按位置均匀抽取、散布在各分片上。
double measure_disk_gbps(const Checkpoint& ckpt, int64_t bytes);

}  // namespace dsinfer
