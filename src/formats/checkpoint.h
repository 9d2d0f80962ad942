// Checkpoint：一个 Hugging Face 模型目录中的全部张量（单文件 model.safetensors，或
// model.safetensors.index.json + 分片）。按名字取张量时校验 dtype 与形状，FP8 权重自动配上
// 同名的 weight_scale_inv。缺张量、形状不符、分片缺失都抛出 Error 并写明张量名与文件名。
// 常驻拷贝模式（内存预算下使用）：分片只映射来解析头部，weight() / vector_f32() 取到的张量逐个绕过页缓存
// 读入匿名内存；没被取用的张量（交给专家存储的路由专家）从不进入本进程的内存。
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "core/uncached_file.h"
#include "core/weight.h"
#include "formats/safetensors.h"

namespace dsinfer {

class Checkpoint {
 public:
  // progress 非空（引擎加载）时在其上显示加载进度条（全部分片的字节；不是终端时不显示）；kMmap 时若全部分片
  // 放得进可用内存的 90%，先把它们读进页缓存（进度条显示的就是这次读），放不下则只映射、不显示进度条。
  // resident_copies：常驻拷贝模式（此时 mode 只决定头部的读取方式，应为 kMmap）。
  Checkpoint(const std::string& dir, LoadMode mode = LoadMode::kMmap, FILE* progress = nullptr,
             bool resident_copies = false);

  const std::string& dir() const { return dir_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorInfo& tensor(const std::string& name) const;
  // 线性层权重 [rows, cols]；FP8 时要求存在 name + "_scale_inv"（形状 [⌈rows/128⌉, ⌈cols/128⌉]）。
  Weight weight(const std::string& name, int64_t rows, int64_t cols) const;
  // 线性层权重在文件中的位置（数据张量与 FP8 的缩放因子张量），校验与 weight() 相同，但不读数据。
  struct WeightSource {
    const TensorInfo* data = nullptr;
    const TensorInfo* scale_inv = nullptr;  // 仅 FP8
  };
  WeightSource weight_source(const std::string& name, int64_t rows, int64_t cols) const;
  // 一维张量（RMSNorm 权重、路由偏置）转成 f32。
  std::vector<float> vector_f32(const std::string& name, int64_t n) const;

  const std::map<std::string, const TensorInfo*>& tensors() const { return tensors_; }
  size_t file_bytes() const;                                    // 所有分片文件大小之和
  size_t resident_copy_bytes() const { return copied_bytes_; }  // 常驻拷贝模式下已读入的字节

 private:
  void add_files(const std::vector<std::string>& paths, FILE* progress);
  // 张量数据的地址：映射内存，或（常驻拷贝模式）首次取用时读入的拷贝
  const uint8_t* tensor_data(const TensorInfo& t) const;

  std::string dir_;
  LoadMode mode_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorInfo*> tensors_;
  bool resident_copies_ = false;
  mutable std::map<const TensorInfo*, AlignedBytes> copies_;  // 常驻拷贝（只在构造模型时单线程取用）
  mutable size_t copied_bytes_ = 0;
};

}  // namespace dsinfer
