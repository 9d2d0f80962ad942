// dsinfer bench：预填充 / 解码速度、首 token 延迟、峰值内存、KV 字节（各重复取中位数），
// 以及 --bandwidth 的 STREAM 式读带宽探针（同样的线程数）。
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "app/engine_flags.h"
#include "app/flags.h"
#include "core/error.h"
#include "kernels/kernel_context.h"
#include "runtime/bench_runner.h"
#include "runtime/kernel_options.h"

namespace dsinfer {

int cmd_bench(int argc, char** argv) {
  FlagSet flags("bench", "测量预填充 / 解码速度、首 token 延迟、峰值内存与 KV 字节（类似 llama-bench）。");
  EngineFlags ef;
  ef.add_to(flags, false, false);
  BenchOptions o;
  int64_t seed = 0, bw_mib = 512;
  bool json = false, bandwidth = false;
  flags.add_int("-p,--prompt", &o.prompt, "预填充 token 数（默认 512，0 = 跳过）");
  flags.add_int("-n,--gen", &o.gen, "解码 token 数（默认 128，0 = 跳过）");
  flags.add_custom("-t", "N", "线程数（同 --threads）",
                   [&](const std::string&, const std::string& v) { ef.overrides.emplace_back("threads", v); });
  flags.add_int("--batch", &o.batch, "并行序列数（默认 1）");
  flags.add_int("--ctx", &o.ctx, "解码前先把缓存填到 C 个 token（默认 0）");
  flags.add_int("--reps", &o.reps, "重复次数，取中位数（默认 3）");
  bool no_warmup = false;
  flags.add_bool("--no-warmup", &no_warmup, "不做预热轮");
  flags.add_int("--seed", &seed, "随机 token 的种子");
  flags.add_bool("--bandwidth", &bandwidth, "同时测量读带宽（STREAM 式，JSON 字段 read_gbps）");
  flags.add_int("--bandwidth-mib", &bw_mib, "带宽探针的数组大小（MiB，默认 512）");
  flags.add_bool("--json", &json, "以一个 JSON 对象输出");
  int64_t disk_mib = 0;
  flags.add_int("--disk-bandwidth-mib", &disk_mib,
                "先以 O_DIRECT 读约这么多 MiB 的路由专家张量（散布在各分片上）测磁盘直读带宽（JSON 字段 "
                "disk_gbps；内存预算下另给 I/O 屋顶线）");
  flags.add_bool("--oracle-drafts", &o.oracle_drafts,
                 "与 --mtp 一起：先不用 MTP 生成一遍，再以其结果作为草稿（测机制上限）");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  o.seed = uint64_t(seed);
  o.warmup = !no_warmup;
  // --mtp（含 --mtp 0）或 MTP 配置项出现时，解码改为真实的贪心生成，便于两者公平比较
  for (const auto& [k, v] : ef.overrides)
    if (k.rfind("mtp.", 0) == 0) o.generate = true;
  if (ef.model_dir.empty() && !bandwidth)
    throw Error(ErrorCode::kInvalidArgument, "缺少必填参数 --model（只测带宽时用 --bandwidth）");
  if (bw_mib < 1) throw Error(ErrorCode::kInvalidArgument, "参数 --bandwidth-mib 应 ≥ 1");
  const OptimizationConfig oc = ef.resolve();
  nlohmann::json j;
  std::unique_ptr<Engine> engine;
  BenchResult r;
  // 只测带宽时没有引擎：自建线程池与内核上下文（与引擎同样由配置得出）
  std::unique_ptr<ThreadPool> own_pool;
  std::unique_ptr<kernels::KernelContext> own_kernels;
  if (!ef.model_dir.empty()) {
    engine = std::make_unique<Engine>(ef.model_dir, oc);
  } else {
    own_pool = std::make_unique<ThreadPool>(int(oc.threads));
    own_kernels = std::make_unique<kernels::KernelContext>(*own_pool, kernel_options(oc));
  }
  const kernels::KernelContext& kc = engine ? engine->kernels() : *own_kernels;
  j["threads"] = kc.pool().size();
  j["isa"] = std::string(kernels::isa_name(kc.isa()));
  j["cpu"] = kernels::cpu_model_name(kernels::host_cpu_model());
  j["prefetch_bytes"] = kc.prefetch_bytes();
  if (bandwidth && !engine) j["read_gbps"] = BandwidthProbe(kc, bw_mib << 20).measure(10);
  if (engine) {
    if (bandwidth) o.bandwidth_bytes = bw_mib << 20;
    if (disk_mib > 0) j["disk_gbps"] = measure_disk_gbps(engine->model().checkpoint(), disk_mib << 20);
    r = run_benchmark(*engine, o);
    if (r.expert_cache_prefill.enabled || r.expert_cache_decode.enabled) {
      nlohmann::json ec = nlohmann::json::object();
      ec["memory_budget_bytes"] = oc.memory.budget_bytes;
      if (r.prefill_tokens)
        ec["prefill"] = nlohmann::json::parse(expert_cache_json_text(r.expert_cache_prefill, r.prefill_tokens));
      if (r.decode_tokens) {
        ec["decode"] = nlohmann::json::parse(expert_cache_json_text(r.expert_cache_decode, r.decode_tokens));
        // I/O 屋顶线：每解码一个 token 要从磁盘读的字节（未命中 + 预取）决定的速度上限
        const double per_token = double(r.expert_cache_decode.bytes_read) / double(r.decode_tokens);
        if (j.contains("disk_gbps") && per_token > 0) {
          const double roof = j["disk_gbps"].get<double>() * 1e9 / per_token;
          ec["decode_io_roofline_tps"] = roof;
          ec["decode_io_roofline_fraction"] = r.decode_tps / roof;
        }
      }
      j["expert_cache"] = ec;
    }
    j["model"] = ef.model_dir;
    j["mla_mode"] = mla_mode_name(oc.mla_mode);
    j["kv_dtype"] = oc.kv_dtype == DType::kF32 ? "f32" : "bf16";
    j["load_mode"] = oc.load_mode == LoadMode::kMmap ? "mmap" : "read";
    j["prompt"] = o.prompt;
    j["gen"] = o.gen;
    j["batch"] = o.batch;
    j["ctx"] = o.ctx;
    j["reps"] = o.reps;
    j["prefill_tps"] = r.prefill_tps;
    j["decode_tps"] = r.decode_tps;
    j["ttft_ms"] = r.ttft_ms;
    j["prefill_tps_runs"] = r.prefill_tps_runs;
    j["decode_tps_runs"] = r.decode_tps_runs;
    j["peak_rss_bytes"] = r.peak_rss_bytes;
    j["kv_bytes"] = r.kv_bytes;
    j["kv_bytes_allocated"] = r.kv_bytes_allocated;
    j["weight_bytes_per_token"] = r.weight_bytes_per_token;
    j["decode_mode"] = o.generate ? "generate" : "random_tokens";
    if (o.generate) {
      j["mtp_draft_tokens"] = oc.mtp.enabled ? oc.mtp.draft_tokens : 0;
      j["mtp_adaptive"] = oc.mtp.adaptive;
      j["oracle_drafts"] = o.oracle_drafts;
      j["mtp_acceptance_by_depth"] = r.mtp_acceptance_by_depth;
      j["mtp_mean_accepted"] = r.mtp_mean_accepted;
    }
    if (bandwidth && o.gen > 0) {
      j["read_gbps"] = r.read_gbps;
      j["read_gbps_runs"] = r.read_gbps_runs;
      // 只在 batch 1 时有意义：batch > 1 时每步读一次权重却产出 batch 个 token
      if (o.batch == 1) {
        j["roofline_fraction"] = r.roofline_fraction;
        j["roofline_fraction_runs"] = r.roofline_runs;
      }
    }
  }
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("线程 %lld，指令集 %s\n", (long long)j["threads"].get<int64_t>(), j["isa"].get<std::string>().c_str());
  if (j.contains("read_gbps"))
    std::printf("读带宽:        %.1f GB/s（%s）\n", j["read_gbps"].get<double>(),
                engine ? "各解码段前测量的中位数" : "10 次中最好的一次");
  if (engine) {
    std::printf("模型:          %s（%s，KV %s，权重 %s）\n", ef.model_dir.c_str(),
                j["mla_mode"].get<std::string>().c_str(), j["kv_dtype"].get<std::string>().c_str(),
                j["load_mode"].get<std::string>().c_str());
    if (o.prompt > 0)
      std::printf("预填充 pp%lld:  %.2f token/s（首 token %.1f ms）\n", (long long)o.prompt,
                  j["prefill_tps"].get<double>(), j["ttft_ms"].get<double>());
    if (o.gen > 0)
      std::printf("解码 tg%lld:    %.2f token/s（batch %lld，上下文 %lld）\n", (long long)o.gen,
                  j["decode_tps"].get<double>(), (long long)o.batch, (long long)o.ctx);
    if (o.generate && oc.mtp.enabled) {
      std::printf("MTP:           每步起草 %lld%s，平均每步接受 %.2f，各深度接受率", (long long)oc.mtp.draft_tokens,
                  o.oracle_drafts ? "（神谕草稿）" : "", r.mtp_mean_accepted);
      for (double a : r.mtp_acceptance_by_depth) std::printf(" %.1f%%", 100 * a);
      std::printf("\n");
    }
    std::printf("每 token 权重: %.3f GB\nKV 缓存:       %.2f MiB\n峰值常驻内存:  %.2f GiB\n",
                double(j["weight_bytes_per_token"].get<int64_t>()) / 1e9,
                double(j["kv_bytes"].get<int64_t>()) / 1048576.0,
                double(j["peak_rss_bytes"].get<int64_t>()) / 1073741824.0);
    if (j.contains("expert_cache") && j["expert_cache"].contains("decode")) {
      const auto& d = j["expert_cache"]["decode"];
      std::printf(
          "专家存储(解码): 命中率 %.1f%%，每 token 读盘 %.2f MiB，等待读盘 %.2f s，预取精确率 %.1f%% 召回率 %.1f%%\n",
          100 * d["hit_rate"].get<double>(), d["bytes_read_per_token"].get<double>() / 1048576.0,
          d["stall_seconds"].get<double>(), 100 * d["prefetch_precision"].get<double>(),
          100 * d["prefetch_recall"].get<double>());
      if (j["expert_cache"].contains("decode_io_roofline_fraction"))
        std::printf("I/O 屋顶线:    %.2f token/s（磁盘 %.2f GB/s），达到 %.1f%%\n",
                    j["expert_cache"]["decode_io_roofline_tps"].get<double>(), j["disk_gbps"].get<double>(),
                    100 * j["expert_cache"]["decode_io_roofline_fraction"].get<double>());
    }
    if (j.contains("roofline_fraction"))
      std::printf("带宽上限比例:  %.1f%%（逐轮比值的中位数）\n", 100.0 * j["roofline_fraction"].get<double>());
  }
  return 0;
}

}  // namespace dsinfer
