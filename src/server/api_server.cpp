#include "server/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/error.h"
#include "server/api_error.h"
#include "server/openai_request.h"
#include "server/reply_text.h"

namespace dsinfer::server {

namespace {

using nlohmann::json;

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status();
  res.set_content(error_body(e), "application/json");
}

std::atomic<uint64_t> g_request_counter{0};

std::string request_id(bool chat) {
  return cat(chat ? "chatcmpl-" : "cmpl-", unix_seconds(), "-", ++g_request_counter);
}

}  // namespace

// 一个请求的生成状态。流式响应在 handler 返回之后仍由 httplib 反复调用 content provider，所以放在 shared_ptr 里。
struct ApiServer::Generation {
  Generation(const Tokenizer& tok, std::vector<std::string> stop, bool split, bool in_reasoning)
      : text(tok, std::move(stop), split, in_reasoning) {}
  bool chat = false, split = false, include_usage = false;
  std::string id, model;
  int64_t created = 0;
  std::shared_ptr<RequestChannel> channel;
  ReplyText text;
  int64_t completion_tokens = 0;
  std::string finish;  // 空：尚未结束
  std::unique_ptr<ApiError> error;
  bool sent_role = false;

  // 等下一批 token（至多 timeout），把文本增量并入 delta；超时返回 false
  bool next(ServingEngine& engine, ReplyText::Delta& delta, std::chrono::milliseconds timeout) {
    RequestChannel::Event ev;
    if (!channel->wait(ev, timeout)) return false;
    auto add = [&](const ReplyText::Delta& d) {
      delta.content += d.content;
      delta.reasoning += d.reasoning;
    };
    for (int32_t token : ev.tokens) {
      ++completion_tokens;
      add(text.push(token));
      if (text.stopped()) {
        engine.cancel(channel);  // 命中停止字符串：不再生成
        finish = "stop";
        return true;
      }
    }
    if (!ev.error.empty()) {
      error = std::make_unique<ApiError>(500, "server_error", ev.error);
    } else if (ev.finish == FinishReason::kCancelled) {
      error = std::make_unique<ApiError>(503, "server_error", "服务正在关闭，请求已取消");
    } else if (ev.finish != FinishReason::kNone) {
      add(text.finish());
      finish = ev.finish == FinishReason::kLength ? "length" : "stop";
    }
    return true;
  }

  json usage() const {
    const int64_t p = channel->prompt_tokens();
    return {{"prompt_tokens", p},
            {"completion_tokens", completion_tokens},
            {"total_tokens", p + completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", channel->cached_tokens()}}}};
  }

  json envelope(const char* object) const {
    return {{"id", id}, {"object", object}, {"created", created}, {"model", model}};
  }

  json response() const {
    json j = envelope(chat ? "chat.completion" : "text_completion");
    json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish}};
    if (chat) {
      json message = {{"role", "assistant"}, {"content", text.content()}};
      if (split && !text.reasoning().empty()) message["reasoning_content"] = text.reasoning();
      choice["message"] = message;
    } else {
      choice["text"] = text.content();
    }
    j["choices"] = json::array({choice});
    j["usage"] = usage();
    return j;
  }

  // 流式的一块：delta 为文本增量，finish_reason 为 null 或结束原因
  json chunk(const ReplyText::Delta& d, bool role, const json& finish_reason) const {
    json j = envelope(chat ? "chat.completion.chunk" : "text_completion");
    json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason}};
    if (chat) {
      json delta = json::object();
      if (role) delta["role"] = "assistant";
      if (role || !d.content.empty()) delta["content"] = d.content;
      if (!d.reasoning.empty()) delta["reasoning_content"] = d.reasoning;
      choice["delta"] = delta;
    } else {
      choice["text"] = d.content;
    }
    j["choices"] = json::array({choice});
    if (include_usage) j["usage"] = nullptr;
    return j;
  }
};

ApiServer::ApiServer(ServingEngine& engine, ServerMetrics& metrics, const Tokenizer& tokenizer,
                     const ChatTemplate& chat, const ApiServerOptions& options)
    : engine_(engine),
      metrics_(metrics),
      tokenizer_(tokenizer),
      chat_(chat),
      options_(options),
      http_(std::make_unique<httplib::Server>()) {
  httplib::Server& s = *http_;
  const int threads = std::max(4, options_.http_threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  s.set_payload_max_length(options_.max_body_bytes);
  // 记下监听套接字：bind 之后把 listen 的积压队列调大（库里固定为 5，一批客户端同时连入时多出的连接
  // 要等 SYN 重传，期间服务端的读超时可能先到，客户端收到空响应）
  s.set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_socket_ = int(sock);
  });
  s.set_keep_alive_timeout(30);
  s.set_logger([this](const httplib::Request&, const httplib::Response& res) { metrics_.add_response(res.status); });
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (options_.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + options_.api_key)
      return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, ApiError(401, "authentication_error", "缺少或错误的 API key（Authorization: Bearer <key>）"));
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      send_error(res, ApiError(404, "invalid_request_error", cat("没有这个接口：", req.method, " ", req.path)));
    else if (res.status == 413)
      send_error(res, ApiError(413, "invalid_request_error",
                               cat("请求体超过上限 ", options_.max_body_bytes, " 字节（--max-body-bytes）")));
    else if (res.status == 400)
      send_error(res, ApiError(400, "invalid_request_error", "HTTP 请求格式不对（POST 需要 Content-Length 与请求体）"));
    else
      send_error(res, ApiError(res.status, "invalid_request_error", cat("HTTP ", res.status)));
  });
  s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  s.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    const json model = {{"id", options_.model_id},
                        {"object", "model"},
                        {"created", unix_seconds()},
                        {"owned_by", "dsinfer"},
                        {"context_length", engine_.context_limit()}};
    res.set_content(dump({{"object", "list"}, {"data", json::array({model})}}), "application/json");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.prometheus_text(), "text/plain; version=0.0.4");
  });
  s.Post("/v1/chat/completions",
         [this](const httplib::Request& req, httplib::Response& res) { handle_generate(req.body, true, &res); });
  s.Post("/v1/completions",
         [this](const httplib::Request& req, httplib::Response& res) { handle_generate(req.body, false, &res); });
}

