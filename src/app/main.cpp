// dsinfer 命令行入口：分发子命令；在这里（且仅在这里）把 Error 转成 "错误: …" 与非零退出码。
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "app/commands.h"
#include "core/error.h"

namespace dsinfer {

int cmd_version(int, char**) {
  std::printf("dsinfer 0.1.0\n");
  return 0;
}

int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);
int cmd_template(int argc, char** argv);

// 子命令表：新增子命令时在此加一行，并在 commands.h 旁的 cmd_*.cpp 中实现。
const Command kCommands[] = {
    {"version", "打印版本", cmd_version},
    {"tokenize", "文本 → token id", cmd_tokenize},
    {"detokenize", "token id → 文本", cmd_detokenize},
    {"template", "用 chat_template 渲染对话", cmd_template},
};
const int kNumCommands = int(sizeof(kCommands) / sizeof(kCommands[0]));

}  // namespace dsinfer

namespace {
void print_usage() {
  std::printf("dsinfer — DeepSeek 架构（MLA / MoE / MTP）的 C++ 推理引擎\n\n用法: dsinfer <子命令> [参数]\n\n子命令:\n");
  for (int i = 0; i < dsinfer::kNumCommands; ++i)
    std::printf("  %-12s %s\n", dsinfer::kCommands[i].name, dsinfer::kCommands[i].summary);
  std::printf("\n每个子命令的参数: dsinfer <子命令> --help\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  for (int i = 0; i < dsinfer::kNumCommands; ++i) {
    if (std::strcmp(argv[1], dsinfer::kCommands[i].name) != 0) continue;
    try {
      return dsinfer::kCommands[i].run(argc, argv);
    } catch (const dsinfer::Error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "错误: %s\n", e.what());
      return dsinfer::exit_code_for(e.code());
    } catch (const std::bad_alloc&) {
      std::fflush(stdout);
      std::fprintf(stderr, "错误: 内存不足\n");
      return 1;
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "错误: %s\n", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "错误: 未知子命令 '%s'（dsinfer --help 查看全部子命令）\n", argv[1]);
  return 2;
}
