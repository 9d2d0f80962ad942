// PhaseTree：嵌套计时的调用树。计时器可以嵌套（如 mtp_verify 的前向里有 attention、moe、lm_head），
// 若各阶段只累加自己的总耗时，父阶段会把子阶段再算一遍，占比之和超过 100%。这里用一个阶段栈记下
// 每次计时发生在哪个父阶段之内：节点按“父节点 + 阶段”区分，自身耗时 = 总耗时 − 直接子节点的总耗时，
// 全部节点的自身耗时之和等于顶层节点的总耗时之和。
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dsinfer {

enum class Phase { kEmbedding, kAttention, kMoe, kDenseMlp, kLmHead, kSampling, kMtpDraft, kMtpVerify, kCount };
const char* phase_name(Phase p);

class PhaseTree {
 public:
  struct Node {
    explicit Node(Phase p) : phase(p) {}
    Phase phase;
    int64_t calls = 0;
    double seconds = 0;        // 总耗时（含嵌套在内的子阶段）
    double child_seconds = 0;  // 直接子节点的总耗时之和
    std::vector<size_t> children;
    double self_seconds() const { return seconds - child_seconds; }
  };

  PhaseTree();
  // 进入阶段 p（成为当前阶段的子节点）；leave 记下这次的总耗时并回到父阶段。二者必须成对、后进先出。
  void enter(Phase p);
  void leave(double seconds);

  // nodes()[0] 是不计时的根，顶层阶段是它的子节点
  const std::vector<Node>& nodes() const { return nodes_; }
  // 节点 i 的子节点，按阶段的枚举顺序（输出稳定，与首次出现的先后无关）
  std::vector<size_t> children_in_order(size_t i) const;
  // 顶层阶段总耗时之和 = 全部节点自身耗时之和
  double total_seconds() const;

 private:
  std::vector<Node> nodes_;
  std::vector<size_t> stack_;  // 当前所在的节点路径，栈底是根
};

}  // namespace dsinfer
