// 同一个模型的不同存储方式：把参考模型的线性层转成 FP8（128×128 分块缩放）/ F16 / BF16 写出，
// 同时写出“把量化后的值存成 F32”的对照模型。检查点 dtype 与专家存储的测试共用。
#pragma once

#include <string>

#include "core/dtype.h"

namespace dsinfer::testing_support {

// src_dir 的线性层转成 dtype 写到 dir，对照模型写到 ref_dir（两个目录都带 config.json）
void write_storage_variant(const std::string& src_dir, DType dtype, const std::string& dir, const std::string& ref_dir);

}  // namespace dsinfer::testing_support
