// 同一个模型以不同的存储方式（FP8 分块缩放、F16、BF16、分片 + 索引）写出后，
// 前向结果与“按相同数值存成 F32”的模型一致：证明按存储 dtype 即时反量化的路径是精确的。
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "e2e/cli.h"
#include "formats/checkpoint.h"
#include "model/deepseek_model.h"
#include "parity/fixture.h"

namespace dsinfer {
namespace {

using testing_support::ScratchDir;

const std::string kSrc = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";

bool is_linear(const std::string& name, const TensorInfo& t) {
  return t.shape.size() == 2 && name.find("_proj.weight") != std::string::npos;
}

struct Variant {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorToWrite> tensors;
};

// 把 v3-tiny 的线性层转成 dtype（FP8 时按 128×128 块计算 scale = max|w|/448），
// 同时生成“把量化后的值存成 F32”的对照模型。
void make_variant(DType dtype, const std::string& dir, const std::string& ref_dir) {
  const Checkpoint src(kSrc);
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
    std::filesystem::copy_file(kSrc + "/config.json", d + "/config.json");
  }
  write_safetensors(dir + "/model.safetensors", q.tensors);
  write_safetensors(ref_dir + "/model.safetensors", ref.tensors);
}

std::vector<float> prefill_logits(const std::string& dir, MlaMode mode) {
  ThreadPool pool(2);
  ForwardContext ctx{kernels::KernelContext(pool), nullptr};
  DeepseekModel m(dir, ModelOptions{mode, LoadMode::kMmap});
  KvCache cache = m.make_cache(DType::kF32);
  const int32_t s = cache.add_sequence();
  Batch b;
  const std::vector<int32_t> tokens = {478, 217, 414, 117, 21, 348, 263, 9, 99};
  for (size_t i = 0; i < tokens.size(); ++i) b.add(tokens[i], s, int64_t(i), true);
  ForwardOutputs out;
  m.forward(ctx, b, cache, out);
  return std::vector<float>(out.logits.data(), out.logits.data() + out.n_out * out.vocab);
}

class StorageDType : public testing::TestWithParam<DType> {};

TEST_P(StorageDType, QuantizedModelMatchesItsDequantizedTwin) {
  ScratchDir d;
  make_variant(GetParam(), d.file("q"), d.file("ref"));
  for (MlaMode mode : {MlaMode::kLatent, MlaMode::kExpanded}) {
    const auto a = prefill_logits(d.file("q"), mode), b = prefill_logits(d.file("ref"), mode);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_LT(testing_support::max_abs_diff(a.data(), b.data(), int64_t(a.size())), 1e-4);
  }
  // 量化确实改变了数值（否则此测试什么也没证明）
  const auto orig = prefill_logits(kSrc, MlaMode::kLatent), quant = prefill_logits(d.file("q"), MlaMode::kLatent);
  EXPECT_GT(testing_support::max_abs_diff(orig.data(), quant.data(), int64_t(orig.size())), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(AllStorage, StorageDType, testing::Values(DType::kF8E4M3, DType::kF16, DType::kBF16),
                         [](const testing::TestParamInfo<DType>& i) {
                           return std::string(i.param == DType::kF8E4M3 ? "fp8"
                                                                        : (i.param == DType::kF16 ? "f16" : "bf16"));
                         });

TEST(ShardedCheckpoint, GivesTheSameLogitsAsOneFile) {
  ScratchDir d;
  const Checkpoint src(kSrc);
  std::vector<TensorToWrite> a, b;
  nlohmann::json map = nlohmann::json::object();
  int i = 0;
  for (const auto& [name, t] : src.tensors()) {
    const bool first = (i++ % 2) == 0;
    (first ? a : b).push_back({name, t->dtype, t->shape, t->data});
    map[name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_safetensors(d.file("model-00001-of-00002.safetensors"), a);
  write_safetensors(d.file("model-00002-of-00002.safetensors"), b);
  testing_support::write_text(d.file("model.safetensors.index.json"),
                              nlohmann::json{{"metadata", nlohmann::json::object()}, {"weight_map", map}}.dump());
  std::filesystem::copy_file(kSrc + "/config.json", d.file("config.json"));
  const Checkpoint sharded(d.path());
  EXPECT_EQ(sharded.tensors().size(), src.tensors().size());
  const auto x = prefill_logits(d.path(), MlaMode::kLatent), y = prefill_logits(kSrc, MlaMode::kLatent);
  EXPECT_EQ(x, y);
}

TEST(ShardedCheckpoint, ReadModeEqualsMmapMode) {
  ThreadPool pool(1);
  ForwardContext ctx{kernels::KernelContext(pool), nullptr};
  DeepseekModel a(kSrc, ModelOptions{MlaMode::kLatent, LoadMode::kRead});
  DeepseekModel b(kSrc, ModelOptions{MlaMode::kLatent, LoadMode::kMmap});
  for (DeepseekModel* m : {&a, &b}) {
    KvCache cache = m->make_cache(DType::kF32);
    Batch batch;
    batch.add(3, cache.add_sequence(), 0, true);
    ForwardOutputs out;
    m->forward(ctx, batch, cache, out);
    EXPECT_EQ(out.n_out, 1);
  }
  EXPECT_EQ(a.active_weight_bytes(), b.active_weight_bytes());
}

}  // namespace
}  // namespace dsinfer
