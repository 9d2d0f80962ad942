// NumPy .npy（v1.0，'<f4'，C 顺序）读写：dsinfer logits 的输出格式，测试也用它读回。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
// 只接受 '<f4'、fortran_order False；其他情况抛出 Error(kFormat) 并写明文件名。
NpyArray read_npy(const std::string& path);

}  // namespace dsinfer
