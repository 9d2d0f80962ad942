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

int cmd_run(int, char**);
int cmd_logits(int, char**);
int cmd_info(int, char**);
int cmd_bench(int, char**);
int cmd_make_model(int, char**);
int cmd_profile_experts(int, char**);
int cmd_tokenize(int, char**);
int cmd_detokenize(int, char**);
int cmd_template(int, char**);
int cmd_chat(int, char**);
int cmd_serve(int, char**);

// 子命令表：新增子命令时在此加一行，并在 cmd_*.cpp 中实现。
const Command kCommands[] = {
    {"run", "由提示生成续写", cmd_run},
    {"chat", "交互式对话（流式输出）", cmd_chat},
    {"serve", "OpenAI 兼容的 HTTP 服务（连续批处理）", cmd_serve},
    {"logits", "把每个位置的 logits 写成 .npy（与参考实现比较）", cmd_logits},
    {"info", "模型规模、参数量与 KV 缓存占用（只需 config.json）", cmd_info},
    {"bench", "速度与内存测量（预填充 / 解码 / 带宽）", cmd_bench},
    {"make-model", "写出真实形状的随机权重检查点", cmd_make_model},
    {"profile-experts", "在文本上统计每层路由专家的使用次数（frequency 缓存策略的输入）", cmd_profile_experts},
    {"tokenize", "文本 → token id", cmd_tokenize},
    {"detokenize", "token id → 文本", cmd_detokenize},
    {"template", "用 chat_template 渲染对话", cmd_template},
    {"version", "打印版本", cmd_version},
};
const int kNumCommands = int(sizeof(kCommands) / sizeof(kCommands[0]));

}  // namespace dsinfer

namespace {
void print_usage() {
  std::printf(
      "dsinfer — DeepSeek 架构（MLA / MoE / MTP）的 C++ 推理引擎\n\n用法: dsinfer <子命令> [参数]\n\n子命令:\n");
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
