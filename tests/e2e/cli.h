// 端到端测试助手：像用户一样运行 dsinfer 可执行文件，收集退出码、stdout、stderr；
// 以及每个测试独占的临时目录。
#pragma once

#include <string>
#include <vector>

namespace dsinfer::testing_support {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// 以子进程运行 dsinfer（fork + exec，不经 shell）。args 不含程序名；stdin 的内容为 input（默认空）。
CliResult run_cli(const std::vector<std::string>& args, const std::string& input = "");
// 便捷形式：按空白切分参数（参数本身不能含空白）
CliResult run_cli(const std::string& args);
// 在伪终端上运行（forkpty）：stdout 与 stderr 都是终端，两者合在 out 里（err 为空）。
CliResult run_cli_on_terminal(const std::vector<std::string>& args);

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
