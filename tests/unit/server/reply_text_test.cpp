// 回复文本的增量：停止字符串（跨 token 边界、扣住可能的开头）、<think> 拆分、UTF-8 完整性。
#include "server/reply_text.h"

#include <gtest/gtest.h>

namespace dsinfer::server {
namespace {

const std::string kTokenizer = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";

class ReplyTextTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { tok_ = new Tokenizer(Tokenizer::load(kTokenizer)); }
  static void TearDownTestSuite() { delete tok_; }

  // 逐 token 推入 text 的编码，返回 (各次增量拼接, 最终状态)
  struct Run {
    std::string content, reasoning;
    std::vector<std::string> pieces;  // 每次非空的 content 增量
    bool stopped = false;
    size_t pushed = 0;
  };
  Run feed(const std::string& text, std::vector<std::string> stop, bool split, bool in_reasoning = false) {
    ReplyText r(*tok_, std::move(stop), split, in_reasoning);
    Run out;
    for (int32_t id : tok_->encode(text, false)) {
      if (r.stopped()) break;
      ++out.pushed;
      const ReplyText::Delta d = r.push(id);
      out.content += d.content;
      out.reasoning += d.reasoning;
      if (!d.content.empty()) out.pieces.push_back(d.content);
    }
    const ReplyText::Delta d = r.finish();
    out.content += d.content;
    out.reasoning += d.reasoning;
    out.stopped = r.stopped();
    EXPECT_EQ(out.content, r.content());
    EXPECT_EQ(out.reasoning, r.reasoning());
    return out;
  }
  static Tokenizer* tok_;
};
Tokenizer* ReplyTextTest::tok_ = nullptr;

TEST_F(ReplyTextTest, WithoutStopOrSplitTheTextIsUnchanged) {
  const std::string text = "天下大事，分久必合。It is a truth <think>x</think>";
  const Run r = feed(text, {}, false);
  EXPECT_EQ(r.content, text);
  EXPECT_TRUE(r.reasoning.empty());
  EXPECT_FALSE(r.stopped);
}

TEST_F(ReplyTextTest, StopStringEndsTheTextAndIsNotIncluded) {
  const Run r = feed("one two three. four five", {"three.", "zzz"}, false);
  EXPECT_EQ(r.content, "one two ");
  EXPECT_TRUE(r.stopped);
  // 停止字符串之后的 token 不再需要
  EXPECT_LT(r.pushed, tok_->encode("one two three. four five", false).size());
}

TEST_F(ReplyTextTest, PossibleStopPrefixIsHeldUntilDecided) {
  // "thr" 可能是 "three" 的开头：在看到 "ow" 之前不能发出
  const Run r = feed("I throw three", {"three"}, false);
  EXPECT_EQ(r.content, "I throw ");
  for (const std::string& p : r.pieces) EXPECT_EQ(p.find("three"), std::string::npos) << p;
  // 没有命中时扣住的文本在结束时发出
  const Run none = feed("I thr", {"three"}, false);
  EXPECT_EQ(none.content, "I thr");
  EXPECT_FALSE(none.stopped);
}

TEST_F(ReplyTextTest, ChineseStopStringAcrossTokens) {
  const Run r = feed("天下大事，分久必合，合久必分。", {"合久"}, false);
  EXPECT_EQ(r.content, "天下大事，分久必合，");
  EXPECT_TRUE(r.stopped);
}

TEST_F(ReplyTextTest, ThinkBlockGoesToReasoning) {
  const Run r = feed("<think>\n先想一想。\n</think>\n\n答案是 4。", {}, true);
  EXPECT_EQ(r.reasoning, "先想一想。\n");
  EXPECT_EQ(r.content, "答案是 4。");
  // 提示已以 <think>\n 结尾：输出从推理内容开始
  const Run started = feed("想好了</think>好的", {}, true, true);
  EXPECT_EQ(started.reasoning, "想好了");
  EXPECT_EQ(started.content, "好的");
  // 不以 <think> 开头的回复全部是 content
  const Run plain = feed("直接回答 <think> 不是标签", {}, true);
  EXPECT_EQ(plain.content, "直接回答 <think> 不是标签");
  EXPECT_TRUE(plain.reasoning.empty());
  // 推理没有结束（被截断）：已生成的全部算推理内容
  const Run cut = feed("<think>还在想", {}, true);
  EXPECT_EQ(cut.reasoning, "还在想");
  EXPECT_TRUE(cut.content.empty());
}

TEST_F(ReplyTextTest, StopStringInsideReasoning) {
  const Run r = feed("<think>abc STOP def</think>xyz", {"STOP"}, true);
  EXPECT_EQ(r.reasoning, "abc ");
  EXPECT_TRUE(r.content.empty());
  EXPECT_TRUE(r.stopped);
}

}  // namespace
}  // namespace dsinfer::server
