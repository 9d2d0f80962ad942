// dsinfer chat：交互式对话。每轮把整段对话套用 chat_template 后生成，流式输出回复；各轮共用引擎里的同一个
// 调度器，前缀缓存（prefix_cache）让历史部分直接引用上一轮的 KV 块，只预填充新的一轮；
// /reset 清空对话，/exit（或输入结束）退出。对话超出上下文上限时这一轮报错并撤回，对话保留（可 /reset）。
#include <cstdio>
#include <iostream>
#include <string>

#include "app/context_note.h"
#include "app/engine_flags.h"
#include "app/flags.h"
#include "app/sampling_flags.h"
#include "core/error.h"
#include "runtime/engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer {

int cmd_chat(int argc, char** argv) {
  FlagSet flags("chat", "交互式对话（流式输出）。输入 /reset 清空对话，/exit 退出。");
  EngineFlags ef;
  ef.add_to(flags);
  ef.add_ctx_alias(flags);
  std::string system;
  int64_t n = 256;
  flags.add_string("--system", &system, "系统提示");
  flags.add_int("-n,--n-predict", &n, "每轮回复最多生成的 token 数（默认 256）");
  SamplingFlags sf;
  sf.add_to(flags);
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (n < 1) throw Error(ErrorCode::kInvalidArgument, cat("参数 -n 的取值 ", n, " 非法（应 ≥ 1）"));
  const Tokenizer tok = Tokenizer::load(ef.model_dir);
  const ChatTemplate tmpl = ChatTemplate::load(ef.model_dir);
  Engine engine(ef.model_dir, ef.resolve());
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.emplace_back("system", system);
  const size_t base = messages.size();
  std::string line;
  uint64_t turn = 0;
  for (;;) {
    std::printf("> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (line == "/reset") {
      messages.resize(base);
      std::printf("（对话已清空）\n");
      continue;
    }
    if (line.empty()) continue;
    messages.emplace_back("user", line);
    GenerationRequest req;
    req.prompt = tok.encode(tmpl.render(messages, true), false);
    req.max_new_tokens = n;
    req.sampling = sf.params(turn++);
    if (tok.eos_id()) req.stop_token_ids.push_back(*tok.eos_id());
    StreamDecoder decoder(tok, true);
    ContextNote note(1);
    std::vector<std::vector<int32_t>> reply;
    try {
      reply = engine.generate(
          {req},
          [&](size_t, int32_t id) {
            const std::string piece = decoder.push(id);
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
          },
          note.callback());
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kInvalidArgument) throw;
      std::fprintf(stderr, "%s（输入 /reset 清空对话）\n", e.what());
      messages.pop_back();
      continue;
    }
    std::printf("%s\n", decoder.flush().c_str());
    note.report(reply, n, engine.context_limit());
    messages.emplace_back("assistant", tok.decode(reply[0], true));
  }
  ef.report(engine.monitor());
  return 0;
}

}  // namespace dsinfer
