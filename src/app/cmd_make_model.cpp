// dsinfer make-model：写出真实 DeepSeek 形状的随机权重 Hugging Face 检查点（速度与内存测量用）。
#include <cstdio>
#include <string>

#include "app/flags.h"
#include "core/error.h"
#include "formats/synthetic_model.h"

namespace dsinfer {

int cmd_make_model(int argc, char** argv) {
  FlagSet flags("make-model", "写出随机权重的 Hugging Face 检查点（config.json + 分片 safetensors）。");
  SyntheticModelSpec spec;
  std::string out, dtype = "bf16";
  int64_t seed = 0, threads = 0;
  flags.add_string("--preset", &spec.preset, "形状预设：v2-lite | v2 | v3（默认 v2-lite）");
  flags.add_int("--layers", &spec.layers, "层数（默认取预设）");
  flags.add_int("--experts", &spec.experts, "路由专家数（默认取预设）");
  flags.add_int("--vocab", &spec.vocab, "词表大小（默认取预设）");
  flags.add_int("--top-k", &spec.top_k, "每个 token 的路由专家数 num_experts_per_tok（默认取预设）");
  flags.add_bool("--dense", &spec.dense, "稠密对照：所有层为稠密 FFN，FFN 参数总量与同预设的 MoE 模型相同");
  flags.add_int("--mtp-layers", &spec.mtp_layers, "NextN（MTP）层数（默认取预设：v3 为 1，其余为 0）");
  flags.add_string("--dtype", &dtype, "权重类型：bf16 | f16 | f32 | fp8（默认 bf16）");
  flags.add_int("--seed", &seed, "随机种子（默认 0）");
  flags.add_int("--threads", &threads, "生成线程数（0 = 全部 CPU 核）");
  flags.add_string("-o,--output", &out, "输出目录", true);
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (dtype == "bf16")
    spec.dtype = DType::kBF16;
  else if (dtype == "f16")
    spec.dtype = DType::kF16;
  else if (dtype == "f32")
    spec.dtype = DType::kF32;
  else if (dtype == "fp8")
    spec.dtype = DType::kF8E4M3;
  else
    throw Error(ErrorCode::kInvalidArgument, cat("参数 --dtype 的取值 '", dtype, "' 非法（bf16、f16、f32、fp8）"));
  spec.seed = uint64_t(seed);
  ThreadPool pool(static_cast<int>(threads));
  write_synthetic_model(spec, out, pool, stderr);
  std::printf("已写出 %s（预设 %s，%s）\n", out.c_str(), spec.preset.c_str(), dtype.c_str());
  return 0;
}

}  // namespace dsinfer
