// dsinfer run：由提示生成续写。--ids 给 token id 时打印生成的 id（逗号分隔，每个请求一行）；
// -p / -f 给文本时用模型目录中的分词器编码（--chat 先套用 chat_template），打印文本，--stream 边生成边输出。
#include <cstdio>
#include <string>

#include "app/context_note.h"
#include "app/engine_flags.h"
#include "app/flags.h"
#include "app/sampling_flags.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "runtime/engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer {

int cmd_run(int argc, char** argv) {
  FlagSet flags("run", "从提示生成续写：--ids 打印生成的 token id；-p / -f 打印文本（--stream 流式输出）。");
  EngineFlags ef;
  ef.add_to(flags);
  ef.add_ctx_alias(flags);
  std::string ids, prompt, prompt_file;
  int64_t n = 32, batch = 1;
  bool ignore_eos = false, stream = false, chat = false;
  flags.add_string("--ids", &ids, "提示的 token id，如 1,2,3");
  flags.add_string("-p,--prompt", &prompt, "文本提示（用模型目录中的 tokenizer.json 编码）");
  flags.add_string("-f,--file", &prompt_file, "从文件读取文本提示");
  flags.add_bool("--chat", &chat, "把文本提示作为一轮用户消息，套用 chat_template");
  flags.add_bool("--stream", &stream, "边生成边输出文本（只对文本提示、--batch 1 有效）");
  flags.add_int("-n,--n-predict", &n, "最多生成的 token 数（默认 32）");
  SamplingFlags sf;
  sf.add_to(flags);
  flags.add_int("--batch", &batch, "把同一提示复制成 B 条序列并行生成（种子依次 +1）");
  flags.add_bool("--ignore-eos", &ignore_eos, "遇到 EOS 不停止");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  const int sources = !ids.empty() + !prompt.empty() + !prompt_file.empty();
  if (sources != 1) throw Error(ErrorCode::kInvalidArgument, "--ids、-p、-f 必须且只能给一个");
  if (n < 0) throw Error(ErrorCode::kInvalidArgument, cat("参数 -n 的取值 ", n, " 非法（应 ≥ 0）"));
  if (batch < 1) throw Error(ErrorCode::kInvalidArgument, cat("参数 --batch 的取值 ", batch, " 非法（应 ≥ 1）"));
  if (chat && !ids.empty()) throw Error(ErrorCode::kInvalidArgument, "--chat 只能与文本提示（-p / -f）一起用");

  GenerationRequest req;
  req.max_new_tokens = n;
  req.sampling = sf.params();
  req.stop_at_eos = !ignore_eos;
  std::unique_ptr<Tokenizer> tok;
  if (!ids.empty()) {
    req.prompt = parse_id_list("--ids", ids);
  } else {
    if (!prompt_file.empty()) prompt = read_text_file(prompt_file);
    tok = std::make_unique<Tokenizer>(Tokenizer::load(ef.model_dir));
    if (chat) {
      const ChatTemplate tmpl = ChatTemplate::load(ef.model_dir);
      req.prompt = tok->encode(tmpl.render({ChatMessage("user", prompt)}, true), false);
    } else {
      req.prompt = tok->encode(prompt, tok->bos_id().has_value());
    }
    if (tok->eos_id() && !ignore_eos) req.stop_token_ids.push_back(*tok->eos_id());
  }

  Engine engine(ef.model_dir, ef.resolve());
  const std::vector<GenerationRequest> reqs(size_t(batch), req);
  ContextNote note(reqs.size());
  if (!tok) {
    const auto results = engine.generate(reqs, nullptr, note.callback());
    for (const auto& r : results) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        if (i) line += ',';
        line += std::to_string(r[i]);
      }
      std::printf("%s\n", line.c_str());
    }
    note.report(results, n, engine.context_limit());
    ef.report(engine.monitor());
    return 0;
  }
  if (!chat) std::printf("%s", prompt.c_str());
  if (stream && batch == 1) {
    StreamDecoder decoder(*tok, true);
    const auto results = engine.generate(
        reqs,
        [&](size_t, int32_t id) {
          const std::string piece = decoder.push(id);
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
        },
        note.callback());
    const std::string rest = decoder.flush();
    std::printf("%s\n", rest.c_str());
    note.report(results, n, engine.context_limit());
  } else {
    const auto results = engine.generate(reqs, nullptr, note.callback());
    for (size_t i = 0; i < results.size(); ++i) {
      if (i && !chat) std::printf("%s", prompt.c_str());
      std::printf("%s\n", tok->decode(results[i], true).c_str());
    }
    note.report(results, n, engine.context_limit());
  }
  ef.report(engine.monitor());
  return 0;
}

}  // namespace dsinfer
