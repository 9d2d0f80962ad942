#include "runtime/engine.h"

#include "core/error.h"
#include "kernels/kernels.h"

namespace dsinfer {

void apply_isa(const std::string& isa) {
  if (isa == "auto") {
    kernels::set_isa(kernels::detect_isa());
    return;
  }
  const auto i = kernels::isa_from_name(isa);
  if (!i) throw Error(ErrorCode::kConfig, cat("未知指令集路径 '", isa, "'"));
  kernels::set_isa(*i);
}

Engine::Engine(const std::string& model_dir, const OptimizationConfig& config)
    : config_(config), pool_(int(config.threads)) {
  apply_isa(config_.isa);
  kernels::set_matmul_precision(config_.bf16_matmul ? kernels::MatmulPrecision::kBf16 : kernels::MatmulPrecision::kF32);
  model_ = std::make_unique<DeepseekModel>(model_dir, ModelOptions{config_.mla_mode, config_.load_mode});
  monitor_.set_weight_bytes(model_->checkpoint().file_bytes());
}

std::vector<std::vector<int32_t>> Engine::generate(const std::vector<GenerationRequest>& requests,
                                                   const TokenCallback& on_token) {
  if (!generator_) generator_ = std::make_unique<Generator>(*model_, pool_, config_, &monitor_);
  return generator_->generate(requests, on_token);
}

}  // namespace dsinfer
