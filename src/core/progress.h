// ProgressBar：长时间的字节级工作（读入权重、写出合成模型）在终端上的进度条：已完成 / 总字节、速率、
// 预计剩余时间，用 \r 原地重画，至多每 100 ms 一次，finish 时换行。输出不是终端（管道、文件、测试）时
// 完全不写——进度条只给看着屏幕的人，日志与被捕获的 stderr 里不该出现一堆 \r 行。
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace dsinfer {

// 低层（core、formats）的长时间工作只接受这个回调报告“又完成了多少字节”，不关心如何显示。
using ProgressFn = std::function<void(uint64_t bytes)>;

class ProgressBar {
 public:
  // tty：out 是否是终端（默认按 isatty 判断；测试可直接给 true）。
  ProgressBar(uint64_t total, std::string label, FILE* out, bool tty);
  ProgressBar(uint64_t total, std::string label, FILE* out = stderr);
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // 改为按个数显示（如 unit = "token"）；默认按字节显示
  void count_in(std::string unit) { unit_ = std::move(unit); }
  void add(uint64_t bytes);
  // 画出最终状态并换行（只一次；析构时若未调用则自动调用）
  void finish();
  ProgressFn callback() {
    return [this](uint64_t bytes) { add(bytes); };
  }

  static bool is_terminal(FILE* f);

 private:
  using Clock = std::chrono::steady_clock;
  void draw();

  uint64_t total_, done_ = 0;
  std::string label_, unit_;
  FILE* out_;
  bool tty_, finished_ = false;
  Clock::time_point start_, last_draw_;
};

}  // namespace dsinfer
