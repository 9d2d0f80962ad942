#include "formats/npy.h"

#include <charconv>
#include <cstring>
#include <regex>

#include "core/error.h"
#include "core/mapped_file.h"

namespace dsinfer {

void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  std::string dims;
  int64_t n = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ", ";
    n *= d;
  }
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // 魔数 6 + 版本 2 + 长度 2 + 头，总长对齐到 64，以换行结尾
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const uint16_t hl = uint16_t(header.size());
  out.append(reinterpret_cast<const char*>(&hl), 2);
  out += header;
  out.append(reinterpret_cast<const char*>(data), size_t(n) * 4);
  write_file(path, out.data(), out.size());
}

NpyArray read_npy(const std::string& path) {
  const MappedFile f(path, LoadMode::kRead);
  return parse_npy(std::string_view(reinterpret_cast<const char*>(f.data()), f.size()), path);
}

NpyArray parse_npy(std::string_view bytes, const std::string& path) {
  auto bad = [&](const std::string& what) { return Error(ErrorCode::kFormat, cat("npy 文件 ", path, ": ", what)); };
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") throw bad("缺少 NumPy 魔数");
  if (bytes[6] != 1) throw bad("只支持 1.0 版本");
  uint16_t hl;
  std::memcpy(&hl, bytes.data() + 8, 2);
  if (10u + hl > bytes.size()) throw bad("头长度超出文件");
  const std::string header(bytes.substr(10, hl));
  if (header.find("'descr': '<f4'") == std::string::npos) throw bad("只支持 '<f4'（float32 小端）");
  if (header.find("'fortran_order': False") == std::string::npos) throw bad("只支持 C 顺序");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'shape': \\(([0-9, ]*)\\)"))) throw bad("缺少 shape");
  NpyArray a;
  // 元素数在超过 max_elems 时饱和：那样的 shape 必然与数据长度不符，而乘积不会溢出。
  const uint64_t max_elems = bytes.size() / 4;
  uint64_t n = 1;
  const std::string dims = m[1];
  for (size_t p = 0; p < dims.size();) {
    while (p < dims.size() && (dims[p] == ' ' || dims[p] == ',')) ++p;
    if (p >= dims.size()) break;
    size_t q = p;
    while (q < dims.size() && dims[q] >= '0' && dims[q] <= '9') ++q;
    int64_t d = 0;
    if (std::from_chars(dims.data() + p, dims.data() + q, d).ec != std::errc())
      throw bad(cat("shape 的维度 ", dims.substr(p, q - p), " 过大"));
    a.shape.push_back(d);
    n = (d != 0 && n > max_elems / uint64_t(d)) ? max_elems + 1 : n * uint64_t(d);
    p = q;
  }
  if (10u + hl + n * 4 != bytes.size()) throw bad("数据长度与 shape 不符");
  a.data.resize(size_t(n));
  if (n > 0) std::memcpy(a.data.data(), bytes.data() + 10 + hl, size_t(n) * 4);  // 空数组的 data() 可为空指针
  return a;
}

}  // namespace dsinfer
