// 命令行的端到端行为：输出格式、确定性、与参考夹具一致、配置文件与参数覆盖、参数错误。
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/cli.h"
#include "formats/npy.h"
#include "parity/fixture.h"

namespace dsinfer {
namespace {

using nlohmann::json;
using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::ScratchDir;
using testing_support::write_text;

const std::string kData = DSINFER_TEST_DATA_DIR;
const std::string kV3 = kData + "/reference/v3-tiny";

std::vector<int32_t> parse_ids(const std::string& line) {
  std::vector<int32_t> ids;
  std::stringstream ss(line);
  std::string item;
  while (std::getline(ss, item, ',')) ids.push_back(std::stoi(item));
  return ids;
}

std::string join(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

TEST(Cli, UsageAndUnknownCommand) {
  CliResult r = run_cli("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("logits"), std::string::npos);
  r = run_cli("");
  EXPECT_EQ(r.code, 2);
  r = run_cli("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("未知子命令 'frobnicate'"), std::string::npos);
  r = run_cli("version");
  EXPECT_EQ(r.code, 0);
  r = run_cli("run --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--mla-mode"), std::string::npos);
}

// 贪心生成的每个 token 都等于“提示 + 已生成部分”在最后位置的 logits 的 argmax。
TEST(Cli, GreedyRunIsArgmaxOfLogits) {
  CliResult r = run_cli("run -m " + kV3 + " --ids 5,6,7 -n 6 --ignore-eos");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto gen = parse_ids(r.out);
  ASSERT_EQ(gen.size(), 6u);
  std::vector<int32_t> all = {5, 6, 7};
  all.insert(all.end(), gen.begin(), gen.end() - 1);
  ScratchDir d;
  r = run_cli("logits -m " + kV3 + " --ids " + join(all) + " -o " + d.file("l.npy"));
  ASSERT_EQ(r.code, 0) << r.err;
  const NpyArray a = read_npy(d.file("l.npy"));
  const int64_t V = a.shape[1];
  for (size_t i = 0; i < gen.size(); ++i) {
    const float* row = a.data.data() + (2 + i) * size_t(V);
    EXPECT_EQ(int32_t(std::max_element(row, row + V) - row), gen[i]) << i;
  }
}

TEST(Cli, SamplingIsDeterministicPerSeedAndBatched) {
  const std::string base = "run -m " + kV3 + " --ids 5,6,7 -n 12 --temp 1.0 --top-k 50 --top-p 0.9 --ignore-eos";
  const CliResult a = run_cli(base + " --seed 3"), b = run_cli(base + " --seed 3"), c = run_cli(base + " --seed 4");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
  // --batch 2：第一条与单独运行（同种子）相同，第二条与种子 +1 的单独运行相同
  const CliResult batched = run_cli(base + " --seed 3 --batch 2");
  ASSERT_EQ(batched.code, 0) << batched.err;
  EXPECT_EQ(batched.out, a.out + c.out);
}

TEST(Cli, LogitsMatchReferenceInBothModesWithDecodeFrom) {
  const auto f = testing_support::load_fixture(kV3);
  const auto& seq = f.sequences[1];
  const int64_t p = f.decode_prefill_lengths[1], n = int64_t(seq.size());
  for (const std::string mode : {"latent", "expanded"}) {
    ScratchDir d;
    CliResult r = run_cli("logits -m " + kV3 + " --ids " + join(seq) + " -o " + d.file("l.npy") + " --mla-mode " +
                          mode + " --decode-from " + std::to_string(p) + " --hidden-out " + d.file("h.npy"));
    ASSERT_EQ(r.code, 0) << r.err;
    const NpyArray l = read_npy(d.file("l.npy")), h = read_npy(d.file("h.npy"));
    ASSERT_EQ(l.shape, (std::vector<int64_t>{n, 512}));
    ASSERT_EQ(h.shape, (std::vector<int64_t>{n, 64}));
    EXPECT_LT(testing_support::max_abs_diff(l.data.data(), f.data("logits_seq1"), n * 512), 1e-4) << mode;
    EXPECT_LT(
        testing_support::max_abs_diff(l.data.data() + (p - 1) * 512, f.data("decode_logits_seq1"), (n - p + 1) * 512),
        1e-4)
        << mode;
    EXPECT_LT(testing_support::max_abs_diff(h.data.data(), f.data("hidden_seq1"), n * 64), 1e-4) << mode;
  }
}

TEST(Cli, MtpLogitsMatchReferenceNoZeroVariant) {
  const auto f = testing_support::load_fixture(kV3);
  const auto& seq = f.sequences[1];
  const int64_t n = int64_t(seq.size());
  for (const std::string extra : {"", " --decode-from 40 --mla-mode expanded"}) {
    ScratchDir d;
    CliResult r = run_cli("logits -m " + kV3 + " --ids " + join(seq) + " -o " + d.file("l.npy") + " --mtp-out " +
                          d.file("m.npy") + extra);
    ASSERT_EQ(r.code, 0) << r.err;
    const NpyArray m = read_npy(d.file("m.npy"));
    ASSERT_EQ(m.shape, (std::vector<int64_t>{n, 512}));
    EXPECT_LT(testing_support::max_abs_diff(m.data.data(), f.data("mtp_logits_nozero_seq1"), n * 512), 1e-4) << extra;
  }
  const CliResult no_mtp =
      run_cli("logits -m " + kData + "/reference/v2-tiny --ids 1,2 -o /tmp/x.npy --mtp-out /tmp/y.npy");
  EXPECT_EQ(no_mtp.code, 6);
  EXPECT_NE(no_mtp.err.find("num_nextn_predict_layers"), std::string::npos) << no_mtp.err;
}

TEST(Cli, InfoOnRealV2LiteConfigShowsLatentCacheUnderTwelvePercent) {
  const CliResult r = run_cli("info -m " + kData + "/configs/deepseek-v2-lite --ctx 8192 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["architecture"], "DeepseekV2ForCausalLM");
  const int64_t lat = j["kv_bytes_at_ctx"]["latent"], exp = j["kv_bytes_at_ctx"]["expanded"];
  // 576 / 5120 per token per layer = 11.25%
  EXPECT_EQ(lat * 5120, exp * 576);
  EXPECT_LE(double(lat) / double(exp), 0.12);
  EXPECT_EQ(j["params_total"].get<int64_t>() / 100000000, 157);  // 15.7B
  EXPECT_EQ(j["weight_bytes_source"], "estimate");
  const CliResult text = run_cli("info -m " + kData + "/configs/deepseek-v2-lite --ctx 8192");
  EXPECT_NE(text.out.find("latent/expanded = 11.25%"), std::string::npos) << text.out;
}

TEST(Cli, InfoKvBudgetGivesLongerLatentContext) {
  const CliResult r = run_cli("info -m " + kData + "/configs/deepseek-v2-lite --kv-budget 1073741824 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  const int64_t lat = j["max_context_for_budget"]["latent"], exp = j["max_context_for_budget"]["expanded"];
  EXPECT_GE(lat, 2 * exp);
  EXPECT_GT(exp, 0);
}

TEST(Cli, StatsJsonAndConfigFileWithOverrides) {
  ScratchDir d;
  write_text(d.file("opt.toml"),
             "mla_mode = \"expanded\"\nkv_dtype = \"bf16\"\nthreads = 1\n[mtp]\ndraft_tokens = 3\n");
  CliResult r = run_cli("info -m " + kV3 + " --config " + d.file("opt.toml") + " --kv-dtype f32 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["optimization"]["mla_mode"], "expanded");
  EXPECT_EQ(j["optimization"]["kv_dtype"], "f32");  // 命令行覆盖文件
  EXPECT_EQ(j["optimization"]["mtp.draft_tokens"], "3");
  r = run_cli("run -m " + kV3 + " --ids 1,2 -n 3 --config " + d.file("opt.toml") + " --stats --stats-json " +
              d.file("s.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("attention"), std::string::npos);
  j = json::parse(testing_support::read_file(d.file("s.json")));
  EXPECT_EQ(j["prefill_tokens"], 2);
  EXPECT_GT(j["decode_tps"].get<double>(), 0.0);
  EXPECT_GT(j["kv_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["weight_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["phases"]["moe"]["calls"].get<int64_t>(), 0);
}

TEST(Cli, BenchMtpGenerationModeAndTextReport) {
  CliResult r = run_cli("bench -m " + kV3 + " -p 8 -n 24 --batch 2 --mtp 3 --oracle-drafts --reps 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["decode_mode"], "generate");
  EXPECT_EQ(j["mtp_draft_tokens"], 3);
  EXPECT_TRUE(j["oracle_drafts"].get<bool>());
  EXPECT_EQ(j["mtp_acceptance_by_depth"].size(), 3u);
  EXPECT_GT(j["mtp_mean_accepted"].get<double>(), 2.0);  // 神谕草稿几乎全被接受
  r = run_cli("bench -m " + kV3 + " -p 8 -n 8 --reps 1 --mtp 0 --bandwidth --bandwidth-mib 16");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* s : {"预填充 pp8", "解码 tg8", "读带宽", "每 token 权重", "峰值常驻内存"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  r = run_cli("bench -m " + kV3 + " -p 4 -n 4 --reps 1 --ctx 20 --mtp 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("MTP:"), std::string::npos) << r.out;
  r = run_cli("bench --bandwidth --bandwidth-mib 16");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("读带宽"), std::string::npos);
  EXPECT_EQ(run_cli("bench -p 4").code, 2);  // 缺少 --model
  EXPECT_EQ(run_cli("bench -m " + kV3 + " --reps 0").code, 2);
  EXPECT_EQ(run_cli("bench --bandwidth --bandwidth-mib 0").code, 2);
}

TEST(Cli, ConfigErrorsNameTheKey) {
  ScratchDir d;
  write_text(d.file("bad.toml"), "mla_mode = \"compressed\"\n");
  CliResult r = run_cli("info -m " + kV3 + " --config " + d.file("bad.toml"));
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("mla_mode"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("compressed"), std::string::npos) << r.err;
  write_text(d.file("bad.toml"), "warp_speed = 9\n");
  r = run_cli("info -m " + kV3 + " --config " + d.file("bad.toml"));
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("未知配置项 'warp_speed'"), std::string::npos) << r.err;
  write_text(d.file("bad.toml"), "threads = \"two\"\n");
  r = run_cli("info -m " + kV3 + " --config " + d.file("bad.toml"));
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("threads"), std::string::npos) << r.err;
  write_text(d.file("bad.toml"), "threads = [\n");
  r = run_cli("info -m " + kV3 + " --config " + d.file("bad.toml"));
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("TOML"), std::string::npos) << r.err;
  r = run_cli("run -m " + kV3 + " --ids 1 --kv-dtype f8");
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("kv_dtype"), std::string::npos) << r.err;
  r = run_cli("run -m " + kV3 + " --ids 1 --config /nonexistent/x.toml");
  EXPECT_EQ(r.code, 3);
}

TEST(Cli, BadArgumentsAreRejectedWithTheFlagNamed) {
  struct Bad {
    std::string args, expect;
  };
  for (const Bad& b : std::vector<Bad>{
           {"run -m " + kV3, "--ids、-p、-f 必须且只能给一个"},
           {"run -m " + kV3 + " --ids 1,x", "--ids"},
           {"run -m " + kV3 + " --ids 1 -n", "缺少取值"},
           {"run -m " + kV3 + " --ids 1 --bogus", "未知参数 '--bogus'"},
           {"run -m " + kV3 + " --ids 1 --temp -1", "温度"},
           {"run -m " + kV3 + " --ids 1 --top-p 0", "top-p"},
           {"run -m " + kV3 + " --ids 1 -n -5", "-n"},
           {"run -m " + kV3 + " --ids 600", "超出词表范围"},
           {"run -m " + kV3 + " --ids 1 --stats=yes", "不接受取值"},
           {"logits -m " + kV3 + " --ids 1,2 -o /tmp/x.npy --decode-from 3", "--decode-from"},
           {"logits -m " + kV3 + " --ids 1,2 -o /nonexistent/dir/x.npy", "/nonexistent/dir/x.npy"},
           {"info -m " + kV3 + " --ctx -1", "--ctx"},
       }) {
    const CliResult r = run_cli(b.args);
    EXPECT_NE(r.code, 0) << b.args;
    EXPECT_LT(r.code, 128) << b.args;
    EXPECT_NE(r.err.find(b.expect), std::string::npos) << b.args << " → " << r.err;
  }
}

TEST(Cli, ForcedIsaPathsGiveIdenticalGreedyTokens) {
  const std::string base = "run -m " + kData + "/reference/v3-tiny-bf16 --ids 5,6,7,8 -n 10 --ignore-eos";
  const CliResult ref = run_cli(base + " --isa scalar --threads 1");
  ASSERT_EQ(ref.code, 0) << ref.err;
  for (const std::string isa : {"avx2", "avx512"})
    for (const std::string t : {"1", "2"}) {
      const CliResult r = run_cli(base + " --isa " + isa + " --threads " + t);
      if (r.code == 6) continue;  // 本机不支持该路径
      EXPECT_EQ(r.out, ref.out) << isa << " threads=" << t;
    }
}

}  // namespace
}  // namespace dsinfer
