// 分词器：首字节选择模式，其余字节为正文。
//   0：正文作为待编码文本交给 DeepSeek-V3 分词器；合法 UTF-8 必须往返一致。
//   1：正文以第一个 NUL 分成 tokenizer.json 与 tokenizer_config.json（没有 NUL 则不带配置）；
//      加载成功后编码、解码、流式解码一段固定文本，再按配置加 BOS 编码。
//   2：正文每个字节映射成一个 id（含负数与越界 id），流式解码的拼接必须等于整体解码。
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz/fuzz_support.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace {

const dsinfer::Tokenizer& fixture() {
  static const dsinfer::Tokenizer kTokenizer = dsinfer::Tokenizer::load(DSINFER_TEST_DATA_DIR "/tokenizer/deepseek-v3");
  return kTokenizer;
}

std::string stream_decode(const dsinfer::Tokenizer& tok, const std::vector<int32_t>& ids) {
  dsinfer::StreamDecoder stream(tok);
  std::string out;
  for (int32_t id : ids) out += stream.push(id);
  return out + stream.flush();
}

void encode_text(std::string_view text) {
  const auto ids = fixture().encode(text);
  if (fixture().decode(ids) != text) dsinfer::fuzz::violated("合法 UTF-8 编码后解码不一致");
}

void load_files(std::string_view body) {
  const auto [tokenizer_json, config_json] = dsinfer::fuzz::split_at_nul(body);
  const dsinfer::Tokenizer tok = dsinfer::Tokenizer::from_json(tokenizer_json, config_json);
  const auto ids = tok.encode("hello 123 你好 <bos> <｜User｜>");
  tok.decode(ids);
  tok.decode(ids, true);
  stream_decode(tok, ids);
  tok.encode("hello", true);
}

void decode_ids(std::string_view body) {
  std::vector<int32_t> ids;
  for (unsigned char c : body) ids.push_back(int32_t(c) * 3 - 50);
  if (stream_decode(fixture(), ids) != fixture().decode(ids)) dsinfer::fuzz::violated("流式解码与整体解码不一致");
}

void dispatch(std::string_view input) {
  if (input.empty()) return;
  const std::string_view body = input.substr(1);
  switch (uint8_t(input[0]) % 3) {
    case 0:
      return encode_text(body);
    case 1:
      return load_files(body);
    default:
      return decode_ids(body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, dispatch);
  return 0;
}
