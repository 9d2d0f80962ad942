// 内置模型 models/dsinfer-tiny-v3 与训练它的 PyTorch 模型（tools/train）的一致性：
// 夹具 tests/data/bundled 由 tools/train/export_fixture.py 在导出的 bf16 权重上以 fp32 算出。
// 覆盖主模型逐位置 logits 与隐状态（两种 MLA 模式、整段预填充与逐 token 解码）、
// MTP 的逐位置 logits，以及预填充后链式起草 1..4 个草稿的 logits 与草稿 token。
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "model/deepseek_model.h"
#include "model/mtp_predictor.h"
#include "parity/fixture.h"

namespace dsinfer {
namespace {

using testing_support::Fixture;
using testing_support::kParityAtol;
using testing_support::load_fixture;
using testing_support::max_abs_diff;

int32_t argmax(const float* row, int64_t n) {
  return int32_t(std::max_element(row, row + n) - row);
}

class BundledParity : public testing::TestWithParam<MlaMode> {
 protected:
  void SetUp() override {
    fixture_ = load_fixture(std::string(DSINFER_TEST_DATA_DIR) + "/bundled");
    model_ = std::make_unique<DeepseekModel>(fixture_.model_dir, ModelOptions{GetParam(), LoadMode::kMmap});
  }
  // 整段预填充第 k 条序列，返回每个位置的 logits 与隐状态
  void prefill(size_t k, KvCache& cache, int32_t s, ForwardOutputs& out) {
    const auto& seq = fixture_.sequences[k];
    Batch b;
    for (size_t i = 0; i < seq.size(); ++i) b.add(seq[i], s, int64_t(i), true);
    model_->forward(ctx_, b, cache, out);
  }
  Fixture fixture_;
  std::unique_ptr<DeepseekModel> model_;
  ThreadPool pool_{2};
  ForwardContext ctx_{kernels::KernelContext(pool_), nullptr};
};

TEST_P(BundledParity, PrefillLogitsAndHidden) {
  const int64_t V = model_->config().vocab_size, D = model_->config().hidden_size;
  for (size_t k = 0; k < fixture_.sequences.size(); ++k) {
    KvCache cache = model_->make_cache(DType::kF32);
    ForwardOutputs out;
    prefill(k, cache, cache.add_sequence(), out);
    const int64_t n = int64_t(fixture_.sequences[k].size());
    ASSERT_EQ(out.n_out, n);
    EXPECT_LT(max_abs_diff(out.logits.data(), fixture_.data("logits_seq" + std::to_string(k)), n * V), kParityAtol);
    EXPECT_LT(max_abs_diff(out.hidden.data(), fixture_.data("hidden_seq" + std::to_string(k)), n * D), kParityAtol);
  }
}

TEST_P(BundledParity, DecodeOneTokenAtATimeMatchesPrefillRows) {
  const int64_t V = model_->config().vocab_size;
  for (size_t k = 0; k < fixture_.sequences.size(); ++k) {
    const auto& seq = fixture_.sequences[k];
    const int64_t p = fixture_.decode_prefill_lengths[k];
    const float* expect = fixture_.data("logits_seq" + std::to_string(k));
    KvCache cache = model_->make_cache(DType::kF32);
    const int32_t s = cache.add_sequence();
    Batch b;
    for (int64_t i = 0; i < p; ++i) b.add(seq[size_t(i)], s, i, i == p - 1);
    ForwardOutputs out;
    model_->forward(ctx_, b, cache, out);
    EXPECT_LT(max_abs_diff(out.logits.data(), expect + (p - 1) * V, V), kParityAtol);
    for (int64_t i = p; i < int64_t(seq.size()); ++i) {
      b.clear();
      b.add(seq[size_t(i)], s, i, true);
      model_->forward(ctx_, b, cache, out);
      EXPECT_LT(max_abs_diff(out.logits.data(), expect + i * V, V), kParityAtol) << "位置 " << i;
    }
  }
}

// 链式起草（docs/spec.md §4.4）：第 1 个草稿来自位置 0..n-1 的一次 MTP 前向（输入 t_{i+1}、主模型隐状态 h_i）；
// 第 d 个草稿在位置 n+d-2 输入第 d-1 个草稿与上一步最后位置的 MTP 输出（shared_head.norm 之前）。
TEST_P(BundledParity, MtpLogitsAndChainedDrafts) {
  MtpPredictor mtp(*model_, GetParam());
  const int64_t V = model_->config().vocab_size, D = model_->config().hidden_size;
  for (size_t k = 0; k < fixture_.sequences.size(); ++k) {
    const std::string sk = "_seq" + std::to_string(k);
    const int64_t n = int64_t(fixture_.sequences[k].size());
    KvCache cache = model_->make_cache(DType::kF32);
    ForwardOutputs main_out;
    prefill(k, cache, cache.add_sequence(), main_out);
    ASSERT_EQ(fixture_.mtp_input_ids[k].back(), argmax(main_out.logits_row(n - 1), V));

    KvCache mc = mtp.make_cache(DType::kF32);
    const int32_t ms = mc.add_sequence();
    Batch b;
    for (int64_t i = 0; i < n; ++i) b.add(fixture_.mtp_input_ids[k][size_t(i)], ms, i, true);
    std::vector<float> hidden_out(size_t(n * D));
    ForwardOutputs out;
    mtp.forward(ctx_, 0, b, main_out.hidden.data(), mc, out, hidden_out.data());
    EXPECT_LT(max_abs_diff(out.logits.data(), fixture_.data("mtp_logits_nozero" + sk), n * V), kParityAtol);

    const auto& drafts = fixture_.mtp_draft_ids_nozero[k];
    int32_t draft = argmax(out.logits_row(n - 1), V);
    EXPECT_EQ(draft, drafts[0]);
    std::vector<float> h(hidden_out.end() - D, hidden_out.end());
    std::vector<float> next(static_cast<size_t>(D));
    for (int64_t d = 2; d <= int64_t(drafts.size()); ++d) {
      b.clear();
      b.add(draft, ms, n + d - 2, true);
      mtp.forward(ctx_, 0, b, h.data(), mc, out, next.data());
      const std::string name = "mtp_logits_nozero_depth" + std::to_string(d) + sk;
      EXPECT_LT(max_abs_diff(out.logits.data(), fixture_.data(name), V), kParityAtol) << name;
      draft = argmax(out.logits.data(), V);
      EXPECT_EQ(draft, drafts[size_t(d - 1)]) << "深度 " << d;
      h = next;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, BundledParity, testing::Values(MlaMode::kLatent, MlaMode::kExpanded),
                         [](const testing::TestParamInfo<MlaMode>& i) {
                           return std::string(i.param == MlaMode::kLatent ? "latent" : "expanded");
                         });

}  // namespace
}  // namespace dsinfer
