// safetensors 读取：8 字节小端头长度 N + N 字节 JSON 头 + 原始数据（docs/spec.md §2.4）。
// 所有越界检查都在这里完成：头长度超出文件、偏移越界 / 重叠、dtype 未知、形状与字节数不符，
// 都抛出 Error(kFormat) 并写明文件名与张量名。之后其他模块可以放心地直接读数据指针。
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"

namespace dsinfer {

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // 指向映射内存，生命周期同 SafetensorsFile
  size_t nbytes = 0;
  uint64_t offset = 0;                // 数据在文件中的绝对偏移（专家存储按偏移直接读盘）
  const std::string* file = nullptr;  // 所在文件路径（用于错误消息）

  int64_t numel() const;
};

class SafetensorsFile {
 public:
  SafetensorsFile(const std::string& path, LoadMode mode, const ProgressFn& progress = nullptr);

  const std::string& path() const { return file_.path(); }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  size_t file_size() const { return file_.size(); }
  void populate(const ProgressFn& progress) { file_.populate(progress); }

 private:
  MappedFile file_;
  std::map<std::string, TensorInfo> tensors_;
};

// 解析内存中的整个 safetensors 文件（头 + 数据区），返回的 TensorInfo 指向 data；
// data 与 path（错误消息与 TensorInfo::file 引用它）都须比结果活得久。fuzz 目标直接调用它。
std::map<std::string, TensorInfo> parse_safetensors(const uint8_t* data, size_t size, const std::string& path);

// 形状的文本形式 "[2, 3]"，用于错误消息。
std::string shape_str(const std::vector<int64_t>& shape);

// 写 safetensors（测试与 make-model 用）：按给定顺序连续排布，不重叠。
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
};
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors);

}  // namespace dsinfer
