// dsinfer logits：把每个位置的 logits（以及可选的最终隐状态）写成 float32 的 .npy，
// 供与参考实现逐位置比较。--decode-from P：前 P 个 token 一次预填充，其余逐个经 KV 缓存解码。
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/engine_flags.h"
#include "app/flags.h"
#include "core/error.h"
#include "formats/npy.h"
#include "model/mtp_predictor.h"
#include "runtime/engine.h"
#include "runtime/sampler.h"

namespace dsinfer {

int cmd_logits(int argc, char** argv) {
  FlagSet flags("logits", "计算每个位置的 logits，写成 float32 .npy [n_tokens, vocab]。");
  EngineFlags ef;
  ef.add_to(flags);
  std::string ids, out_path, hidden_path, mtp_path;
  int64_t decode_from = 0;
  flags.add_string("--ids", &ids, "token id，如 1,2,3", true);
  flags.add_string("-o,--output", &out_path, "logits 输出文件（.npy）", true);
  flags.add_int("--decode-from", &decode_from, "前 P 个 token 一次预填充，其余逐个解码（0 = 全部一次预填充）");
  flags.add_string("--hidden-out", &hidden_path, "最终 RMSNorm 后的隐状态输出文件（.npy，[n_tokens, hidden]）");
  flags.add_string("--mtp-out", &mtp_path,
                   "MTP 模块的 logits 输出文件（.npy，[n_tokens, vocab]）：位置 i 输入 token i+1，最后一个位置输入主 "
                   "logits 的 argmax");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  const std::vector<int32_t> tokens = parse_id_list("--ids", ids);
  const int64_t n = int64_t(tokens.size());
  if (flags.seen("--decode-from") && (decode_from < 1 || decode_from > n))
    throw Error(ErrorCode::kInvalidArgument,
                cat("参数 --decode-from 的取值 ", decode_from, " 非法（应在 1…", n, " 内）"));
  const int64_t prefill = decode_from > 0 ? decode_from : n;

  Engine engine(ef.model_dir, ef.resolve());
  const int64_t V = engine.model().config().vocab_size, D = engine.model().config().hidden_size;
  ForwardContext ctx = engine.context();
  KvCache cache = engine.make_cache();
  const int32_t seq = cache.add_sequence();
  std::vector<float> logits(static_cast<size_t>(n * V)), hidden(static_cast<size_t>(n * D));
  Batch batch;
  ForwardOutputs out;
  int64_t row = 0;
  auto collect = [&] {
    std::memcpy(logits.data() + row * V, out.logits.data(), size_t(out.n_out * V) * 4);
    std::memcpy(hidden.data() + row * D, out.hidden.data(), size_t(out.n_out * D) * 4);
    row += out.n_out;
  };
  for (int64_t i = 0; i < prefill; ++i) batch.add(tokens[size_t(i)], seq, i, true);
  engine.model().forward(ctx, batch, cache, out);
  collect();
  for (int64_t i = prefill; i < n; ++i) {
    batch.clear();
    batch.add(tokens[size_t(i)], seq, i, true);
    engine.model().forward(ctx, batch, cache, out);
    collect();
  }
  write_npy(out_path, logits.data(), {n, V});
  if (!hidden_path.empty()) write_npy(hidden_path, hidden.data(), {n, D});
  if (!mtp_path.empty()) {
    // 与主模型相同的调用方式：前 prefill 个位置一次前向，其余逐个经 MTP 自己的缓存
    MtpPredictor mtp(engine.model(), engine.config().mla_mode);
    KvCache mcache = mtp.make_cache(engine.config().kv_dtype, engine.config().kv_block_size);
    const int32_t ms = mcache.add_sequence();
    std::vector<int32_t> inputs(tokens.begin() + 1, tokens.end());
    inputs.push_back(argmax(logits.data() + (n - 1) * V, V));
    std::vector<float> mtp_logits(static_cast<size_t>(n * V));
    for (int64_t i0 = 0; i0 < n;) {
      const int64_t i1 = i0 == 0 ? prefill : i0 + 1;
      batch.clear();
      for (int64_t i = i0; i < i1; ++i) batch.add(inputs[size_t(i)], ms, i, true);
      mtp.forward(ctx, 0, batch, hidden.data() + i0 * D, mcache, out, nullptr);
      std::memcpy(mtp_logits.data() + i0 * V, out.logits.data(), size_t(out.n_out * V) * 4);
      i0 = i1;
    }
    write_npy(mtp_path, mtp_logits.data(), {n, V});
  }
  engine.monitor().set_kv_bytes(cache.used_bytes(), cache.allocated_bytes());
  ef.report(engine.monitor());
  return 0;
}

}  // namespace dsinfer
