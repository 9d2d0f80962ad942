// NumPy .npy（v1.0，'<f4'，C 顺序）读写：dsinfer logits 的输出格式，测试也用它读回。
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);
// 只接受 '<f4'、fortran_order False；其他情况抛出 Error(kFormat) 并写明文件名。
NpyArray read_npy(const std::string& path);
// 解析内存中的 .npy 文件内容；path 只用于错误消息。
NpyArray parse_npy(std::string_view bytes, const std::string& path);

}  // namespace dsinfer
