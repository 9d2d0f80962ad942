#include "model/rope_params.h"

namespace dsinfer {

kernels::RopeParams rope_params(const ModelConfig& c) {
  const RopeScaling& rs = c.rope_scaling;
  return kernels::RopeParams{
      c.qk_rope_head_dim, c.rope_theta, rs.yarn,   rs.factor,        rs.original_max_position_embeddings,
      rs.beta_fast,       rs.beta_slow, rs.mscale, rs.mscale_all_dim};
}

}  // namespace dsinfer
