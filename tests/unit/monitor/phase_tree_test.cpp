#include "monitor/phase_tree.h"

#include <gtest/gtest.h>

namespace dsinfer {
namespace {

// 同一阶段出现在不同父阶段之下是不同的节点；自身耗时之和等于顶层总耗时之和。
TEST(PhaseTree, SamePhaseUnderDifferentParents) {
  PhaseTree t;
  t.enter(Phase::kAttention);
  t.leave(1.0);
  t.enter(Phase::kMtpDraft);
  t.enter(Phase::kAttention);
  t.leave(0.25);
  t.enter(Phase::kAttention);
  t.leave(0.25);
  t.leave(2.0);
  ASSERT_EQ(t.nodes().size(), 4u);
  const auto top = t.children_in_order(0);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(t.nodes()[top[0]].phase, Phase::kAttention);
  const PhaseTree::Node& draft = t.nodes()[top[1]];
  EXPECT_EQ(draft.phase, Phase::kMtpDraft);
  EXPECT_DOUBLE_EQ(draft.self_seconds(), 1.5);
  const PhaseTree::Node& inner = t.nodes()[draft.children.at(0)];
  EXPECT_EQ(inner.calls, 2);
  EXPECT_DOUBLE_EQ(inner.seconds, 0.5);
  double self = 0;
  for (size_t i = 1; i < t.nodes().size(); ++i) self += t.nodes()[i].self_seconds();
  EXPECT_DOUBLE_EQ(self, t.total_seconds());
  EXPECT_DOUBLE_EQ(t.total_seconds(), 3.0);
}

}  // namespace
}  // namespace dsinfer
