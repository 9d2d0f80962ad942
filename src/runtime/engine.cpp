#include "runtime/engine.h"

#include "runtime/context_limit.h"
#include "runtime/kernel_options.h"
#include "runtime/model_options.h"

namespace dsinfer {

Engine::Engine(const std::string& model_dir, const OptimizationConfig& config)
    : config_(config), pool_(int(config.threads)), kernels_(pool_, kernel_options(config_)) {
  model_ = std::make_unique<DeepseekModel>(model_dir, model_options(model_dir, config_, int64_t(pool_.size())));
  monitor_.set_weight_bytes(model_->checkpoint().file_bytes());
  if (const TieredExpertStore* store = model_->tiered_experts()) {
    ExpertCacheStats& st = monitor_.expert_cache();
    st.enabled = true;
    st.policy = config_.moe.cache_policy;
    st.prefetch = config_.moe.prefetch;
    st.slots_per_layer = model_->memory_plan().slots_per_layer;
    st.pinned_per_layer = store->pinned_per_layer();
    st.direct_io = store->direct_io();
  }
  // 专家负载矩阵的形状：主干各层，启用 MTP 时再加 NextN 层（层号接在主干之后）
  const ModelConfig& c = model_->config();
  std::vector<bool> moe_layers(size_t(c.num_hidden_layers + (config_.mtp.enabled ? c.num_nextn_predict_layers : 0)));
  for (size_t l = 0; l < moe_layers.size(); ++l) moe_layers[l] = c.is_moe_layer(int64_t(l));
  monitor_.set_moe_shape(moe_layers, c.n_routed_experts);
  context_limit_ = dsinfer::context_limit(model_->config(), config_);
}

std::vector<std::vector<int32_t>> Engine::generate(const std::vector<GenerationRequest>& requests,
                                                   const TokenCallback& on_token, const FinishCallback& on_finish) {
  if (!generator_) generator_ = std::make_unique<Generator>(*model_, context(), config_);
  return generator_->generate(requests, on_token, on_finish);
}

}  // namespace dsinfer
