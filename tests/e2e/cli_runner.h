// 端到端测试：以子进程运行 dsinfer（DSINFER_BINARY），收集退出码、stdout 与 stderr。
#pragma once

#include <string>
#include <vector>

namespace dsinfer::e2e {

struct CliResult {
  int exit_code;
  std::string out, err;
};

// args 不含程序名；stdin 为空。
CliResult run_dsinfer(const std::vector<std::string>& args);

}  // namespace dsinfer::e2e
