// 每一种损坏输入都得到点名文件 / 张量 / 字段的中文错误与非零退出码，绝不崩溃、绝不越界读取。
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using nlohmann::json;
using testing_support::CliResult;
using testing_support::read_file;
using testing_support::run_cli;
using testing_support::ScratchDir;
using testing_support::write_text;

const std::string kSrc = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v2lite-tiny";
constexpr int kExitIo = 3, kExitFormat = 4, kExitConfig = 5, kExitUnsupported = 6;

struct Safetensors {
  json header;
  std::string data;
};

Safetensors read_st(const std::string& path) {
  const std::string bytes = read_file(path);
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  return {json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

std::string encode_st(const std::string& header, const std::string& data) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

// 复制 v2lite-tiny 到临时目录；可改写 config.json 与 safetensors 头
class Malformed : public testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy_file(kSrc + "/config.json", dir_.file("config.json"));
    st_ = read_st(kSrc + "/model.safetensors");
  }
  void write_model(const std::string& bytes) { write_text(dir_.file("model.safetensors"), bytes); }
  void write_header(const json& h) { write_model(encode_st(h.dump(), st_.data)); }
  CliResult run() { return run_cli("run -m " + dir_.path() + " --ids 1,2,3 -n 2"); }
  void expect_error(const CliResult& r, int code, std::initializer_list<std::string> parts) {
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_NE(r.err.find("错误: "), std::string::npos) << r.err;
    for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "缺少 '" << p << "': " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  ScratchDir dir_;
  Safetensors st_;
};

TEST_F(Malformed, FileShorterThanHeaderLength) {
  write_model("abc");
  expect_error(run(), kExitFormat, {"model.safetensors", "不足 8 字节"});
}

TEST_F(Malformed, HeaderLengthLargerThanFile) {
  std::string bytes = encode_st(st_.header.dump(), st_.data);
  const uint64_t huge = bytes.size() * 10;
  std::memcpy(bytes.data(), &huge, 8);
  write_model(bytes);
  expect_error(run(), kExitFormat, {"model.safetensors", "头长度", "超出文件大小"});
}

TEST_F(Malformed, TruncatedDataRegion) {
  write_model(encode_st(st_.header.dump(), st_.data.substr(0, st_.data.size() / 2)));
  expect_error(run(), kExitFormat, {"model.safetensors", "超出数据区大小"});
}

TEST_F(Malformed, DataOffsetsOutOfRange) {
  auto& t = st_.header["model.norm.weight"];
  const uint64_t end = st_.data.size() + 1000;
  t["data_offsets"] = {end - 256, end};
  write_header(st_.header);
  expect_error(run(), kExitFormat, {"model.norm.weight", "超出数据区大小"});
}

TEST_F(Malformed, OverlappingDataOffsets) {
  // 让 model.norm.weight 与 lm_head.weight 的数据区重叠（字节数不变）
  const auto lm = st_.header["lm_head.weight"]["data_offsets"];
  const uint64_t len = st_.header["model.norm.weight"]["data_offsets"][1].get<uint64_t>() -
                       st_.header["model.norm.weight"]["data_offsets"][0].get<uint64_t>();
  st_.header["model.norm.weight"]["data_offsets"] = {lm[0].get<uint64_t>() + 4, lm[0].get<uint64_t>() + 4 + len};
  write_header(st_.header);
  expect_error(run(), kExitFormat, {"数据区间重叠"});
}

TEST_F(Malformed, UnknownDType) {
  st_.header["model.norm.weight"]["dtype"] = "Q4_K";
  write_header(st_.header);
  expect_error(run(), kExitUnsupported, {"model.norm.weight", "Q4_K", "不受支持"});
}

TEST_F(Malformed, ShapeAndByteCountMismatch) {
  st_.header["model.norm.weight"]["shape"] = {65};
  write_header(st_.header);
  expect_error(run(), kExitFormat, {"model.norm.weight", "字节数", "[65]"});
}

TEST_F(Malformed, MissingTensor) {
  st_.header.erase("model.layers.1.mlp.experts.3.up_proj.weight");
  write_header(st_.header);
  expect_error(run(), kExitFormat, {"缺少张量 model.layers.1.mlp.experts.3.up_proj.weight"});
}

TEST_F(Malformed, WrongTensorShape) {
  // [64, 128] 改成 [128, 64]：字节数相同，文件本身合法，但与 config 不符
  st_.header["model.layers.0.mlp.down_proj.weight"]["shape"] = {128, 64};
  write_header(st_.header);
  expect_error(run(), kExitFormat,
               {"model.layers.0.mlp.down_proj.weight", "形状不符", "期望 [64, 128]", "实际 [128, 64]"});
}

TEST_F(Malformed, InvalidHeaderJson) {
  std::string h = st_.header.dump();
  h.back() = ',';  // 去掉右花括号：JSON 不完整
  write_model(encode_st(h, st_.data));
  expect_error(run(), kExitFormat, {"model.safetensors", "JSON"});
}

TEST_F(Malformed, InvalidConfigJson) {
  write_model(encode_st(st_.header.dump(), st_.data));
  write_text(dir_.file("config.json"), "{\"hidden_size\": 64,");
  expect_error(run(), kExitConfig, {"config.json", "JSON"});
}

TEST_F(Malformed, MissingConfigField) {
  write_model(encode_st(st_.header.dump(), st_.data));
  json c = json::parse(read_file(kSrc + "/config.json"));
  c.erase("hidden_size");
  write_text(dir_.file("config.json"), c.dump());
  expect_error(run(), kExitConfig, {"config.json", "\"hidden_size\"", "缺失"});
}

TEST_F(Malformed, UnsupportedConfigValue) {
  write_model(encode_st(st_.header.dump(), st_.data));
  json c = json::parse(read_file(kSrc + "/config.json"));
  c["topk_method"] = "random_topk";
  write_text(dir_.file("config.json"), c.dump());
  expect_error(run(), kExitConfig, {"\"topk_method\"", "random_topk"});
  c = json::parse(read_file(kSrc + "/config.json"));
  c["qk_rope_head_dim"] = 7;
  write_text(dir_.file("config.json"), c.dump());
  expect_error(run(), kExitConfig, {"\"qk_rope_head_dim\"", "偶数"});
  c = json::parse(read_file(kSrc + "/config.json"));
  c["num_attention_heads"] = "sixteen";
  write_text(dir_.file("config.json"), c.dump());
  expect_error(run(), kExitConfig, {"\"num_attention_heads\"", "整数"});
}

TEST_F(Malformed, UnknownArchitecture) {
  write_model(encode_st(st_.header.dump(), st_.data));
  json c = json::parse(read_file(kSrc + "/config.json"));
  c["architectures"] = {"LlamaForCausalLM"};
  c["model_type"] = "llama";
  write_text(dir_.file("config.json"), c.dump());
  expect_error(run(), kExitUnsupported, {"LlamaForCausalLM", "不支持的架构"});
}

TEST_F(Malformed, MissingWeightsAndShards) {
  expect_error(run(), kExitIo, {"没有 model.safetensors"});
  write_text(dir_.file("model.safetensors.index.json"),
             R"({"metadata": {}, "weight_map": {"model.norm.weight": "model-00001-of-00002.safetensors"}})");
  expect_error(run(), kExitIo, {"model-00001-of-00002.safetensors", "不存在"});
  write_text(dir_.file("model.safetensors.index.json"), "{not json");
  expect_error(run(), kExitFormat, {"model.safetensors.index.json", "JSON"});
}

TEST_F(Malformed, IndexNamesTensorMissingFromShard) {
  write_model(encode_st(st_.header.dump(), st_.data));
  json idx = {
      {"metadata", json::object()},
      {"weight_map", {{"model.norm.weight", "model.safetensors"}, {"model.extra.weight", "model.safetensors"}}}};
  write_text(dir_.file("model.safetensors.index.json"), idx.dump());
  expect_error(run(), kExitFormat, {"model.extra.weight", "该文件中没有"});
}

TEST_F(Malformed, Fp8TensorWithoutScale) {
  // 把一个 F32 [64,128] 张量改写成同字节数的 F8_E4M3 [128, 256]？形状会与模型不符；
  // 改为声明 F8_E4M3 [64, 128] 并截取前 1/4 字节：文件合法，但缺少 weight_scale_inv。
  auto& t = st_.header["model.layers.0.mlp.down_proj.weight"];
  const uint64_t b = t["data_offsets"][0].get<uint64_t>();
  t["dtype"] = "F8_E4M3";
  t["data_offsets"] = {b, b + 64 * 128};
  write_header(st_.header);
  expect_error(run(), kExitFormat, {"model.layers.0.mlp.down_proj.weight_scale_inv", "缺少分块缩放因子"});
}

TEST_F(Malformed, RandomBytesNeverCrash) {
  // 在合法文件的头部随机位置翻转字节：只允许“成功”或“带错误消息的非零退出”，不允许崩溃
  const std::string good = encode_st(st_.header.dump(), st_.data);
  uint32_t seed = 12345;
  for (int i = 0; i < 12; ++i) {
    std::string bytes = good;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 1103515245u + 12345u;
      const size_t pos = (seed >> 8) % (8 + st_.header.dump().size());
      bytes[pos] = char(seed >> 24);
    }
    write_model(bytes);
    const CliResult r = run();
    EXPECT_LT(r.code, 128) << "进程被信号终止";
    if (r.code != 0) {
      EXPECT_NE(r.err.find("错误: "), std::string::npos) << r.err;
    }
  }
}

}  // namespace
}  // namespace dsinfer
