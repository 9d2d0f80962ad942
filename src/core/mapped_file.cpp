#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace dsinfer {

namespace {
std::string sys_error() {
  return std::strerror(errno);
}
// 读入与预读页缓存都按这个大小分块，每块报告一次进度（块足够大，系统调用的开销可以忽略；页大小的整数倍）
constexpr size_t kChunk = size_t(64) << 20;
}  // namespace

MappedFile::MappedFile(const std::string& path, LoadMode mode, const ProgressFn& progress) : path_(path), mode_(mode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorCode::kIo, cat("无法打开文件 ", path, ": ", sys_error()));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::kIo, cat("不是可读的普通文件: ", path));
  }
  size_ = size_t(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    return;
  }
  if (mode_ == LoadMode::kMmap) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) throw Error(ErrorCode::kIo, cat("mmap 失败 ", path, ": ", sys_error()));
    // 请求大页（内核支持只读文件 THP 时由 khugepaged 合并；不支持则无影响）
    ::madvise(p, size_, MADV_HUGEPAGE);
    data_ = static_cast<uint8_t*>(p);
    return;
  }
  // kRead：读入 2 MiB 对齐的匿名内存，并请求透明大页（THP 为 madvise 模式时必须显式请求）：
  // 解码逐行流式读取数 GB 权重，4 KiB 页意味着每读一行就一次 TLB 缺失。
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t alloc = (size_ + kHuge - 1) / kHuge * kHuge;
  data_ = static_cast<uint8_t*>(std::aligned_alloc(kHuge, alloc));
  if (!data_) {
    ::close(fd);
    throw Error(ErrorCode::kIo, cat("内存不足，无法读入 ", path));
  }
  ::madvise(data_, alloc, MADV_HUGEPAGE);
  size_t done = 0;
  while (done < size_) {
    const ssize_t r = ::read(fd, data_ + done, std::min(kChunk, size_ - done));
    if (r <= 0) {
      const std::string err = r == 0 ? "文件被截断" : sys_error();
      ::close(fd);
      std::free(data_);
      data_ = nullptr;
      throw Error(ErrorCode::kIo, cat("读取失败 ", path, ": ", err));
    }
    done += size_t(r);
    if (progress) progress(uint64_t(r));
  }
  ::close(fd);
}

void MappedFile::populate(const ProgressFn& progress) {
  if (mode_ != LoadMode::kMmap || !data_) return;
#ifndef MADV_POPULATE_READ
  constexpr int MADV_POPULATE_READ = 22;  // Linux 5.14；旧的 glibc 头里还没有
#endif
  for (size_t off = 0; off < size_; off += kChunk) {
    const size_t n = std::min(kChunk, size_ - off);
    if (::madvise(data_ + off, n, MADV_POPULATE_READ) != 0) {
      // 内核不支持时逐页读一个字节；其余错误（文件在映射后被截断、读盘出错）如实报告，不在之后的前向里 SIGBUS
      if (errno != EINVAL) throw Error(ErrorCode::kIo, cat("读取失败 ", path_, ": ", sys_error()));
      volatile uint8_t sink = 0;
      for (size_t page = 0; page < n; page += 4096) sink = sink + data_[off + page];
    }
    if (progress) progress(n);
  }
}

uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("MemAvailable:", 0) == 0) return std::strtoull(line.c_str() + 13, nullptr, 10) * 1024;  // kB
  return 0;
}

MappedFile::~MappedFile() {
  if (!data_) return;
  if (mode_ == LoadMode::kMmap) {
    ::munmap(data_, size_);
  } else {
    std::free(data_);
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, cat("无法打开文件 ", path, ": ", sys_error()));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kIo, cat("读取失败 ", path));
  return ss.str();
}

void write_file(const std::string& path, const void* data, size_t size) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorCode::kIo, cat("无法写入文件 ", path, ": ", sys_error()));
    out.write(static_cast<const char*>(data), std::streamsize(size));
    if (!out) throw Error(ErrorCode::kIo, cat("写入失败 ", path));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(ErrorCode::kIo, cat("无法写入文件 ", path, ": ", sys_error()));
  }
}

}  // namespace dsinfer
