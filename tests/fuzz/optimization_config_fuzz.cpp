// TOML 配置（--config）：输入是 TOML 文本。解析成功时 to_toml() 的输出必须能再次载入，
// 且得到同样的配置（dsinfer info 打印的就是这段文本，用户会拿它当配置文件）。
#include "config/optimization_config.h"
#include "core/error.h"
#include "fuzz/fuzz_support.h"

namespace {

void parse(std::string_view input) {
  dsinfer::OptimizationConfig c;
  c.load_toml_text(std::string(input), "fuzz.toml");
  const std::string printed = c.to_toml();
  dsinfer::OptimizationConfig again;
  try {
    again.load_toml_text(printed, "to_toml()");
  } catch (const dsinfer::Error&) {
    dsinfer::fuzz::violated("to_toml() 的输出无法重新载入");
  }
  if (again.to_toml() != printed) dsinfer::fuzz::violated("to_toml() 的输出重新载入后不一致");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, parse);
  return 0;
}
