#include "formats/checkpoint.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/progress.h"
#include "formats/json_text.h"

namespace dsinfer {

using nlohmann::json;

namespace {
bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}
}  // namespace

Checkpoint::Checkpoint(const std::string& dir, LoadMode mode, FILE* progress, bool resident_copies)
    : dir_(dir), mode_(mode), resident_copies_(resident_copies) {
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (file_exists(index_path)) {
    json index = parse_json(read_text_file(index_path), ErrorCode::kFormat, index_path + ": ");
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      throw Error(ErrorCode::kFormat, cat(index_path, ": 缺少对象字段 \"weight_map\""));
    std::set<std::string> shards;
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        throw Error(ErrorCode::kFormat, cat(index_path, ": weight_map[\"", it.key(), "\"] 应为文件名字符串"));
      const std::string shard = it.value().get<std::string>();
      if (shard.empty() || shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
        throw Error(ErrorCode::kFormat,
                    cat(index_path, ": weight_map[\"", it.key(), "\"] 的文件名 '", shard, "' 非法"));
      shards.insert(shard);
    }
    std::vector<std::string> paths;
    for (const auto& shard : shards) {
      paths.push_back(dir + "/" + shard);
      if (!file_exists(paths.back()))
        throw Error(ErrorCode::kIo, cat(index_path, " 引用的分片 ", paths.back(), " 不存在"));
    }
    add_files(paths, progress);
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      auto found = tensors_.find(it.key());
      const std::string shard_path = dir + "/" + it.value().get<std::string>();
      if (found == tensors_.end() || *found->second->file != shard_path)
        throw Error(ErrorCode::kFormat,
                    cat(index_path, " 声明张量 ", it.key(), " 位于 ", shard_path, "，但该文件中没有这个张量"));
    }
    return;
  }
  const std::string single = dir + "/model.safetensors";
  if (!file_exists(single))
    throw Error(ErrorCode::kIo, cat("目录 ", dir, " 中没有 model.safetensors 或 model.safetensors.index.json"));
  add_files({single}, progress);
}

void Checkpoint::add_files(const std::vector<std::string>& paths, FILE* progress) {
  uint64_t total = 0;
  for (const auto& p : paths) total += file_size(p);
  // 引擎加载（给了 progress）时，mmap 的文件放得下就先读进页缓存：读盘发生在进度条下，而不是第一个 token 里。
  // 放不下时预读只会把前面读的页挤出去；常驻拷贝模式（内存预算）下整文件预读会让页缓存占住预算之外的内存。
  const bool warm =
      progress && mode_ == LoadMode::kMmap && !resident_copies_ && total <= available_memory_bytes() / 10 * 9;
  std::unique_ptr<ProgressBar> bar;
  if (progress && (mode_ == LoadMode::kRead || warm)) bar = std::make_unique<ProgressBar>(total, "加载权重", progress);
  for (const auto& file : paths) {
    files_.push_back(std::make_unique<SafetensorsFile>(file, mode_, bar ? bar->callback() : ProgressFn()));
    if (warm) files_.back()->populate(bar->callback());
    for (const auto& [name, info] : files_.back()->tensors()) {
      auto [it, inserted] = tensors_.emplace(name, &info);
      if (!inserted)
        throw Error(ErrorCode::kFormat, cat("张量 ", name, " 同时出现在 ", *it->second->file, " 与 ", file, " 中"));
    }
  }
}

const TensorInfo& Checkpoint::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(ErrorCode::kFormat, cat("模型 ", dir_, " 缺少张量 ", name));
  return *it->second;
}

Checkpoint::WeightSource Checkpoint::weight_source(const std::string& name, int64_t rows, int64_t cols) const {
  const TensorInfo& t = tensor(name);
  if (t.shape != std::vector<int64_t>{rows, cols})
    throw Error(ErrorCode::kFormat, cat("张量 ", name, " 形状不符：期望 ", shape_str({rows, cols}), "，实际 ",
                                        shape_str(t.shape), "（文件 ", *t.file, "）"));
  WeightSource src{&t, nullptr};
  if (t.dtype == DType::kF8E4M3) {
    const std::string sname = name + "_scale_inv";
    auto it = tensors_.find(sname);
    if (it == tensors_.end())
      throw Error(ErrorCode::kFormat, cat("FP8 张量 ", name, " 缺少分块缩放因子 ", sname, "（文件 ", *t.file, "）"));
    const TensorInfo& s = *it->second;
    const std::vector<int64_t> expect{(rows + kFp8BlockSize - 1) / kFp8BlockSize,
                                      (cols + kFp8BlockSize - 1) / kFp8BlockSize};
    if (s.dtype != DType::kF32 || s.shape != expect)
      throw Error(ErrorCode::kFormat, cat("张量 ", sname, " 应为 F32 ", shape_str(expect), "，实际 ",
                                          dtype_name(s.dtype), " ", shape_str(s.shape), "（文件 ", *s.file, "）"));
    src.scale_inv = &s;
  }
  return src;
}

Weight Checkpoint::weight(const std::string& name, int64_t rows, int64_t cols) const {
  const WeightSource src = weight_source(name, rows, cols);
  Weight w;
  w.dtype = src.data->dtype;
  w.rows = rows;
  w.cols = cols;
  w.data = tensor_data(*src.data);
  if (src.scale_inv) w.scale_inv = reinterpret_cast<const float*>(tensor_data(*src.scale_inv));
  return w;
}

const uint8_t* Checkpoint::tensor_data(const TensorInfo& t) const {
  if (!resident_copies_) return t.data;
  auto it = copies_.find(&t);
  if (it == copies_.end()) {
    const UncachedFile file(*t.file);
    AlignedBytes buf = allocate_aligned(UncachedFile::span(t.offset, t.nbytes));
    const size_t head = file.read(t.offset, t.nbytes, buf.get(), cat("张量 ", t.name));
    // 数据起点不在 buf 开头时整体前移，使张量按页对齐（内核按 64 字节对齐读权重行）
    if (head) std::memmove(buf.get(), buf.get() + head, t.nbytes);
    copied_bytes_ += t.nbytes;
    it = copies_.emplace(&t, std::move(buf)).first;
  }
  return it->second.get();
}

std::vector<float> Checkpoint::vector_f32(const std::string& name, int64_t n) const {
  const TensorInfo& t = tensor(name);
  if (t.shape != std::vector<int64_t>{n})
    throw Error(ErrorCode::kFormat, cat("张量 ", name, " 形状不符：期望 ", shape_str({n}), "，实际 ",
                                        shape_str(t.shape), "（文件 ", *t.file, "）"));
  if (t.dtype == DType::kF8E4M3)
    throw Error(ErrorCode::kFormat, cat("张量 ", name, " 不应为 F8_E4M3（文件 ", *t.file, "）"));
  std::vector<float> v(static_cast<size_t>(n));
  to_f32(t.dtype, tensor_data(t), v.data(), size_t(n));
  return v;
}

size_t Checkpoint::file_bytes() const {
  size_t b = 0;
  for (const auto& f : files_) b += f->file_size();
  return b;
}

}  // namespace dsinfer
