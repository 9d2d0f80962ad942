#include "unit/tokenizer/test_tokenizers.h"

#include "tokenizer/byte_level.h"

namespace dsinfer::testing_tokenizers {

nlohmann::json tiny_byte_level() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level::byte_to_char(uint8_t(b))] = b;
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hell"] = 258;
  vocab["hello"] = 259;
  return {{"version", "1.0"},
          {"added_tokens",
           {{{"id", 260}, {"content", "<bos>"}, {"special", true}, {"normalized", false}},
            {{"id", 261}, {"content", "<eos>"}, {"special", true}, {"normalized", false}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer",
           {{"type", "Sequence"},
            {"pretokenizers",
             {{{"type", "Split"},
               {"pattern", {{"Regex", "\\p{L}+|\\s+|\\p{N}|[^\\s\\p{L}\\p{N}]+"}}},
               {"behavior", "Isolated"}},
              {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
          {"post_processor", {{"type", "ByteLevel"}}},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"h e", "l l", "he ll", {"hell", "o"}}}}}};
}

}  // namespace dsinfer::testing_tokenizers
