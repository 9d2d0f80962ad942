// .npy：输入字节就是整个 .npy 文件，在内存中解析；解析成功时元素个数必须等于各维之积。
#include "core/error.h"
#include "formats/npy.h"
#include "fuzz/fuzz_support.h"

namespace {

void parse(std::string_view input) {
  const dsinfer::NpyArray a = dsinfer::parse_npy(input, "fuzz.npy");
  size_t n = 1;
  for (int64_t d : a.shape) {
    if (d < 0) dsinfer::fuzz::violated("npy 维度为负");
    n *= size_t(d);
  }
  if (n != a.data.size()) dsinfer::fuzz::violated("npy 元素个数与 shape 不符");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, parse);
  return 0;
}
