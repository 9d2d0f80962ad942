#include "monitor/phase_tree.h"

#include <algorithm>

#include "core/error.h"

namespace dsinfer {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kEmbedding:
      return "embedding";
    case Phase::kAttention:
      return "attention";
    case Phase::kMoe:
      return "moe";
    case Phase::kDenseMlp:
      return "dense_mlp";
    case Phase::kLmHead:
      return "lm_head";
    case Phase::kSampling:
      return "sampling";
    case Phase::kMtpDraft:
      return "mtp_draft";
    case Phase::kMtpVerify:
      return "mtp_verify";
    case Phase::kCount:
      break;
  }
  return "?";
}

PhaseTree::PhaseTree() : nodes_{Node{Phase::kCount}}, stack_{0} {}

void PhaseTree::enter(Phase p) {
  const size_t parent = stack_.back();
  for (size_t c : nodes_[parent].children) {
    if (nodes_[c].phase == p) {
      stack_.push_back(c);
      return;
    }
  }
  nodes_.push_back(Node{p});
  nodes_[parent].children.push_back(nodes_.size() - 1);
  stack_.push_back(nodes_.size() - 1);
}

void PhaseTree::leave(double seconds) {
  DSINFER_CHECK(stack_.size() > 1, "PhaseTree::leave 没有对应的 enter");
  Node& n = nodes_[stack_.back()];
  n.calls += 1;
  n.seconds += seconds;
  stack_.pop_back();
  nodes_[stack_.back()].child_seconds += seconds;
}

std::vector<size_t> PhaseTree::children_in_order(size_t i) const {
  std::vector<size_t> c = nodes_[i].children;
  std::sort(c.begin(), c.end(), [&](size_t a, size_t b) { return nodes_[a].phase < nodes_[b].phase; });
  return c;
}

double PhaseTree::total_seconds() const {
  return nodes_[0].child_seconds;
}

}  // namespace dsinfer
