// ApiServer：OpenAI 兼容的 HTTP 接口（cpp-httplib）。
//   POST /v1/chat/completions、POST /v1/completions（SSE 流式与一次性）、GET /v1/models、GET /health、
//   GET /metrics（Prometheus 文本）。
// 请求由 ServingEngine 调度；每个 HTTP 连接一个线程，等自己请求的事件。错误按 OpenAI 的格式返回
// （server/api_error.h）。设了 api_key 时除 /health 外都要 Authorization: Bearer <key>。
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "server/server_metrics.h"
#include "server/serving_engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace httplib {
class Server;
}

namespace dsinfer::server {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0：任选空闲端口（bind() 返回实际端口）
  std::string api_key;
  size_t max_body_bytes = size_t(16) << 20;  // 更大的请求体返回 413
  bool separate_reasoning = true;            // <think>…</think> 拆到 reasoning_content
  std::string model_id;                      // /v1/models 列出的 id 与响应里的 model
  int http_threads = 64;
};

class ApiServer {
 public:
  ApiServer(ServingEngine& engine, ServerMetrics& metrics, const Tokenizer& tokenizer, const ChatTemplate& chat,
            const ApiServerOptions& options);
  ~ApiServer();

  // 绑定地址与端口，返回实际端口；失败抛出 Error(kIo)
  int bind();
  // 处理请求，直到 stop()
  void listen();
  // 等正在写的响应写完（至多 grace），然后停止监听；listen() 随之返回
  void stop(std::chrono::milliseconds grace);

 private:
  struct Generation;
  void handle_generate(const std::string& body, bool chat, void* response);

  ServingEngine& engine_;
  ServerMetrics& metrics_;
  const Tokenizer& tokenizer_;
  const ChatTemplate& chat_;
  ApiServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::atomic<int> active_{0};  // 尚未写完的生成响应数
  int listen_socket_ = -1;
};

}  // namespace dsinfer::server
