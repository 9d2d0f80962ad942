// run 与 chat 共用的采样参数：--temp、--top-k、--top-p、--seed。
#pragma once

#include <cstdint>

#include "app/flags.h"
#include "runtime/sampler.h"

namespace dsinfer {

struct SamplingFlags {
  double temp = 0.0, top_p = 1.0;
  int64_t top_k = 0, seed = 0;

  void add_to(FlagSet& flags) {
    flags.add_float("--temp", &temp, "采样温度（0 = 贪心，默认 0）");
    flags.add_int("--top-k", &top_k, "top-k（0 = 不限制）");
    flags.add_float("--top-p", &top_p, "top-p（1 = 不限制）");
    flags.add_int("--seed", &seed, "随机种子（默认 0）");
  }
  SamplingParams params(uint64_t seed_offset = 0) const {
    return SamplingParams{temp, top_k, top_p, uint64_t(seed) + seed_offset};
  }
};

}  // namespace dsinfer
