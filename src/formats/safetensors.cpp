#include "formats/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/json_text.h"

namespace dsinfer {

using nlohmann::json;

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

// 头部 JSON 的上限：远大于任何真实检查点（DeepSeek-V3 单个分片头约数 MB）。
constexpr uint64_t kMaxHeaderBytes = 256ull << 20;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::kFormat, cat("safetensors 文件 ", path, " 损坏: ", what));
}

uint64_t as_u64(const json& v, const std::string& path, const std::string& name, const char* field) {
  if (!v.is_number_unsigned()) fail(path, cat("张量 ", name, " 的 ", field, " 不是非负整数"));
  return v.get<uint64_t>();
}

}  // namespace

std::map<std::string, TensorInfo> parse_safetensors(const uint8_t* data, size_t size, const std::string& path) {
  if (size < 8) fail(path, cat("文件只有 ", size, " 字节，不足 8 字节的头长度"));
  uint64_t header_len;
  std::memcpy(&header_len, data, 8);
  if (header_len > size - 8) fail(path, cat("头长度 ", header_len, " 超出文件大小 ", size, "（文件被截断？）"));
  if (header_len > kMaxHeaderBytes) fail(path, cat("头长度 ", header_len, " 过大"));
  const char* hdr = reinterpret_cast<const char*>(data + 8);
  const json header =
      parse_json(std::string_view(hdr, header_len), ErrorCode::kFormat, cat("safetensors 文件 ", path, " 损坏: 头部"));
  if (!header.is_object()) fail(path, "头部 JSON 不是对象");

  const uint8_t* base = data + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  struct Range {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  std::map<std::string, TensorInfo> tensors;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") continue;
    const json& v = it.value();
    if (!v.is_object()) fail(path, cat("张量 ", name, " 的描述不是对象"));
    if (!v.contains("dtype") || !v["dtype"].is_string()) fail(path, cat("张量 ", name, " 缺少字符串字段 dtype"));
    const std::string dt = v["dtype"].get<std::string>();
    const auto dtype = dtype_from_name(dt);
    if (!dtype)
      throw Error(ErrorCode::kUnsupported, cat("safetensors 文件 ", path, " 中张量 ", name, " 的 dtype '", dt,
                                               "' 不受支持（支持 F32、BF16、F16、F8_E4M3）"));
    if (!v.contains("shape") || !v["shape"].is_array()) fail(path, cat("张量 ", name, " 缺少数组字段 shape"));
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
      fail(path, cat("张量 ", name, " 的 data_offsets 必须是两个整数"));
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    uint64_t numel = 1;
    for (const json& d : v["shape"]) {
      const uint64_t dim = as_u64(d, path, name, "shape");
      if (dim > (1ull << 40) || (dim && numel > (1ull << 50) / dim)) fail(path, cat("张量 ", name, " 的形状过大"));
      numel *= dim;
      info.shape.push_back(int64_t(dim));
    }
    const uint64_t begin = as_u64(v["data_offsets"][0], path, name, "data_offsets");
    const uint64_t end = as_u64(v["data_offsets"][1], path, name, "data_offsets");
    if (begin > end || end > data_size)
      fail(path, cat("张量 ", name, " 的数据区间 [", begin, ", ", end, ") 超出数据区大小 ", data_size));
    const uint64_t expect = numel * dtype_size(*dtype);
    if (end - begin != expect)
      fail(path, cat("张量 ", name, " 的字节数 ", end - begin, " 与形状 ", shape_str(info.shape), " × ",
                     dtype_name(*dtype), " 应有的 ", expect, " 字节不符"));
    info.data = base + begin;
    info.nbytes = size_t(end - begin);
    info.offset = uint64_t(base - data) + begin;
    info.file = &path;
    auto [pos, inserted] = tensors.emplace(name, std::move(info));
    ranges.push_back({begin, end, &pos->first});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end)
      fail(path, cat("张量 ", *ranges[i - 1].name, " 与 ", *ranges[i].name, " 的数据区间重叠"));
  }
  return tensors;
}

SafetensorsFile::SafetensorsFile(const std::string& path, LoadMode mode, const ProgressFn& progress)
    : file_(path, mode, progress), tensors_(parse_safetensors(file_.data(), file_.size(), file_.path())) {}

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= uint64_t(d);
    const uint64_t bytes = n * dtype_size(t.dtype);
    header[t.name] = {
        {"dtype", std::string(dtype_name(t.dtype))}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8) h += ' ';  // 数据区 8 字节对齐（与 HF 实现一致）
  // 流式写入临时文件再 rename：大分片不在内存中拼接，失败时不留半个文件。
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorCode::kIo, cat("无法写入文件 ", path));
  const uint64_t hl = h.size();
  out.write(reinterpret_cast<const char*>(&hl), 8);
  out.write(h.data(), std::streamsize(h.size()));
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= uint64_t(d);
    out.write(static_cast<const char*>(t.data), std::streamsize(n * dtype_size(t.dtype)));
  }
  out.close();
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(ErrorCode::kIo, cat("写入失败 ", path));
  }
}

}  // namespace dsinfer
