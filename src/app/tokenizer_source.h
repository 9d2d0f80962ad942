// tokenize / detokenize / template 共用的“从哪里加载分词器”参数：-m DIR 或 --tokenizer FILE，二选一。
#pragma once

#include <string>

#include "app/flags.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer {

struct TokenizerSource {
  std::string model_dir, tokenizer_file;

  void add_flags(FlagSet& flags);
  // 校验二选一并加载；都没给或都给了时抛出 Error(kInvalidArgument)。
  Tokenizer load() const;
};

}  // namespace dsinfer
