#include "parity/storage_variant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "formats/checkpoint.h"
#include "formats/safetensors.h"

namespace dsinfer::testing_support {
namespace {

bool is_linear(const std::string& name, const TensorInfo& t) {
  return t.shape.size() == 2 && name.find("_proj.weight") != std::string::npos;
}

struct Variant {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorToWrite> tensors;
};

}  // namespace

// FP8 时按 128×128 块计算 scale = max|w|/448

void write_storage_variant(const std::string& src_dir, DType dtype, const std::string& dir,
                           const std::string& ref_dir) {
  const Checkpoint src(src_dir);
  Variant q, ref;
  for (const auto& [name, t] : src.tensors()) {
    const int64_t n = t->numel();
    std::vector<float> v(static_cast<size_t>(n));
    to_f32(t->dtype, t->data, v.data(), size_t(n));
    std::vector<float> exact = v;
    std::vector<uint8_t> bytes(reinterpret_cast<const uint8_t*>(v.data()),
                               reinterpret_cast<const uint8_t*>(v.data()) + n * 4);
    DType out_dtype = DType::kF32;
    if (is_linear(name, *t)) {
      const int64_t rows = t->shape[0], cols = t->shape[1];
      out_dtype = dtype;
      bytes.assign(size_t(n) * dtype_size(dtype), 0);
      if (dtype == DType::kF8E4M3) {
        const int64_t sr = (rows + 127) / 128, sc = (cols + 127) / 128;
        std::vector<float> scale(static_cast<size_t>(sr * sc), 0.0f);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            float& s = scale[size_t((r / 128) * sc + c / 128)];
            s = std::max(s, std::fabs(v[size_t(r * cols + c)]) / 448.0f);
          }
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            const float s = scale[size_t((r / 128) * sc + c / 128)];
            const uint8_t b = f32_to_fp8e4m3(v[size_t(r * cols + c)] / s);
            bytes[size_t(r * cols + c)] = b;
            exact[size_t(r * cols + c)] = fp8e4m3_to_f32(b) * s;
          }
        std::vector<uint8_t> sb(reinterpret_cast<uint8_t*>(scale.data()),
                                reinterpret_cast<uint8_t*>(scale.data()) + scale.size() * 4);
        q.storage.push_back(std::move(sb));
        q.tensors.push_back({name + "_scale_inv", DType::kF32, {sr, sc}, q.storage.back().data()});
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const uint16_t h = dtype == DType::kF16 ? f32_to_f16(v[size_t(i)]) : f32_to_bf16(v[size_t(i)]);
          std::memcpy(&bytes[size_t(i) * 2], &h, 2);
          exact[size_t(i)] = dtype == DType::kF16 ? f16_to_f32(h) : bf16_to_f32(h);
        }
      }
    }
    q.storage.push_back(std::move(bytes));
    q.tensors.push_back({name, out_dtype, t->shape, q.storage.back().data()});
    std::vector<uint8_t> eb(reinterpret_cast<uint8_t*>(exact.data()), reinterpret_cast<uint8_t*>(exact.data()) + n * 4);
    ref.storage.push_back(std::move(eb));
    ref.tensors.push_back({name, DType::kF32, t->shape, ref.storage.back().data()});
  }
  for (const std::string& d : {dir, ref_dir}) {
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(src_dir + "/config.json", d + "/config.json");
  }
  write_safetensors(dir + "/model.safetensors", q.tensors);
  write_safetensors(ref_dir + "/model.safetensors", ref.tensors);
}

}  // namespace dsinfer::testing_support
