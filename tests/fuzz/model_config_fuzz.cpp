// config.json → ModelConfig：输入是 JSON 文本；解析成功后再调用由这些字段派生的量
// （注意力缩放、逐层 MoE 判断），它们在加载模型时紧接着就会被用到。
#include <algorithm>

#include "core/error.h"
#include "formats/model_config.h"
#include "fuzz/fuzz_support.h"

namespace {

volatile double g_sink;

void parse(std::string_view input) {
  const dsinfer::ModelConfig c = dsinfer::parse_model_config(std::string(input), "config.json");
  double x = c.softmax_scale();
  for (int64_t layer = 0; layer < std::min<int64_t>(c.num_hidden_layers, 64); ++layer) x += c.is_moe_layer(layer);
  g_sink = x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, parse);
  return 0;
}
