// dsinfer serve：OpenAI 兼容的 HTTP 服务（docs/server.md）。默认只监听本机回环地址。
// SIGINT / SIGTERM：不再接受新请求，等在途请求完成（至多 --shutdown-grace 秒，之后取消），退出码 0。
// 信号在创建任何线程之前屏蔽，由主线程 sigwait 等待，所以信号处理不受异步信号安全的限制。
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "app/engine_flags.h"
#include "app/flags.h"
#include "core/error.h"
#include "runtime/engine.h"
#include "server/api_server.h"
#include "server/serving_engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer {

int cmd_serve(int argc, char** argv) {
  FlagSet flags("serve",
                "OpenAI 兼容的 HTTP 服务：/v1/chat/completions、/v1/completions、/v1/models、/health、/metrics");
  EngineFlags ef;
  ef.add_to(flags);
  ef.add_ctx_alias(flags);
  server::ApiServerOptions api;
  server::ServingOptions serving;
  int64_t port = api.port, parallel = 0, max_body = int64_t(api.max_body_bytes), grace = 30;
  bool reasoning_inline = false;
  flags.add_string("--host", &api.host, "监听地址（默认 127.0.0.1，只接受本机连接）");
  flags.add_int("--port", &port, "端口（默认 8080；0 = 任选空闲端口，启动时打印）");
  flags.add_string("--api-key", &api.api_key, "设置后除 /health 外的请求都要带 Authorization: Bearer <key>");
  flags.add_int("--parallel", &parallel, "同时解码的最多序列数（默认取 max_batch）");
  flags.add_int("--max-queue", &serving.max_queue, "等待 KV 空间的请求数上限，超过返回 503（默认 256）");
  flags.add_int("--kv-pool-tokens", &serving.kv_pool_tokens,
                "KV 池容量（token，所有请求共享；默认 并行数 × 上下文上限）");
  flags.add_int("--max-body-bytes", &max_body, "请求体上限（字节，默认 16 MiB，超过返回 413）");
  flags.add_string("--model-id", &api.model_id, "/v1/models 列出的模型 id（默认取模型目录名）");
  flags.add_bool("--reasoning-inline", &reasoning_inline,
                 "<think>…</think> 留在 content 里（默认拆到 reasoning_content，与 DeepSeek API 相同）");
  flags.add_int("--shutdown-grace", &grace, "收到 SIGINT / SIGTERM 后等在途请求完成的秒数（默认 30）");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (port < 0 || port > 65535) throw Error(ErrorCode::kInvalidArgument, cat("参数 --port 的取值 ", port, " 非法"));
  if (max_body < 1) throw Error(ErrorCode::kInvalidArgument, cat("参数 --max-body-bytes 的取值 ", max_body, " 非法"));
  if (grace < 0) throw Error(ErrorCode::kInvalidArgument, cat("参数 --shutdown-grace 的取值 ", grace, " 非法"));
  api.port = int(port);
  api.max_body_bytes = size_t(max_body);
  api.separate_reasoning = !reasoning_inline;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // 客户端断开时写套接字得到 EPIPE，而不是进程被杀

  OptimizationConfig config = ef.resolve();
  if (parallel != 0) {
    if (parallel < 1) throw Error(ErrorCode::kInvalidArgument, cat("参数 --parallel 的取值 ", parallel, " 非法"));
    config.max_batch = parallel;
  }
  serving.parallel = config.max_batch;
  if (api.model_id.empty()) api.model_id = std::filesystem::path(ef.model_dir).lexically_normal().filename().string();
  if (api.model_id.empty())
    api.model_id = std::filesystem::path(ef.model_dir).lexically_normal().parent_path().filename().string();
  api.http_threads = int(std::min<int64_t>(serving.parallel + serving.max_queue + 8, 1024));

  const Tokenizer tokenizer = Tokenizer::load(ef.model_dir);
  const ChatTemplate chat = ChatTemplate::load(ef.model_dir);
  Engine engine(ef.model_dir, config);
  server::ServerMetrics metrics;
  server::ServingEngine generation(engine, serving, metrics);
  server::ApiServer http(generation, metrics, tokenizer, chat, api);
  const int bound = http.bind();
  std::fprintf(stderr, "dsinfer serve：监听 http://%s:%d（模型 %s，并行 %lld，上下文上限 %lld，KV 池 %lld 块）\n",
               api.host.c_str(), bound, api.model_id.c_str(), (long long)serving.parallel,
               (long long)generation.context_limit(), (long long)generation.kv_pool_blocks());
  std::thread listener([&] { http.listen(); });
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "收到 %s：不再接受新请求，等在途请求完成（至多 %lld 秒）\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM", (long long)grace);
  generation.shutdown(std::chrono::seconds(grace));
  http.stop(std::chrono::seconds(5));
  listener.join();
  ef.report(engine.monitor());
  std::fprintf(stderr, "已停止\n");
  return 0;
}

}  // namespace dsinfer