ApiServer::~ApiServer() = default;

int ApiServer::bind() {
  const int port = options_.port == 0 ? http_->bind_to_any_port(options_.host)
                                      : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port < 0)
    throw Error(ErrorCode::kIo, cat("无法监听 ", options_.host, ":", options_.port, "（端口被占用或地址无效？）"));
  if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
  return port;
}

void ApiServer::listen() {
  http_->listen_after_bind();
}

void ApiServer::stop(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (active_.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  http_->stop();
}

void ApiServer::handle_generate(const std::string& body, bool chat, void* response) {
  httplib::Response& res = *static_cast<httplib::Response*>(response);
  // 流式响应在 content provider 的 releaser 里减一
  ++active_;
  struct Active {
    std::atomic<int>* n;
    ~Active() {
      if (n) --*n;
    }
  } active{&active_};
  std::shared_ptr<Generation> g;
  try {
    const ApiRequest r = chat ? parse_chat_request(body) : parse_completion_request(body);
    GenerationRequest request;
    bool in_reasoning = false;
    try {
      if (chat) {
        const std::string prompt = chat_.render(r.messages, true);
        in_reasoning = prompt.ends_with("<think>\n") || prompt.ends_with("<think>");
        request.prompt = tokenizer_.encode(prompt, false);
      } else {
        request.prompt = tokenizer_.encode(r.prompt, tokenizer_.bos_id().has_value());
      }
    } catch (const Error& e) {
      throw invalid_request(e.what(), chat ? "messages" : "prompt");
    }
    request.max_new_tokens = r.max_tokens.value_or(std::numeric_limits<int64_t>::max());
    request.sampling = r.sampling;
    if (!r.seed_given) request.sampling.seed = std::random_device{}();
    request.stop_at_eos = !r.ignore_eos;
    if (tokenizer_.eos_id() && !r.ignore_eos) request.stop_token_ids.push_back(*tokenizer_.eos_id());
    const bool split = chat && r.separate_reasoning.value_or(options_.separate_reasoning);
    g = std::make_shared<Generation>(tokenizer_, r.stop, split, in_reasoning);
    g->chat = chat;
    g->split = split;
    g->include_usage = r.stream && r.include_usage;
    g->id = request_id(chat);
    g->model = options_.model_id;
    g->created = unix_seconds();
    g->channel = engine_.submit(std::move(request));
    if (!r.stream) {
      ReplyText::Delta ignored;
      while (g->finish.empty() && !g->error) g->next(engine_, ignored, std::chrono::milliseconds(1000));
      if (g->error) throw ApiError(*g->error);
      metrics_.add_tokens(g->channel->prompt_tokens(), g->completion_tokens);
      res.set_content(dump(g->response()), "application/json");
      return;
    }
  } catch (const ApiError& e) {
    send_error(res, e);
    return;
  } catch (const std::exception& e) {
    send_error(res, ApiError(500, "server_error", e.what()));
    return;
  }
  active.n = nullptr;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, g](size_t, httplib::DataSink& sink) {
        auto send = [&](const json& j) {
          const std::string line = "data: " + dump(j) + "\n\n";
          return sink.write(line.data(), line.size());
        };
        if (g->chat && !g->sent_role) {
          g->sent_role = true;
          return send(g->chunk({}, true, nullptr));
        }
        ReplyText::Delta d;
        if (!g->next(engine_, d, std::chrono::milliseconds(200))) return true;  // 还没有新 token
        if (!d.empty() && !send(g->chunk(d, false, nullptr))) return false;     // 客户端已断开
        if (g->finish.empty() && !g->error) return true;
        if (g->error) {
          if (!send(json::parse(error_body(*g->error)))) return false;
        } else {
          metrics_.add_tokens(g->channel->prompt_tokens(), g->completion_tokens);
          if (!send(g->chunk({}, false, g->finish))) return false;
          if (g->include_usage) {
            json u = g->envelope(g->chat ? "chat.completion.chunk" : "text_completion");
            u["choices"] = json::array();
            u["usage"] = g->usage();
            if (!send(u)) return false;
          }
        }
        static const std::string kDone = "data: [DONE]\n\n";
        if (!sink.write(kDone.data(), kDone.size())) return false;
        sink.done();
        return true;
      },
      [this, g](bool success) {
        // 客户端中途断开（或服务关闭）：取消序列，立即归还它的 KV 块
        if (!success || (g->finish.empty() && !g->error)) engine_.cancel(g->channel);
        --active_;
      });
}

}  // namespace dsinfer::server
