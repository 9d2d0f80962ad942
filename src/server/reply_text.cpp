#include "server/reply_text.h"

#include <algorithm>

namespace dsinfer::server {

namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";

// text 的最长后缀，且它是 pattern 的真前缀（可能是 pattern 的开头，要等后续文本确认）
size_t partial_suffix(std::string_view text, std::string_view pattern) {
  for (size_t n = std::min(text.size(), pattern.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == pattern.substr(0, n)) return n;
  return 0;
}

}  // namespace

ReplyText::ReplyText(const Tokenizer& tokenizer, std::vector<std::string> stop, bool split_reasoning,
                     bool starts_in_reasoning)
    : decoder_(tokenizer, true),
      stop_(std::move(stop)),
      split_(split_reasoning),
      mode_(split_reasoning && starts_in_reasoning ? Mode::kReasoning : Mode::kStart),
      strip_leading_(mode_ == Mode::kReasoning) {}

ReplyText::Delta ReplyText::push(int32_t id) {
  if (stopped_) return {};
  return accept(decoder_.push(id), false);
}

ReplyText::Delta ReplyText::finish() {
  if (stopped_) return {};
  Delta out = accept(decoder_.flush(), true);
  return out;
}

ReplyText::Delta ReplyText::accept(const std::string& piece, bool final) {
  Delta out;
  std::string text = held_ + piece;
  held_.clear();
  size_t cut = std::string::npos;
  for (const std::string& s : stop_) cut = std::min(cut, text.find(s));
  if (cut != std::string::npos) {
    stopped_ = true;
    route(text.substr(0, cut), true, out);
    return out;
  }
  size_t keep = 0;
  if (!final)
    for (const std::string& s : stop_) keep = std::max(keep, partial_suffix(text, s));
  held_ = text.substr(text.size() - keep);
  text.resize(text.size() - keep);
  route(std::move(text), final, out);
  return out;
}

void ReplyText::append(std::string text, std::string& total, std::string& delta) {
  if (strip_leading_) {
    const size_t start = text.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) return;
    text.erase(0, start);
    strip_leading_ = false;
  }
  total += text;
  delta += text;
}

void ReplyText::route(std::string text, bool final, Delta& out) {
  if (!split_) {
    content_ += text;
    out.content += text;
    return;
  }
  std::string buf = tag_held_ + text;
  tag_held_.clear();
  for (;;) {
    if (mode_ == Mode::kStart) {
      if (buf.starts_with(kOpen)) {
        buf.erase(0, kOpen.size());
        mode_ = Mode::kReasoning;
        strip_leading_ = true;
        continue;
      }
      if (!final && kOpen.starts_with(buf)) {  // 可能是 <think> 的开头（含空串）
        tag_held_ = buf;
        return;
      }
      mode_ = Mode::kContent;
    }
    if (mode_ == Mode::kReasoning) {
      const size_t pos = buf.find(kClose);
      if (pos != std::string::npos) {
        append(buf.substr(0, pos), reasoning_, out.reasoning);
        buf.erase(0, pos + kClose.size());
        mode_ = Mode::kContent;
        strip_leading_ = true;
        continue;
      }
      const size_t keep = final ? 0 : partial_suffix(buf, kClose);
      tag_held_ = buf.substr(buf.size() - keep);
      buf.resize(buf.size() - keep);
      append(std::move(buf), reasoning_, out.reasoning);
      return;
    }
    append(std::move(buf), content_, out.content);
    return;
  }
}

}  // namespace dsinfer::server
