// MLA 的两种缓存方式（见 docs/architecture.md）。放在 core：配置（config）与模型（model）都用它，
// 而配置不依赖模型。
#pragma once

namespace dsinfer {

//  kLatent：每 token 每层缓存 kv_lora_rank + qk_rope_head_dim 个值，解码时吸收 W_UK / W_UV；
//  kExpanded：缓存每头完整的 K（nope+rope）与 V（v_head_dim），即标准注意力基线。
enum class MlaMode { kLatent, kExpanded };

}  // namespace dsinfer
