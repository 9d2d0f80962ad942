#include "config/optimization_config.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace dsinfer {
namespace {

TEST(OptimizationConfig, DefaultsSetAndFlagNames) {
  OptimizationConfig c;
  EXPECT_EQ(c.mla_mode, MlaMode::kLatent);
  c.set("mla_mode", "expanded");
  c.set("kv_dtype", "bf16");
  c.set("threads", "3");
  c.set("load_mode", "read");
  c.set("isa", "scalar");
  c.set("mtp.enabled", "true");
  c.set("mtp.draft_tokens", "4");
  c.set("mtp.adaptive", "on");
  EXPECT_EQ(c.mla_mode, MlaMode::kExpanded);
  EXPECT_EQ(c.kv_dtype, DType::kBF16);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.load_mode, LoadMode::kRead);
  EXPECT_TRUE(c.mtp.enabled && c.mtp.adaptive);
  EXPECT_EQ(c.mtp.draft_tokens, 4);
  EXPECT_EQ(OptimizationConfig::flag_name("mtp.draft_tokens"), "--mtp-draft-tokens");
  const std::string t = c.to_toml();
  EXPECT_NE(t.find("mla_mode = \"expanded\""), std::string::npos);
  EXPECT_NE(t.find("[mtp]\nenabled = true"), std::string::npos);
  // to_toml 的输出可以原样读回
  OptimizationConfig d;
  d.load_toml_text(t, "roundtrip");
  EXPECT_EQ(d.to_toml(), t);
}

TEST(OptimizationConfig, RejectsBadValuesNamingTheKey) {
  OptimizationConfig c;
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{{"mla_mode", "x"},
                                                                      {"kv_dtype", "f8"},
                                                                      {"threads", "-1"},
                                                                      {"threads", "2x"},
                                                                      {"max_batch", "0"},
                                                                      {"kv_block_size", "abc"},
                                                                      {"load_mode", "disk"},
                                                                      {"isa", "neon"},
                                                                      {"mtp.enabled", "maybe"},
                                                                      {"mtp.draft_tokens", "9"},
                                                                      {"prefetch_bytes", "-1"},
                                                                      {"prefetch_bytes", "65537"}}) {
    try {
      c.set(k, v);
      ADD_FAILURE() << k << "=" << v;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig);
      EXPECT_NE(std::string(e.what()).find(k), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(c.set("nope", "1"), Error);
}

// 声明了 env 的配置项可由环境变量设置（按同样的校验）；非法取值的错误点名环境变量
TEST(OptimizationConfig, EnvironmentOverridesDeclaredKeys) {
  const std::map<std::string, std::string> env = {
      {"DSINFER_ISA", "scalar"}, {"DSINFER_PREFETCH_BYTES", "2048"}, {"DSINFER_THREADS", "7"}};
  const auto lookup = [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  OptimizationConfig c;
  EXPECT_EQ(c.prefetch_bytes, 0);  // 0：按 CPU 微架构查表取默认值
  c.load_environment(lookup);
  EXPECT_EQ(c.isa, "scalar");
  EXPECT_EQ(c.prefetch_bytes, 2048);
  EXPECT_EQ(c.threads, 0);  // threads 没有声明环境变量
  std::vector<std::string> with_env;
  for (const auto& k : OptimizationConfig::keys())
    if (!k.env.empty()) with_env.push_back(k.name);
  EXPECT_EQ(with_env, (std::vector<std::string>{"isa", "prefetch_bytes"}));
  try {
    c.load_environment(
        [](const char* name) { return std::string(name) == "DSINFER_PREFETCH_BYTES" ? "lots" : nullptr; });
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConfig);
    EXPECT_NE(std::string(e.what()).find("DSINFER_PREFETCH_BYTES"), std::string::npos) << e.what();
  }
}

TEST(OptimizationConfig, TomlTypesAreChecked) {
  OptimizationConfig c;
  EXPECT_THROW(c.load_toml_text("threads = \"4\"", "f.toml"), Error);
  EXPECT_THROW(c.load_toml_text("[mtp]\nenabled = 1", "f.toml"), Error);
  EXPECT_THROW(c.load_toml_text("[mtp]\nfoo = 1", "f.toml"), Error);
  EXPECT_THROW(c.load_toml_text("mla_mode = 3", "f.toml"), Error);
  c.load_toml_text("max_batch = 8\n[mtp]\nadaptive = true\n", "f.toml");
  EXPECT_EQ(c.max_batch, 8);
  EXPECT_TRUE(c.mtp.adaptive);
}

TEST(OptimizationConfig, MemoryBudgetAcceptsBinarySuffixes) {
  EXPECT_EQ(parse_byte_size("1048576", "x"), 1048576u);
  EXPECT_EQ(parse_byte_size("512K", "x"), 512u << 10);
  EXPECT_EQ(parse_byte_size("12G", "x"), uint64_t(12) << 30);
  EXPECT_EQ(parse_byte_size("1t", "x"), uint64_t(1) << 40);
  for (const char* bad : {"", "G", "12X", "-1G", "1.5G", "99999999999T"}) {
    try {
      parse_byte_size(bad, "memory.budget_bytes");
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kConfig);
      EXPECT_NE(std::string(e.what()).find("memory.budget_bytes"), std::string::npos) << e.what();
    }
  }
  OptimizationConfig c;
  c.load_toml_text("[memory]\nbudget_bytes = 8589934592\n", "f.toml");
  EXPECT_EQ(c.memory.budget_bytes, uint64_t(8) << 30);
  c.load_toml_text("[memory]\nbudget_bytes = \"12G\"\n[moe]\ncache_policy = \"frequency\"\nprefetch = \"next-layer\"\n",
                   "f.toml");
  EXPECT_EQ(c.memory.budget_bytes, uint64_t(12) << 30);
  EXPECT_EQ(c.moe.cache_policy, "frequency");
  EXPECT_EQ(c.moe.prefetch, "next-layer");
  EXPECT_THROW(c.load_toml_text("[moe]\ncache_policy = \"fifo\"\n", "f.toml"), Error);
  EXPECT_THROW(c.load_toml_text("[moe]\nprefetch = \"all\"\n", "f.toml"), Error);
  // to_toml 的输出可以原样读回
  OptimizationConfig d;
  d.load_toml_text(c.to_toml(), "roundtrip");
  EXPECT_EQ(d.to_toml(), c.to_toml());
  EXPECT_EQ(d.memory.budget_bytes, uint64_t(12) << 30);
}

}  // namespace
}  // namespace dsinfer
