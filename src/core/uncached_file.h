// UncachedFile：绕过页缓存读取文件区间。内存预算下的专家权重与常驻权重都经它读入匿名内存，
// 这样预算是真实的——操作系统的页缓存不会在进程之外悄悄再留一份模型。
// 优先 O_DIRECT（偏移、长度、目标地址都须按 kAlign 对齐，所以读的是覆盖所需区间的对齐区间）；
// 文件系统不支持 O_DIRECT（如 tmpfs）时退回普通读，每读一段就 posix_fadvise(DONTNEED) 丢掉对应页缓存。
// 可被多个线程同时调用 read（pread 不共享文件位置）。
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dsinfer {

class UncachedFile {
 public:
  static constexpr size_t kAlign = 4096;

  // 打开失败抛出 Error(kIo)，消息含路径与系统错误。
  explicit UncachedFile(const std::string& path);
  ~UncachedFile();
  UncachedFile(const UncachedFile&) = delete;
  UncachedFile& operator=(const UncachedFile&) = delete;

  const std::string& path() const { return path_; }
  bool direct() const { return direct_; }  // 是否以 O_DIRECT 打开

  // 读 [offset, offset + len) 需要的缓冲区字节数（覆盖该区间的对齐区间）
  static size_t span(uint64_t offset, size_t len);
  // 把 [offset, offset + len) 读入 buf（kAlign 对齐，至少 span(offset, len) 字节），返回数据在 buf 中的起点
  // （offset % kAlign）。读错误或文件比区间短时抛出 Error(kIo)，消息含路径、偏移与 what（如张量名）。
  size_t read(uint64_t offset, size_t len, uint8_t* buf, const std::string& what) const;

 private:
  std::string path_;
  int fd_ = -1;
  bool direct_ = false;
};

// kAlign 对齐的字节缓冲区（O_DIRECT 的目标内存）
struct AlignedFree {
  void operator()(uint8_t* p) const;
};
using AlignedBytes = std::unique_ptr<uint8_t[], AlignedFree>;
AlignedBytes allocate_aligned(size_t bytes);  // 内存不足时抛出 Error(kIo)

}  // namespace dsinfer
