#include "app/tokenizer_source.h"

#include "core/error.h"

namespace dsinfer {

void TokenizerSource::add_flags(FlagSet& flags) {
  flags.add_string("-m,--model", &model_dir, "模型目录（含 tokenizer.json 与 tokenizer_config.json）");
  flags.add_string("--tokenizer", &tokenizer_file, "tokenizer.json 文件（代替 -m）");
}

Tokenizer TokenizerSource::load() const {
  if (model_dir.empty() == tokenizer_file.empty())
    throw Error(ErrorCode::kInvalidArgument, "须且只能给出 -m DIR 与 --tokenizer FILE 之一");
  return Tokenizer::load(model_dir.empty() ? tokenizer_file : model_dir);
}

}  // namespace dsinfer
