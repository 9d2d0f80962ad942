#include "formats/npy.h"

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
  MappedFile f(path, LoadMode::kRead);
  auto bad = [&](const std::string& what) { return Error(ErrorCode::kFormat, cat("npy 文件 ", path, ": ", what)); };
  if (f.size() < 10 || std::memcmp(f.data(), "\x93NUMPY", 6) != 0) throw bad("缺少 NumPy 魔数");
  if (f.data()[6] != 1) throw bad("只支持 1.0 版本");
  uint16_t hl;
  std::memcpy(&hl, f.data() + 8, 2);
  if (10u + hl > f.size()) throw bad("头长度超出文件");
  const std::string header(reinterpret_cast<const char*>(f.data() + 10), hl);
  if (header.find("'descr': '<f4'") == std::string::npos) throw bad("只支持 '<f4'（float32 小端）");
  if (header.find("'fortran_order': False") == std::string::npos) throw bad("只支持 C 顺序");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'shape': \\(([0-9, ]*)\\)"))) throw bad("缺少 shape");
  NpyArray a;
  int64_t n = 1;
  const std::string dims = m[1];
  for (size_t p = 0; p < dims.size();) {
    while (p < dims.size() && (dims[p] == ' ' || dims[p] == ',')) ++p;
    if (p >= dims.size()) break;
    size_t q = p;
    while (q < dims.size() && dims[q] >= '0' && dims[q] <= '9') ++q;
    a.shape.push_back(std::stoll(dims.substr(p, q - p)));
    n *= a.shape.back();
    p = q;
  }
  if (10u + hl + size_t(n) * 4 != f.size()) throw bad("数据长度与 shape 不符");
  a.data.resize(size_t(n));
  std::memcpy(a.data.data(), f.data() + 10 + hl, size_t(n) * 4);
  return a;
}

}  // namespace dsinfer
