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
#include "parity/storage_variant.h"

namespace dsinfer {
namespace {

using testing_support::ScratchDir;

const std::string kSrc = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";

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
  testing_support::write_storage_variant(kSrc, GetParam(), d.file("q"), d.file("ref"));
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
