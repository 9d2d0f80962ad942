// dsinfer run：由 token id（或文本提示，见分词器）生成续写，打印生成的 token id。
#include <cstdio>
#include <string>

#include "app/engine_flags.h"
#include "app/flags.h"
#include "core/error.h"
#include "runtime/engine.h"

namespace dsinfer {

int cmd_run(int argc, char** argv) {
  FlagSet flags("run", "从提示生成续写，打印生成的 token id（逗号分隔，每个请求一行）。");
  EngineFlags ef;
  ef.add_to(flags);
  std::string ids;
  int64_t n = 32, top_k = 0, seed = 0, batch = 1;
  double temp = 0.0, top_p = 1.0;
  bool ignore_eos = false;
  flags.add_string("--ids", &ids, "提示的 token id，如 1,2,3", true);
  flags.add_int("-n,--n-predict", &n, "最多生成的 token 数（默认 32）");
  flags.add_float("--temp", &temp, "采样温度（0 = 贪心，默认 0）");
  flags.add_int("--top-k", &top_k, "top-k（0 = 不限制）");
  flags.add_float("--top-p", &top_p, "top-p（1 = 不限制）");
  flags.add_int("--seed", &seed, "随机种子（默认 0）");
  flags.add_int("--batch", &batch, "把同一提示复制成 B 条序列并行生成（种子依次 +1）");
  flags.add_bool("--ignore-eos", &ignore_eos, "遇到 EOS 不停止");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (n < 0) throw Error(ErrorCode::kInvalidArgument, cat("参数 -n 的取值 ", n, " 非法（应 ≥ 0）"));
  if (batch < 1) throw Error(ErrorCode::kInvalidArgument, cat("参数 --batch 的取值 ", batch, " 非法（应 ≥ 1）"));
  GenerationRequest req;
  req.prompt = parse_id_list("--ids", ids);
  req.max_new_tokens = n;
  req.sampling = SamplingParams{temp, top_k, top_p, uint64_t(seed)};
  req.stop_at_eos = !ignore_eos;
  Engine engine(ef.model_dir, ef.resolve());
  const auto results = engine.generate(std::vector<GenerationRequest>(size_t(batch), req));
  for (const auto& r : results) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) line += ',';
      line += std::to_string(r[i]);
    }
    std::printf("%s\n", line.c_str());
  }
  ef.report(engine.monitor());
  return 0;
}

}  // namespace dsinfer
