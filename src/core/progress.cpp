#include "core/progress.h"

#include <unistd.h>

#include <algorithm>

namespace dsinfer {

namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr int kWidth = 24;

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(uint64_t total, std::string label, FILE* out, bool tty)
    : total_(total), label_(std::move(label)), out_(out), tty_(tty), start_(Clock::now()), last_draw_(start_) {}

ProgressBar::ProgressBar(uint64_t total, std::string label, FILE* out)
    : ProgressBar(total, std::move(label), out, is_terminal(out)) {}

bool ProgressBar::is_terminal(FILE* f) {
  return f && ::isatty(::fileno(f)) == 1;
}

void ProgressBar::add(uint64_t bytes) {
  done_ += bytes;
  if (!tty_ || finished_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw();
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!tty_) return;
  draw();
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ProgressBar::draw() {
  const uint64_t done = std::min(done_, total_);
  const double frac = total_ ? double(done) / double(total_) : 1.0;
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = seconds > 0 ? double(done) / seconds : 0.0;
  std::string bar(size_t(kWidth), ' ');
  std::fill_n(bar.begin(), size_t(frac * kWidth), '#');
  std::string eta = "--";
  if (rate > 0) eta = std::to_string((long long)(double(total_ - done) / rate + 0.5)) + "s";
  auto amount = [&](double x) {
    return unit_.empty() ? human_bytes(x) : std::to_string((long long)(x + 0.5)) + " " + unit_;
  };
  // 行尾 \033[K 清掉上一次更长的残留
  std::fprintf(out_, "\r%s [%s] %3d%% %s / %s  %s/s  剩余 %s\033[K", label_.c_str(), bar.c_str(), int(frac * 100),
               amount(double(done)).c_str(), amount(double(total_)).c_str(), amount(rate).c_str(), eta.c_str());
  std::fflush(out_);
}

}  // namespace dsinfer
