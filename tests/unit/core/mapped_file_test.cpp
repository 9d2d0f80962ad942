#include "core/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

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
