#include "core/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"

namespace dsinfer {
namespace {

TEST(MappedFile, BothModesSeeTheSameBytes) {
  const std::string path = testing::TempDir() + "/mapped.bin";
  write_file(path, "hello", 5);
  for (LoadMode mode : {LoadMode::kMmap, LoadMode::kRead}) {
    MappedFile f(path, mode);
    ASSERT_EQ(f.size(), 5u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data()), 5), "hello");
    EXPECT_EQ(f.path(), path);
  }
  EXPECT_EQ(read_text_file(path), "hello");
}

TEST(MappedFile, PopulateReadsTheWholeMappingInChunks) {
  const std::string path = testing::TempDir() + "/populate.bin";
  const std::string bytes(size_t(70) << 20, 'x');  // 多于一块（64 MiB）
  write_file(path, bytes.data(), bytes.size());
  std::vector<uint64_t> reports;
  const ProgressFn record = [&](uint64_t n) { reports.push_back(n); };
  MappedFile mapped(path, LoadMode::kMmap, record);
  EXPECT_TRUE(reports.empty());  // 映射本身不读盘，不报告
  mapped.populate(record);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0] + reports[1], bytes.size());
  EXPECT_EQ(mapped.data()[bytes.size() - 1], 'x');
  reports.clear();
  MappedFile read(path, LoadMode::kRead, record);
  uint64_t total = 0;
  for (uint64_t n : reports) total += n;
  EXPECT_EQ(total, bytes.size());
  reports.clear();
  read.populate(record);  // 已在匿名内存里：无事可做
  EXPECT_TRUE(reports.empty());
  std::remove(path.c_str());
}

TEST(MappedFile, AvailableMemoryIsReported) {
  EXPECT_GT(available_memory_bytes(), uint64_t(0));
}

TEST(MappedFile, EmptyFileHasNoData) {
  const std::string path = testing::TempDir() + "/empty.bin";
  write_file(path, "", 0);
  MappedFile f(path);
  EXPECT_EQ(f.size(), 0u);
}

TEST(MappedFile, MissingFileNamesPath) {
  try {
    MappedFile f("/nonexistent/dir/x.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.safetensors"), std::string::npos);
  }
  EXPECT_THROW(read_text_file("/nonexistent/a.json"), Error);
  EXPECT_THROW(write_file("/nonexistent/dir/out.npy", "x", 1), Error);
  EXPECT_THROW(MappedFile("/tmp"), Error);  // 目录不是普通文件
}

}  // namespace
}  // namespace dsinfer
