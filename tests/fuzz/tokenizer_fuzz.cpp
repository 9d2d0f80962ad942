// libFuzzer 目标：任意字节作为 (a) 待编码文本、(b) tokenizer.json 内容、(c) 待解码的 id 序列。
// 只允许抛出 dsinfer::Error；崩溃、越界与其他异常都算失败。仅在 clang 下构建（-fsanitize=fuzzer）。
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace {

const dsinfer::Tokenizer& fixture() {
  static const dsinfer::Tokenizer kTokenizer = dsinfer::Tokenizer::load(DSINFER_TEST_DATA_DIR "/tokenizer/deepseek-v3");
  return kTokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        const auto ids = fixture().encode(body);
        if (fixture().decode(ids) != body) __builtin_trap();  // 合法 UTF-8 必须往返一致
        break;
      }
      case 1:
        dsinfer::Tokenizer::from_json(body).encode("hello 123 你好");
        break;
      case 2: {
        dsinfer::StreamDecoder stream(fixture());
        std::string streamed;
        std::vector<int32_t> ids;
        for (unsigned char c : body) ids.push_back(int32_t(c) * 3 - 50);
        for (int32_t id : ids) streamed += stream.push(id);
        streamed += stream.flush();
        if (streamed != fixture().decode(ids)) __builtin_trap();
        break;
      }
    }
  } catch (const dsinfer::Error&) {
  }
  return 0;
}
