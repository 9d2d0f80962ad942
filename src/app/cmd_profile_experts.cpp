// dsinfer profile-experts：在真实文本上运行模型（只做预填充，不采样），统计每个 MoE 层每个路由专家被路由到的次数，
// 写成专家统计文件（formats/expert_stats.h），供 moe.cache_policy = frequency 在启动时钉住每层最热的专家。
// 文本按 --window 个 token 切成互不相关的序列（每段从空的 KV 缓存开始），使统计不受上下文上限限制。
// 模型有 MTP（NextN）层时一并统计：MTP 层的输入是主模型的隐状态与下一个 token，每段最后一个位置没有下一个 token。
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/engine_flags.h"
#include "app/flags.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "core/progress.h"
#include "formats/expert_stats.h"
#include "model/mtp_predictor.h"
#include "runtime/engine.h"
#include "runtime/scheduler.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer {

namespace {

std::string base_name(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.rfind('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

}  // namespace

int cmd_profile_experts(int argc, char** argv) {
  FlagSet flags("profile-experts",
                "在文本上统计每层路由专家的使用次数，写出专家统计文件（供 moe.cache_policy = frequency 使用）。");
  EngineFlags ef;
  ef.add_to(flags);
  std::string text_path, out_path;
  int64_t window = 0, max_tokens = 0;
  flags.add_string("-f,--file", &text_path, "用于统计的文本文件（用模型目录中的 tokenizer.json 编码）", true);
  flags.add_string("-o,--output", &out_path, "专家统计文件（JSON）", true);
  flags.add_int("--window", &window, "每段序列的 token 数（默认 min(上下文上限, 1024)）");
  flags.add_int("--max-tokens", &max_tokens, "最多统计的 token 数（0 = 整个文件）");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (flags.seen("--window") && window < 2)
    throw Error(ErrorCode::kInvalidArgument, cat("参数 --window 的取值 ", window, " 非法（应 ≥ 2）"));
  if (max_tokens < 0)
    throw Error(ErrorCode::kInvalidArgument, cat("参数 --max-tokens 的取值 ", max_tokens, " 非法（应 ≥ 0）"));

  const Tokenizer tok = Tokenizer::load(ef.model_dir);
  std::vector<int32_t> tokens = tok.encode(read_text_file(text_path), false);
  if (max_tokens > 0 && int64_t(tokens.size()) > max_tokens) tokens.resize(size_t(max_tokens));
  if (tokens.empty()) throw Error(ErrorCode::kInvalidArgument, cat("文本文件 ", text_path, " 编码后没有 token"));

  Engine engine(ef.model_dir, ef.resolve());
  const ModelConfig& config = engine.model().config();
  if (config.n_routed_experts == 0)
    throw Error(ErrorCode::kUnsupported, cat(config.path, "：模型没有路由专家（n_routed_experts = 0），无可统计"));
  if (!flags.seen("--window")) window = std::min<int64_t>(engine.context_limit(), 1024);
  if (window > engine.context_limit())
    throw Error(ErrorCode::kInvalidArgument,
                cat("参数 --window 的取值 ", window, " 超过上下文上限 ", engine.context_limit()));

  std::unique_ptr<MtpPredictor> mtp;
  if (config.num_nextn_predict_layers > 0)
    mtp = std::make_unique<MtpPredictor>(engine.model(), engine.config().mla_mode);

  ForwardContext ctx = engine.context();
  const int64_t D = config.hidden_size, n = int64_t(tokens.size());
  const int64_t chunk = Scheduler::kPrefillChunk;
  std::vector<float> hidden(static_cast<size_t>(window * D));
  std::vector<float> mtp_hidden(static_cast<size_t>(chunk * D));
  Batch batch;
  ForwardOutputs out;
  ProgressBar progress(uint64_t(n), "统计专家", stderr);
  progress.count_in("token");
  for (int64_t w0 = 0; w0 < n; w0 += window) {
    const int64_t len = std::min(window, n - w0);
    KvCache cache = engine.make_cache();
    const int32_t seq = cache.add_sequence();
    for (int64_t c0 = 0; c0 < len; c0 += chunk) {
      const int64_t c1 = std::min(len, c0 + chunk);
      batch.clear();
      for (int64_t i = c0; i < c1; ++i) batch.add(tokens[size_t(w0 + i)], seq, i, false, mtp != nullptr);
      engine.model().forward(ctx, batch, cache, out);
      if (mtp) std::copy_n(out.hidden.data(), size_t((c1 - c0) * D), hidden.data() + c0 * D);
      progress.add(uint64_t(c1 - c0));
    }
    if (!mtp) continue;
    // MTP 模块 k 在位置 i 的输入：token i+1+k 与上一级（主模型或模块 k−1）在位置 i 的隐状态；
    // 每块读完输入后原地换成本级的输出，供下一级使用
    for (int64_t k = 0; k < mtp->n_modules(); ++k) {
      const int64_t rows = len - 1 - k;
      if (rows <= 0) break;
      KvCache mcache = mtp->make_cache(engine.config().kv_dtype, engine.config().kv_block_size);
      const int32_t ms = mcache.add_sequence();
      for (int64_t c0 = 0; c0 < rows; c0 += chunk) {
        const int64_t c1 = std::min(rows, c0 + chunk);
        batch.clear();
        for (int64_t i = c0; i < c1; ++i) batch.add(tokens[size_t(w0 + i + 1 + k)], ms, i, false);
        mtp->forward(ctx, k, batch, hidden.data() + c0 * D, mcache, out, mtp_hidden.data());
        std::copy_n(mtp_hidden.data(), size_t((c1 - c0) * D), hidden.data() + c0 * D);
      }
    }
  }
  progress.finish();

  ExpertStats stats;
  stats.model = base_name(ef.model_dir);
  stats.tokens = n;
  stats.n_routed_experts = config.n_routed_experts;
  stats.num_experts_per_tok = config.num_experts_per_tok;
  const ExpertLoad& load = engine.monitor().expert_load();
  for (int64_t l = 0; l < load.n_layers(); ++l) {
    if (!load.is_moe(l)) continue;
    const auto& row = load.rows()[size_t(l)];
    stats.counts[l] = std::vector<uint64_t>(row.begin(), row.end());
  }
  save_expert_stats(out_path, stats);
  std::fprintf(stderr, "已写出 %s：%lld 个 token，%zu 个 MoE 层\n", out_path.c_str(), (long long)n,
               stats.counts.size());
  ef.report(engine.monitor());
  return 0;
}

}  // namespace dsinfer
