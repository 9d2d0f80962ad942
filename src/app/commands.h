// 子命令入口：每个子命令一个 cmd_*.cpp，签名相同；argv[0] 是 "dsinfer"，argv[1] 是子命令名。
#pragma once

namespace dsinfer {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

// 所有子命令（main.cpp 定义），按帮助中的显示顺序。
extern const Command kCommands[];
extern const int kNumCommands;

}  // namespace dsinfer
