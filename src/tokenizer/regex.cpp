#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

#include "core/error.h"
#include "tokenizer/json_field.h"
#include "tokenizer/unicode.h"

namespace dsinfer {

namespace {

pcre2_code* as_code(void* p) {
  return static_cast<pcre2_code*>(p);
}

// 每个线程一份匹配数据与 JIT 栈：匹配时无需加锁，也不在热路径上分配内存。
struct ThreadMatchState {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  ThreadMatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
  ~ThreadMatchState() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(data);
  }
};

ThreadMatchState& thread_state() {
  thread_local ThreadMatchState state;
  return state;
}

}  // namespace

Regex::Regex(std::string_view pattern, Syntax syntax, const JsonField& field) {
  compile(pattern, syntax, &field);
}

Regex::Regex(std::string_view pattern) {
  compile(pattern, Syntax::kRegex, nullptr);
}

Regex::~Regex() {
  pcre2_code_free(as_code(code_));
}

Regex::Regex(Regex&& other) noexcept : code_(other.code_), jit_(other.jit_) {
  other.code_ = nullptr;
}

void Regex::compile(std::string_view pattern, Syntax syntax, const JsonField* field) {
  // PCRE2_LITERAL 不能与 UCP 同用；字面量也用不到 Unicode 属性。
  const uint32_t options = PCRE2_UTF | (syntax == Syntax::kLiteral ? PCRE2_LITERAL : PCRE2_UCP);
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &error, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    const std::string what =
        cat("正则表达式无法编译（位置 ", offset, "：", reinterpret_cast<const char*>(message), "）: ", pattern);
    DSINFER_CHECK(field != nullptr, what);
    field->fail(what);
  }
  code_ = code;
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  out.clear();
  ThreadMatchState& st = thread_state();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool have_previous = false;
  size_t previous_end = 0;
  while (start <= text.size()) {
    const int rc =
        jit_ ? pcre2_jit_match(as_code(code_), subject, text.size(), start, 0, st.data, st.context)
             : pcre2_match(as_code(code_), subject, text.size(), start, PCRE2_NO_UTF_CHECK, st.data, st.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      throw Error(ErrorCode::kInvalidArgument, cat("正则匹配失败（", reinterpret_cast<const char*>(message), "）"));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
    const size_t b = ov[0], e = ov[1];
    // Oniguruma 的 find_iter：紧跟上一个匹配结尾的空匹配被跳过，起点前进一个字符。
    if (b == e && have_previous && previous_end == e) {
      if (start >= text.size()) break;
      start += unicode::sequence_length(uint8_t(text[start]));
      continue;
    }
    out.emplace_back(b, e);
    have_previous = true;
    previous_end = e;
    start = e;
  }
}

std::string Regex::unicode_version() {
  char buffer[32] = {};
  pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, buffer);
  return buffer;
}

}  // namespace dsinfer
