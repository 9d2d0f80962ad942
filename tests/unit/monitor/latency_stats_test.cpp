#include "monitor/latency_stats.h"

#include <gtest/gtest.h>

namespace dsinfer {
namespace {

TEST(LatencySamples, MeanAndNearestRankPercentiles) {
  EXPECT_EQ(LatencySamples().summary().count, 0);
  LatencySamples s;
  for (int i = 100; i >= 1; --i) s.add(double(i));
  const LatencySummary r = s.summary();
  EXPECT_EQ(r.count, 100);
  EXPECT_DOUBLE_EQ(r.mean, 50.5);
  EXPECT_DOUBLE_EQ(r.p50, 50.0);
  EXPECT_DOUBLE_EQ(r.p99, 99.0);
  EXPECT_DOUBLE_EQ(nearest_rank({7.0}, 0.99), 7.0);
  EXPECT_DOUBLE_EQ(nearest_rank({1.0, 2.0}, 0.5), 1.0);
}

}  // namespace
}  // namespace dsinfer
