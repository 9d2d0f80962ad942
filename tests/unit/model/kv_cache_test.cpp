#include "model/kv_cache.h"

#include <gtest/gtest.h>

#include <cstring>

namespace dsinfer {
namespace {

TEST(KvCache, GrowsByBlocksAndCountsBytesExactly) {
  KvCache c(3, 10, DType::kBF16, 4);
  EXPECT_EQ(c.bytes_per_token(), 3u * 10 * 2);
  const int32_t s = c.add_sequence();
  EXPECT_EQ(c.allocated_bytes(), 0u);  // 不按最大上下文预分配
  c.reserve(s, 5);
  EXPECT_EQ(c.allocated_bytes(), 2u * 3 * 4 * 10 * 2);  // 两块
  c.set_length(s, 5);
  EXPECT_EQ(c.used_bytes(), 5u * 60);
  EXPECT_EQ(c.length(s), 5);
  // 行地址：同一层相邻 token 的行连续（块内），跨块由块表给出
  uint8_t* r0 = c.row(s, 1, 0);
  uint8_t* r1 = c.row(s, 1, 1);
  EXPECT_EQ(r1 - r0, 20);
  const kernels::KvRows rows = c.rows(s, 1);
  EXPECT_EQ(rows.row(0), r0);
  EXPECT_EQ(rows.row(4), c.row(s, 1, 4));
  EXPECT_EQ(rows.dtype, DType::kBF16);
}

TEST(KvCache, TruncateReturnsBlocksAndIdsAreReused) {
  KvCache c(1, 2, DType::kF32, 2);
  const int32_t a = c.add_sequence(), b = c.add_sequence();
  c.reserve(a, 6);
  c.set_length(a, 6);
  std::memset(c.row(a, 0, 5), 0x7f, 8);
  c.truncate(a, 3);
  EXPECT_EQ(c.length(a), 3);
  const size_t before = c.allocated_bytes();
  c.reserve(b, 2);  // 复用刚归还的块，池不增长
  EXPECT_EQ(c.allocated_bytes(), before);
  c.remove_sequence(a);
  EXPECT_FALSE(c.has_sequence(a));
  EXPECT_EQ(c.add_sequence(), a);
  EXPECT_EQ(c.length(a), 0);
  EXPECT_TRUE(c.has_sequence(b));
  EXPECT_FALSE(c.has_sequence(-1));
  EXPECT_FALSE(c.has_sequence(99));
}

}  // namespace
}  // namespace dsinfer
