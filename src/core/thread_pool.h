// 线程池：常驻工作线程 + 调用线程共同执行一个任务，返回前全部完成（fork-join）。
// 为什么自己写：每次前向有上百次同步（每个矩阵乘一次），同步开销必须在微秒级——
// 工作线程先自旋片刻再用 futex（std::atomic::wait）睡眠，既快又不在空闲时占满 CPU。
// 线程安全：同一时刻只允许一个线程调用 run / parallel_for（模型前向是单线程驱动的）。
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace dsinfer {

class ThreadPool {
 public:
  // n_threads 含调用线程；<= 0 表示使用硬件线程数。
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // 每个线程（编号 0..size()-1，0 为调用线程）执行一次 fn(thread_index)。
  void run(const std::function<void(int)>& fn);

  // 把 [0, n) 按 grain 对齐静态均分给各线程，fn(begin, end, thread_index)。
  // 静态划分保证每个输出元素由哪个线程计算与调度无关，结果可复现。
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn, int64_t grain = 1);

 private:
  void worker_loop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

// 静态均分的工具函数：第 i 个（共 parts 个）区间，按 grain 对齐。
void split_range(int64_t n, int parts, int i, int64_t grain, int64_t* begin, int64_t* end);

}  // namespace dsinfer
