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

// 前缀缓存：登记写满的块，新序列引用相同前缀的块（同一块内存），不同前缀或不完整的块不共享
TEST(KvCache, PublishedFullBlocksAreSharedByEqualPrefixes) {
  KvCache c(1, 2, DType::kF32, 4);
  c.set_pool_blocks(100);
  const std::vector<int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const int32_t a = c.add_sequence();
  c.reserve(a, 10);
  c.set_length(a, 10);
  std::memset(c.row(a, 0, 0), 0x11, 8);
  c.publish(a, tokens);  // 写满的两块（0..7）登记，第三块不满
  const int32_t b = c.add_sequence();
  EXPECT_EQ(c.attach_prefix(b, tokens), 8);
  EXPECT_EQ(c.length(b), 8);
  EXPECT_EQ(c.row(b, 0, 0), c.row(a, 0, 0));  // 同一块内存
  EXPECT_EQ(c.row(b, 0, 7), c.row(a, 0, 7));
  const int32_t d = c.add_sequence();
  EXPECT_EQ(c.attach_prefix(d, std::vector<int32_t>{1, 2, 3, 4, 5, 6, 0, 8}), 4);  // 第二块不同
  const int32_t e = c.add_sequence();
  EXPECT_EQ(c.attach_prefix(e, std::vector<int32_t>{9, 2, 3, 4, 5, 6, 7, 8}), 0);  // 第一块就不同
  EXPECT_EQ(c.attach_prefix(c.add_sequence(), std::vector<int32_t>{1, 2, 3}), 0);  // 不满一块
  // 引用中的块算作已用；全部序列移除后登记的块留作缓存
  EXPECT_EQ(c.used_blocks(), 3);
  for (int32_t s : {a, b, d, e}) c.remove_sequence(s);
  EXPECT_EQ(c.used_blocks(), 0);
  EXPECT_EQ(c.cached_blocks(), 2);
  EXPECT_EQ(c.attach_prefix(c.add_sequence(), tokens), 8);
  EXPECT_EQ(c.cached_blocks(), 0);
}

// 池满时逐出最久未用的缓存块。序列释放块时从尾部开始，所以前缀的后段先于前段被逐出，留下的仍是可用的前缀
TEST(KvCache, CachedBlocksAreEvictedLeastRecentFirst) {
  KvCache c(1, 2, DType::kF32, 2);
  c.set_pool_blocks(2);
  const std::vector<int32_t> x = {1, 2, 3, 4};
  const int32_t a = c.add_sequence();
  c.reserve(a, 4);
  c.set_length(a, 4);
  c.publish(a, x);
  c.remove_sequence(a);
  EXPECT_EQ(c.cached_blocks(), 2);
  // 新序列要 1 块：池（2 块）已被缓存占满，逐出最久未用的（x 的第二块）
  const int32_t b = c.add_sequence();
  c.reserve(b, 2);
  c.set_length(b, 2);
  EXPECT_EQ(c.cached_blocks(), 1);
  c.publish(b, std::vector<int32_t>{7, 7});
  c.remove_sequence(b);
  EXPECT_EQ(c.allocated_bytes(), 2u * 2 * 2 * 4);  // 池没有增长
  const int32_t d = c.add_sequence();
  EXPECT_EQ(c.attach_prefix(d, x), 2);  // 第一块还在
  EXPECT_EQ(c.attach_prefix(c.add_sequence(), std::vector<int32_t>{7, 7}), 2);
  c.remove_sequence(d);
  c.set_pool_blocks(0);
  EXPECT_EQ(c.cached_blocks(), 0);  // 缓存全部逐出；仍被引用的块不受影响
  EXPECT_EQ(c.used_blocks(), 1);
}

}  // namespace
}  // namespace dsinfer
