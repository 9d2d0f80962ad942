// 所有 fuzz 目标共用的约定：解析器面对任意字节只允许抛出 dsinfer::Error（用户输入错误）。
// 其他异常、崩溃、消毒器报告、超时都算解析器的缺陷——这里把“其他异常”变成 abort，
// 让 libFuzzer 记录崩溃输入，也让 g++ 下的回放测试失败。
// 同一份目标源码既链接 libFuzzer（clang，make fuzz），也链接 replay_main.cpp（make test 回放语料）。
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace dsinfer::fuzz {

// 调用 body(输入)，吞下 dsinfer::Error，其余异常打印类型与消息后 abort。
void run_parser(const uint8_t* data, size_t size, void (*body)(std::string_view input));

// 不变量被破坏（解析成功却给出自相矛盾的结果）：打印原因并 abort。
[[noreturn]] void violated(const char* what);

// 以第一个 NUL 字节把输入分成两段（JSON / TOML 文本里不会出现裸 NUL）；没有 NUL 时第二段为空。
std::pair<std::string_view, std::string_view> split_at_nul(std::string_view input);

}  // namespace dsinfer::fuzz
