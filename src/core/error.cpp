#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace dsinfer {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 2;
    case ErrorCode::kIo:
      return 3;
    case ErrorCode::kFormat:
      return 4;
    case ErrorCode::kConfig:
      return 5;
    case ErrorCode::kUnsupported:
      return 6;
    case ErrorCode::kInternal:
      return 10;
  }
  return 1;
}

void check_failed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "内部错误 %s:%d: 检查失败 (%s) %s\n", file, line, cond, msg.c_str());
  std::abort();
}

}  // namespace dsinfer
