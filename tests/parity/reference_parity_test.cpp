// 与官方 DeepSeek-V3 参考实现（tests/data/reference）的逐位置 logits 一致性：
// 全量预填充、预填充 + 逐 token 解码、最终隐状态，两种 MLA 模式，atol 1e-4。
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "core/error.h"

#include "kernels/kernels.h"
#include "model/deepseek_model.h"
#include "model/mtp_predictor.h"
#include "parity/fixture.h"

namespace dsinfer {
namespace {

using testing_support::Fixture;
using testing_support::kParityAtol;
using testing_support::load_fixture;
using testing_support::max_abs_diff;

struct Case {
  std::string fixture;
  MlaMode mode;
};

std::string case_name(const testing::TestParamInfo<Case>& i) {
  std::string n = i.param.fixture + (i.param.mode == MlaMode::kLatent ? "_latent" : "_expanded");
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

class ReferenceParity : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    dir_ = std::string(DSINFER_TEST_DATA_DIR) + "/reference/" + GetParam().fixture;
    fixture_ = load_fixture(dir_);
    model_ = std::make_unique<DeepseekModel>(dir_, ModelOptions{GetParam().mode, LoadMode::kMmap});
  }
  std::string dir_;
  Fixture fixture_;
  std::unique_ptr<DeepseekModel> model_;
  ThreadPool pool_{2};
};

TEST_P(ReferenceParity, FullPrefillLogitsAndHidden) {
  ForwardContext ctx{kernels::KernelContext(pool_), nullptr};
  const int64_t V = model_->config().vocab_size, D = model_->config().hidden_size;
  for (size_t k = 0; k < fixture_.sequences.size(); ++k) {
    const auto& seq = fixture_.sequences[k];
    KvCache cache = model_->make_cache(DType::kF32);
    const int32_t s = cache.add_sequence();
    Batch b;
    for (size_t i = 0; i < seq.size(); ++i) b.add(seq[i], s, int64_t(i), true);
    ForwardOutputs out;
    model_->forward(ctx, b, cache, out);
    const int64_t n = int64_t(seq.size());
    ASSERT_EQ(out.n_out, n);
    EXPECT_LT(max_abs_diff(out.logits.data(), fixture_.data("logits_seq" + std::to_string(k)), n * V), kParityAtol);
    EXPECT_LT(max_abs_diff(out.hidden.data(), fixture_.data("hidden_seq" + std::to_string(k)), n * D), kParityAtol);
  }
}

TEST_P(ReferenceParity, IncrementalDecodeLogits) {
  ForwardContext ctx{kernels::KernelContext(pool_), nullptr};
  const int64_t V = model_->config().vocab_size;
  for (size_t k = 0; k < fixture_.sequences.size(); ++k) {
    const auto& seq = fixture_.sequences[k];
    const int64_t p = fixture_.decode_prefill_lengths[k], n = int64_t(seq.size());
    const float* expect = fixture_.data("decode_logits_seq" + std::to_string(k));
    KvCache cache = model_->make_cache(DType::kF32);
    const int32_t s = cache.add_sequence();
    Batch b;
    for (int64_t i = 0; i < p; ++i) b.add(seq[size_t(i)], s, i, i == p - 1);
    ForwardOutputs out;
    model_->forward(ctx, b, cache, out);
    EXPECT_LT(max_abs_diff(out.logits.data(), expect, V), kParityAtol) << "预填充最后一行";
    for (int64_t i = p; i < n; ++i) {
      b.clear();
      b.add(seq[size_t(i)], s, i, true);
      model_->forward(ctx, b, cache, out);
      EXPECT_LT(max_abs_diff(out.logits.data(), expect + (i - p + 1) * V, V), kParityAtol) << "位置 " << i;
    }
    EXPECT_EQ(cache.length(s), n);
  }
}

// 两条不同长度的序列在一次前向中（交错排列）与分别单独运行的 logits 一致。
TEST_P(ReferenceParity, BatchOfTwoSequencesEqualsSeparateRuns) {
  ForwardContext ctx{kernels::KernelContext(pool_), nullptr};
  const int64_t V = model_->config().vocab_size;
  KvCache cache = model_->make_cache(DType::kF32);
  const int32_t s0 = cache.add_sequence(), s1 = cache.add_sequence();
  const auto& a = fixture_.sequences[0];
  const auto& c = fixture_.sequences[1];
  Batch b;
  for (size_t i = 0; i < std::max(a.size(), c.size()); ++i) {
    if (i < c.size()) b.add(c[i], s1, int64_t(i), true);
    if (i < a.size()) b.add(a[i], s0, int64_t(i), true);
  }
  ForwardOutputs out;
  model_->forward(ctx, b, cache, out);
  int64_t row = 0;
  for (size_t i = 0; i < std::max(a.size(), c.size()); ++i) {
    if (i < c.size()) {
      EXPECT_LT(max_abs_diff(out.logits_row(row++), fixture_.data("logits_seq1") + int64_t(i) * V, V), kParityAtol);
    }
    if (i < a.size()) {
      EXPECT_LT(max_abs_diff(out.logits_row(row++), fixture_.data("logits_seq0") + int64_t(i) * V, V), kParityAtol);
    }
  }
  // 接着在同一批中为两条序列各解码一个 token（不同位置）
  b.clear();
  b.add(7, s0, int64_t(a.size()), true);
  b.add(9, s1, int64_t(c.size()), true);
  model_->forward(ctx, b, cache, out);
  for (int which = 0; which < 2; ++which) {
    std::vector<int32_t> seq = which == 0 ? a : c;
    seq.push_back(which == 0 ? 7 : 9);
    KvCache single = model_->make_cache(DType::kF32);
    const int32_t s = single.add_sequence();
    Batch sb;
    for (size_t i = 0; i < seq.size(); ++i) sb.add(seq[i], s, int64_t(i), i + 1 == seq.size());
    ForwardOutputs so;
    model_->forward(ctx, sb, single, so);
    EXPECT_LT(max_abs_diff(out.logits_row(which), so.logits.data(), V), kParityAtol) << "序列 " << which;
  }
}

// MTP（NextN）模块：位置 i 输入 token i+1（最后一个位置输入主模型 logits 的 argmax）与主模型的
// 最终隐状态 h_i。与夹具的 mtp_logits_nozero_seq*（位置 0 不置零，SGLang 语义）比较；
// 同时检查逐位置增量计算（经 MTP 自己的 KV 缓存）与一次性计算一致。
class MtpParity : public testing::TestWithParam<Case> {};

TEST_P(MtpParity, LogitsMatchReferenceNoZeroVariant) {
  const std::string dir = std::string(DSINFER_TEST_DATA_DIR) + "/reference/" + GetParam().fixture;
  const Fixture f = load_fixture(dir);
  DeepseekModel model(dir, ModelOptions{GetParam().mode, LoadMode::kMmap});
  MtpPredictor mtp(model, GetParam().mode);
  ASSERT_EQ(mtp.n_modules(), 1);
  ThreadPool pool(2);
  ForwardContext ctx{kernels::KernelContext(pool), nullptr};
  const int64_t V = model.config().vocab_size, D = model.config().hidden_size;
  for (size_t k = 0; k < f.sequences.size(); ++k) {
    const auto& seq = f.sequences[k];
    const int64_t n = int64_t(seq.size());
    KvCache cache = model.make_cache(DType::kF32);
    const int32_t s = cache.add_sequence();
    Batch b;
    for (int64_t i = 0; i < n; ++i) b.add(seq[size_t(i)], s, i, true);
    ForwardOutputs main_out;
    model.forward(ctx, b, cache, main_out);
    // 一次性
    KvCache mc = mtp.make_cache(DType::kF32);
    const int32_t ms = mc.add_sequence();
    Batch mb;
    for (int64_t i = 0; i < n; ++i) mb.add(f.mtp_input_ids[k][size_t(i)], ms, i, true);
    ForwardOutputs out;
    std::vector<float> hidden_out(static_cast<size_t>(n * D));
    mtp.forward(ctx, 0, mb, main_out.hidden.data(), mc, out, hidden_out.data());
    const float* expect = f.data("mtp_logits_nozero_seq" + std::to_string(k));
    EXPECT_LT(max_abs_diff(out.logits.data(), expect, n * V), kParityAtol);
    // 最后一个位置的输入是主模型 logits 的 argmax
    EXPECT_EQ(f.mtp_input_ids[k].back(),
              int32_t(std::max_element(main_out.logits_row(n - 1), main_out.logits_row(n - 1) + V) -
                      main_out.logits_row(n - 1)));
    // 增量：逐个位置
    KvCache mc2 = mtp.make_cache(DType::kF32);
    const int32_t ms2 = mc2.add_sequence();
    for (int64_t i = 0; i < n; ++i) {
      Batch one;
      one.add(f.mtp_input_ids[k][size_t(i)], ms2, i, true);
      mtp.forward(ctx, 0, one, main_out.hidden.data() + i * D, mc2, out, nullptr);
      EXPECT_LT(max_abs_diff(out.logits.data(), expect + i * V, V), kParityAtol) << "位置 " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MtpParity,
                         testing::Values(Case{"v3-tiny", MlaMode::kLatent}, Case{"v3-tiny", MlaMode::kExpanded},
                                         Case{"v3-tiny-bf16", MlaMode::kLatent},
                                         Case{"v3-tiny-bf16", MlaMode::kExpanded}),
                         case_name);

TEST(MtpPredictor, RejectsModelsWithoutNextNLayers) {
  const std::string dir = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v2-tiny";
  DeepseekModel model(dir, ModelOptions{});
  EXPECT_THROW(MtpPredictor(model, MlaMode::kLatent), Error);
}

// matmul_precision = bf16（解码的点积把激活舍入成 BF16）：逐 token 解码的 logits 离参考值仍在 BF16 舍入的量级内，
// 各位置的 argmax（贪心 token）不变。
TEST(Bf16Precision, DecodeLogitsStayCloseToReference) {
  const std::string dir = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny-bf16";
  const Fixture fx = load_fixture(dir);
  DeepseekModel m(dir, ModelOptions{MlaMode::kLatent, LoadMode::kMmap});
  ThreadPool pool(2);
  kernels::KernelOptions bf16;
  bf16.precision = kernels::MatmulPrecision::kBf16;
  ForwardContext ctx{kernels::KernelContext(pool, bf16), nullptr};
  const int64_t V = m.config().vocab_size;
  double worst = 0;
  for (size_t k = 0; k < fx.sequences.size(); ++k) {
    const auto& seq = fx.sequences[k];
    const int64_t p = fx.decode_prefill_lengths[k], n = int64_t(seq.size());
    const float* expect = fx.data("decode_logits_seq" + std::to_string(k));
    KvCache cache = m.make_cache(DType::kF32);
    const int32_t s = cache.add_sequence();
    Batch b;
    for (int64_t i = 0; i < p; ++i) b.add(seq[size_t(i)], s, i, false);
    ForwardOutputs out;
    m.forward(ctx, b, cache, out);
    for (int64_t i = p; i < n; ++i) {
      b.clear();
      b.add(seq[size_t(i)], s, i, true);
      m.forward(ctx, b, cache, out);
      const float* e = expect + (i - p + 1) * V;
      worst = std::max(worst, max_abs_diff(out.logits.data(), e, V));
      EXPECT_EQ(std::max_element(out.logits.data(), out.logits.data() + V) - out.logits.data(),
                std::max_element(e, e + V) - e)
          << "位置 " << i;
    }
  }
  RecordProperty("max_abs_diff", std::to_string(worst));
  EXPECT_LT(worst, 1e-1);
  EXPECT_GT(worst, kParityAtol) << "bf16 激活的舍入应当可见；否则没有走 BF16 点积";
}

// 长上下文（超过分块注意力的阈值）：逐 token 解码与整段预填充一致，且 latent 与 expanded 一致。
// 这覆盖了预填充的分块 GEMM 注意力、latent 长上下文解码的按键块切分路径与逐 token 内核的相互校验。
TEST(LongContext, DecodeEqualsPrefillAndModesAgree) {
  const std::string dir = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";
  ThreadPool pool(2);
  ForwardContext ctx{kernels::KernelContext(pool), nullptr};
  std::vector<int32_t> tokens;
  for (int i = 0; i < 300; ++i) tokens.push_back(int32_t((i * 131 + 7) % 512));
  std::vector<std::vector<float>> results;
  for (MlaMode mode : {MlaMode::kLatent, MlaMode::kExpanded}) {
    DeepseekModel m(dir, ModelOptions{mode, LoadMode::kMmap});
    const int64_t V = m.config().vocab_size;
    // 整段预填充，取最后 20 个位置的 logits
    KvCache full = m.make_cache(DType::kF32);
    const int32_t s = full.add_sequence();
    Batch b;
    for (size_t i = 0; i < tokens.size(); ++i) b.add(tokens[i], s, int64_t(i), i >= 280);
    ForwardOutputs out;
    m.forward(ctx, b, full, out);
    std::vector<float> prefill(out.logits.data(), out.logits.data() + 20 * V);
    // 预填充 280 个，再逐个解码 20 个
    KvCache inc = m.make_cache(DType::kF32);
    const int32_t s2 = inc.add_sequence();
    b.clear();
    for (size_t i = 0; i < 280; ++i) b.add(tokens[i], s2, int64_t(i), false);
    m.forward(ctx, b, inc, out);
    std::vector<float> decode;
    for (size_t i = 280; i < 300; ++i) {
      b.clear();
      b.add(tokens[i], s2, int64_t(i), true);
      m.forward(ctx, b, inc, out);
      decode.insert(decode.end(), out.logits.data(), out.logits.data() + V);
    }
    EXPECT_LT(max_abs_diff(prefill.data(), decode.data(), 20 * V), kParityAtol) << int(mode);
    results.push_back(decode);
  }
  EXPECT_LT(max_abs_diff(results[0].data(), results[1].data(), int64_t(results[0].size())), kParityAtol);
}

// latent 模式的混合批次：一段长预填充（按 expanded 方式解压计算）夹在两个单 token 解码（吸收路径）之间，
// 外加一段接在已有上下文后的分块预填充；每个输出与各自单独计算时一致。
TEST(LongContext, MixedLatentBatchMatchesSeparateForwards) {
  const std::string dir = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny";
  ThreadPool pool(2);
  ForwardContext ctx{kernels::KernelContext(pool), nullptr};
  DeepseekModel m(dir, ModelOptions{MlaMode::kLatent, LoadMode::kMmap});
  const int64_t V = m.config().vocab_size;
  auto tok = [](int i, int seed) { return int32_t((i * 97 + seed * 31 + 5) % 512); };
  // 各序列先有的上下文长度与本步的 token 数：B、D 解码 1 个；A 从 0 预填充 40 个；C 在 30 个之后再预填充 20 个
  struct Part {
    int seed;
    int64_t ctx, n;
  };
  const std::vector<Part> parts = {{1, 12, 1}, {2, 0, 40}, {3, 30, 20}, {4, 9, 1}};
  auto run = [&](const std::vector<size_t>& which, KvCache& cache, std::vector<int32_t>& ids) {
    Batch b;
    ForwardOutputs out;
    for (size_t w : which) {  // 先把已有上下文填进缓存（每条序列单独一次前向）
      ids[w] = cache.add_sequence();
      if (parts[w].ctx == 0) continue;
      b.clear();
      for (int64_t i = 0; i < parts[w].ctx; ++i) b.add(tok(int(i), parts[w].seed), ids[w], i, false);
      m.forward(ctx, b, cache, out);
    }
    b.clear();
    for (size_t w : which)
      for (int64_t i = parts[w].ctx; i < parts[w].ctx + parts[w].n; ++i)
        b.add(tok(int(i), parts[w].seed), ids[w], i, true);
    m.forward(ctx, b, cache, out);
    return std::vector<float>(out.logits.data(), out.logits.data() + out.n_out * V);
  };
  KvCache mixed_cache = m.make_cache(DType::kF32);
  std::vector<int32_t> ids(parts.size());
  const std::vector<float> mixed = run({0, 1, 2, 3}, mixed_cache, ids);
  int64_t row = 0;
  for (size_t w = 0; w < parts.size(); ++w) {
    KvCache alone_cache = m.make_cache(DType::kF32);
    std::vector<int32_t> alone_ids(parts.size());
    const std::vector<float> alone = run({w}, alone_cache, alone_ids);
    EXPECT_LT(max_abs_diff(mixed.data() + row * V, alone.data(), parts[w].n * V), kParityAtol) << "序列 " << w;
    row += parts[w].n;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceParity,
                         testing::Values(Case{"v2lite-tiny", MlaMode::kLatent}, Case{"v2lite-tiny", MlaMode::kExpanded},
                                         Case{"v2-tiny", MlaMode::kLatent}, Case{"v2-tiny", MlaMode::kExpanded},
                                         Case{"v3-tiny", MlaMode::kLatent}, Case{"v3-tiny", MlaMode::kExpanded},
                                         Case{"v3-tiny-bf16", MlaMode::kLatent},
                                         Case{"v3-tiny-bf16", MlaMode::kExpanded}),
                         case_name);

}  // namespace
}  // namespace dsinfer
