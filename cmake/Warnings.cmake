# 所有自有目标共用的告警设置：告警即错误（g++ 12 与 clang 14 都须干净）。
function(dsinfer_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
endfunction()
