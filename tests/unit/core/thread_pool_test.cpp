#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace dsinfer {
namespace {

TEST(ThreadPool, RunsEveryThreadOnce) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3);
  std::vector<std::atomic<int>> hits(3);
  for (int rep = 0; rep < 100; ++rep) pool.run([&](int t) { hits[size_t(t)]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 100);
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 64, 1000}) {
      std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
      pool.parallel_for(
          n,
          [&](int64_t b, int64_t e, int) {
            for (int64_t i = b; i < e; ++i) seen[size_t(i)]++;
          },
          4);
      for (auto& s : seen) EXPECT_EQ(s.load(), 1);
    }
  }
}

TEST(ThreadPool, SplitRangeIsAlignedAndComplete) {
  int64_t prev_end = 0;
  for (int i = 0; i < 3; ++i) {
    int64_t b, e;
    split_range(100, 3, i, 16, &b, &e);
    EXPECT_EQ(b, prev_end);
    EXPECT_EQ(b % 16, 0);
    prev_end = e;
  }
  EXPECT_EQ(prev_end, 100);
}

TEST(ThreadPool, DefaultSizeIsPositive) {
  ThreadPool pool(0);
  EXPECT_GE(pool.size(), 1);
}

}  // namespace
}  // namespace dsinfer
