#include "core/uncached_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace dsinfer {

UncachedFile::UncachedFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  direct_ = fd_ >= 0;
  if (fd_ < 0 && errno == EINVAL) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error(ErrorCode::kIo, cat("无法打开文件 ", path, ": ", std::strerror(errno)));
}

UncachedFile::~UncachedFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t UncachedFile::span(uint64_t offset, size_t len) {
  const size_t head = size_t(offset % kAlign);
  return (head + len + kAlign - 1) / kAlign * kAlign;
}

size_t UncachedFile::read(uint64_t offset, size_t len, uint8_t* buf, const std::string& what) const {
  const size_t head = size_t(offset % kAlign);
  const uint64_t begin = offset - head;
  const size_t want = head + len;                           // 必须读到的字节
  const size_t total = direct_ ? span(offset, len) : want;  // O_DIRECT 读整块
  // 分段读：每段不超过 8 MiB，便于普通读模式逐段丢弃页缓存
  constexpr size_t kPiece = size_t(8) << 20;
  size_t done = 0;
  while (done < want) {
    const size_t n = std::min(kPiece, total - done);
    const ssize_t r = ::pread(fd_, buf + done, n, off_t(begin + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0)
      throw Error(ErrorCode::kIo,
                  cat("读取 ", path_, " 失败（", what, "，偏移 ", offset, "）: ", std::strerror(errno)));
    if (r == 0)
      throw Error(ErrorCode::kIo,
                  cat("读取 ", path_, " 失败（", what, "，偏移 ", offset, "）: 文件比声明的数据区短（被截断？）"));
    if (!direct_) ::posix_fadvise(fd_, off_t(begin + done), off_t(r), POSIX_FADV_DONTNEED);
    done += size_t(r);
  }
  return head;
}

void AlignedFree::operator()(uint8_t* p) const {
  std::free(p);
}

AlignedBytes allocate_aligned(size_t bytes) {
  const size_t n = std::max<size_t>(UncachedFile::kAlign,
                                    (bytes + UncachedFile::kAlign - 1) / UncachedFile::kAlign * UncachedFile::kAlign);
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(UncachedFile::kAlign, n));
  if (!p) throw Error(ErrorCode::kIo, cat("内存不足：无法分配 ", n, " 字节"));
  return AlignedBytes(p);
}

}  // namespace dsinfer
