// 错误与断言：用户输入（文件、配置、命令行、请求）出错时抛出 dsinfer::Error，
// 消息用中文并原样引用文件名 / 张量名 / 字段名；内部不变量用 DSINFER_CHECK（始终开启，失败即中止）。
// 只有边界模块（formats、config、tokenizer、app）抛出 Error；内核从不抛出。
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace dsinfer {

// 每种错误对应一个不同的进程退出码（见 exit_code_for）。
enum class ErrorCode {
  kInvalidArgument,  // 命令行参数或请求不合法
  kIo,               // 文件无法打开 / 读取 / 写入
  kFormat,           // 文件内容损坏或不符合格式（safetensors、JSON、npy…）
  kConfig,           // config.json 或 OptimizationConfig 的字段缺失 / 取值非法
  kUnsupported,      // 格式合法但本引擎不支持（未知架构、dtype…）
  kInternal,         // 内部错误（不应发生）
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// 进程退出码：0 成功，1 保留给未分类异常，其余按 ErrorCode 区分。
int exit_code_for(ErrorCode code);

// 把任意可流输出的参数拼成字符串：cat("张量 ", name, " 形状 ", n)。
template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

[[noreturn]] void check_failed(const char* file, int line, const char* cond, const std::string& msg);

}  // namespace dsinfer

// 内部不变量检查：始终开启。失败说明是程序错误而不是用户输入错误。
#define DSINFER_CHECK(cond, ...)                                                                  \
  do {                                                                                            \
    if (!(cond)) ::dsinfer::check_failed(__FILE__, __LINE__, #cond, ::dsinfer::cat(__VA_ARGS__)); \
  } while (0)
