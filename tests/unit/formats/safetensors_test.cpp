#include "formats/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "e2e/cli.h"
#include "formats/checkpoint.h"
#include "formats/npy.h"

namespace dsinfer {
namespace {

using testing_support::ScratchDir;
using testing_support::write_text;

std::string with_header(const std::string& header, size_t data_bytes) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + std::string(data_bytes, '\0');
}

std::string open_error(const std::string& bytes) {
  ScratchDir d;
  write_text(d.file("m.safetensors"), bytes);
  try {
    SafetensorsFile f(d.file("m.safetensors"), LoadMode::kMmap);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, WriteThenReadRoundTrip) {
  ScratchDir d;
  const float a[6] = {1, 2, 3, 4, 5, 6};
  const uint16_t b[3] = {0x3f80, 0x4000, 0x4040};
  write_safetensors(d.file("x.safetensors"), {{"a", DType::kF32, {2, 3}, a}, {"b", DType::kBF16, {3}, b}});
  SafetensorsFile f(d.file("x.safetensors"), LoadMode::kRead);
  ASSERT_EQ(f.tensors().size(), 2u);
  const TensorInfo& ta = f.tensors().at("a");
  EXPECT_EQ(ta.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ta.numel(), 6);
  EXPECT_EQ(std::memcmp(ta.data, a, sizeof a), 0);
  EXPECT_EQ(f.tensors().at("b").dtype, DType::kBF16);
  EXPECT_EQ(shape_str({}), "[]");
  EXPECT_THROW(write_safetensors("/nonexistent/dir/x.safetensors", {}), Error);
}

TEST(Safetensors, MalformedHeadersAreRejected) {
  EXPECT_NE(open_error(with_header("[1,2]", 0)).find("不是对象"), std::string::npos);
  EXPECT_NE(open_error(with_header(R"({"t": 5})", 0)).find("t 的描述不是对象"), std::string::npos);
  EXPECT_NE(open_error(with_header(R"({"t": {"shape": [1], "data_offsets": [0, 4]}})", 4)).find("dtype"),
            std::string::npos);
  EXPECT_NE(open_error(with_header(R"({"t": {"dtype": "F32", "data_offsets": [0, 4]}})", 4)).find("shape"),
            std::string::npos);
  EXPECT_NE(
      open_error(with_header(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4)).find("data_offsets"),
      std::string::npos);
  EXPECT_NE(
      open_error(with_header(R"({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4)).find("shape"),
      std::string::npos);
  EXPECT_NE(
      open_error(with_header(R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8)).find("数据区间"),
      std::string::npos);
  EXPECT_NE(
      open_error(
          with_header(R"({"t": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 4]}})", 4))
          .find("过大"),
      std::string::npos);
  // 超出 double 范围的数值（nlohmann 抛出 out_of_range）
  EXPECT_NE(open_error(with_header(R"({"t": {"dtype": "F32", "shape": [1e999], "data_offsets": [0, 4]}})", 4))
                .find("头部不是合法的 JSON"),
            std::string::npos);
  // 合法：__metadata__ 被忽略，零元素张量
  EXPECT_EQ(
      open_error(with_header(
          R"({"__metadata__": {"format": "pt"}, "t": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})", 0)),
      "");
}

TEST(Checkpoint, WeightAndVectorValidation) {
  ScratchDir d;
  const float w[8] = {};
  const uint8_t f8[8] = {};
  const float s[1] = {1.0f};
  write_safetensors(d.file("model.safetensors"), {{"lin.weight", DType::kF32, {2, 4}, w},
                                                  {"q.weight", DType::kF8E4M3, {2, 4}, f8},
                                                  {"q.weight_scale_inv", DType::kF32, {1, 1}, s},
                                                  {"bad.weight", DType::kF8E4M3, {2, 4}, f8},
                                                  {"bad.weight_scale_inv", DType::kF32, {1}, s},
                                                  {"norm", DType::kF8E4M3, {8}, f8}});
  Checkpoint c(d.path());
  EXPECT_TRUE(c.has("lin.weight"));
  EXPECT_EQ(c.weight("lin.weight", 2, 4).bytes(), 32u);
  const Weight q = c.weight("q.weight", 2, 4);
  EXPECT_NE(q.scale_inv, nullptr);
  EXPECT_EQ(q.bytes(), 8u + 4u);
  EXPECT_THROW(c.weight("lin.weight", 4, 2), Error);
  EXPECT_THROW(c.weight("bad.weight", 2, 4), Error);
  EXPECT_THROW(c.vector_f32("lin.weight", 8), Error);
  EXPECT_THROW(c.vector_f32("norm", 8), Error);
  EXPECT_THROW(c.tensor("nope"), Error);
  EXPECT_GT(c.file_bytes(), 0u);
}

TEST(Checkpoint, IndexErrors) {
  ScratchDir d;
  const float w[1] = {};
  write_safetensors(d.file("a.safetensors"), {{"x", DType::kF32, {1}, w}});
  write_safetensors(d.file("b.safetensors"), {{"x", DType::kF32, {1}, w}});
  auto err = [&](const std::string& index) {
    write_text(d.file("model.safetensors.index.json"), index);
    try {
      Checkpoint c(d.path());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(err(R"({"weight_map": 3})").find("weight_map"), std::string::npos);
  EXPECT_NE(err(R"({"weight_map": {"x": 3}})").find("文件名"), std::string::npos);
  EXPECT_NE(err(R"({"weight_map": {"x": "../a.safetensors"}})").find("非法"), std::string::npos);
  EXPECT_NE(err(R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})").find("同时出现"), std::string::npos);
  EXPECT_NE(err(R"({"weight_map": {"x": 1e999}})").find("不是合法的 JSON"), std::string::npos);
  EXPECT_EQ(err(R"({"weight_map": {"x": "a.safetensors"}})"), "");
}

TEST(Npy, RoundTripAndErrors) {
  ScratchDir d;
  const float v[6] = {1, 2, 3, 4, 5, 6};
  write_npy(d.file("a.npy"), v, {2, 3});
  const NpyArray a = read_npy(d.file("a.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data[5], 6.0f);
  write_npy(d.file("b.npy"), v, {6});
  EXPECT_EQ(read_npy(d.file("b.npy")).shape, (std::vector<int64_t>{6}));
  write_text(d.file("c.npy"), "not numpy at all");
  EXPECT_THROW(read_npy(d.file("c.npy")), Error);
  std::string bytes = testing_support::read_file(d.file("a.npy"));
  bytes.resize(bytes.size() - 4);
  write_text(d.file("d.npy"), bytes);
  EXPECT_THROW(read_npy(d.file("d.npy")), Error);
  // 零元素数组：没有数据区，不能对空 vector 的 data()（可为空指针）做 memcpy
  write_npy(d.file("e.npy"), v, {0, 3});
  const NpyArray e = read_npy(d.file("e.npy"));
  EXPECT_EQ(e.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(e.data.empty());
}

// shape 的维度超出 int64、维度之积溢出：都是点名文件的 Error（曾分别抛出 std::out_of_range、有符号溢出）。
TEST(Npy, HugeShapesAreRejected) {
  auto error_of = [](const std::string& shape) {
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
    const uint16_t hl = uint16_t(header.size());
    const std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + std::string(reinterpret_cast<const char*>(&hl), 2) +
                              header + std::string(16, '\0');
    try {
      parse_npy(bytes, "x.npy");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of("99999999999999999999,").find("x.npy"), std::string::npos);
  EXPECT_NE(error_of("99999999999999999999,").find("过大"), std::string::npos);
  EXPECT_NE(error_of("4294967296, 4294967296").find("数据长度与 shape 不符"), std::string::npos);
  EXPECT_NE(error_of("0, 4294967296, 4294967296").find("数据长度与 shape 不符"), std::string::npos);
  EXPECT_EQ(error_of("2, 2"), "");
}

}  // namespace
}  // namespace dsinfer
