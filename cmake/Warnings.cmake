# 所有自有目标共用的告警设置：告警即错误（g++ 12 与 clang 14 都须干净）。
# -Wno-restrict 仅对 GCC：g++ 12 在 -O3 下对 std::string 拼接误报 -Wrestrict（GCC bug 105651）。
function(dsinfer_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
endfunction()
