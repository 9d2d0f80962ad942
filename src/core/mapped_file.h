// 只读文件映射：权重默认以 mmap 方式按存储 dtype 直接使用，不做整模型的 f32 拷贝。
// 另提供 kRead 模式把文件读入匿名内存——在本机这类虚拟机上，文件页会被 DAMON 回收，
// mmap 解码会变慢且不稳定（见 bench/README.md），匿名内存不受影响。
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/progress.h"

namespace dsinfer {

enum class LoadMode { kMmap, kRead };

class MappedFile {
 public:
  // 打开失败抛出 Error(kIo)，消息含路径与系统错误。progress 非空时报告读入的字节（kRead 每读一块报告一次；
  // kMmap 只映射、不读，不报告）。
  MappedFile(const std::string& path, LoadMode mode = LoadMode::kMmap, const ProgressFn& progress = nullptr);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // kMmap：把整个映射预先读进页缓存，每 64 MiB 报告一次进度。否则这些读盘会落在首个前向的缺页里，
  // 用户看到的是“加载瞬间完成、第一个 token 却要等很久”。读盘失败（文件被截断等）抛出 Error(kIo)；kRead 时无事可做。
  void populate(const ProgressFn& progress);

 private:
  std::string path_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  LoadMode mode_;
};

// /proc/meminfo 的 MemAvailable（字节）；读不到时返回 0。
uint64_t available_memory_bytes();
// 读取整个小文件（config.json 等）为字符串；失败抛出 Error(kIo)。
std::string read_text_file(const std::string& path);
// 原子地写文件（先写临时文件再 rename），失败抛出 Error(kIo)。
void write_file(const std::string& path, const void* data, size_t size);

}  // namespace dsinfer
