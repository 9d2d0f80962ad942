// safetensors：输入字节就是整个 .safetensors 文件（头长度 + JSON 头 + 数据区），在内存中解析，
// 越界读由 ASan 按输入缓冲区的真实大小发现。解析成功后读一遍每个张量的全部数据，并核对：
// 字节数 = 形状 × dtype，各张量区间互不重叠且在数据区内（字节数之和不超过输入减去 8 字节头长度）。
#include "core/error.h"
#include "formats/safetensors.h"
#include "fuzz/fuzz_support.h"

namespace {

volatile uint8_t g_sink;  // 让读数据的循环不被优化掉

void parse(std::string_view input) {
  static const std::string kPath = "fuzz.safetensors";
  const auto tensors = dsinfer::parse_safetensors(reinterpret_cast<const uint8_t*>(input.data()), input.size(), kPath);
  size_t total = 0;
  for (const auto& [name, info] : tensors) {
    if (info.nbytes != size_t(info.numel()) * dsinfer::dtype_size(info.dtype))
      dsinfer::fuzz::violated("张量字节数与形状不符");
    uint8_t x = 0;
    for (size_t i = 0; i < info.nbytes; ++i) x ^= info.data[i];
    g_sink = x;
    total += info.nbytes;
  }
  if (total > input.size() - 8) dsinfer::fuzz::violated("张量数据总量超出数据区");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, parse);
  return 0;
}
