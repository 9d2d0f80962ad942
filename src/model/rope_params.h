// 从模型配置取 RoPE 的参数：kernels 不认识 ModelConfig，模型在这里把 config.json 的字段交给 kernels::Rope。
#pragma once

#include "formats/model_config.h"
#include "kernels/rope.h"

namespace dsinfer {

kernels::RopeParams rope_params(const ModelConfig& config);

}  // namespace dsinfer
