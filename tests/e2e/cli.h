// 端到端测试助手：像用户一样运行 dsinfer 可执行文件，收集退出码、stdout、stderr；
// 以及每个测试独占的临时目录。
#pragma once

#include <string>

namespace dsinfer::testing_support {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// args 原样拼在可执行文件后（调用者负责引号）
CliResult run_cli(const std::string& args);

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_text(const std::string& path, const std::string& text);

}  // namespace dsinfer::testing_support
