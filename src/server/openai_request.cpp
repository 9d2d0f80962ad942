#include "server/openai_request.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "server/api_error.h"

namespace dsinfer::server {

namespace {

using nlohmann::json;

json parse_body(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw invalid_request("请求体不是合法的 JSON");
  if (!j.is_object()) throw invalid_request("请求体应是 JSON 对象");
  return j;
}

const json* field(const json& j, const char* name) {
  const auto it = j.find(name);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& j, const char* name, double lo, double hi, double fallback) {
  const json* v = field(j, name);
  if (!v) return fallback;
  if (!v->is_number()) throw invalid_request(cat("字段 ", name, " 应是数字"), name);
  const double x = v->get<double>();
  if (!(x >= lo && x <= hi))
    throw invalid_request(cat("字段 ", name, " 的取值 ", x, " 超出范围 [", lo, ", ", hi, "]"), name);
  return x;
}

std::optional<int64_t> integer(const json& j, const char* name, int64_t lo) {
  const json* v = field(j, name);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) throw invalid_request(cat("字段 ", name, " 应是整数"), name);
  const int64_t x = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : v->get<int64_t>();
  if (x < lo) throw invalid_request(cat("字段 ", name, " 的取值 ", x, " 应 ≥ ", lo), name);
  return x;
}

bool boolean(const json& j, const char* name, bool fallback) {
  const json* v = field(j, name);
  if (!v) return fallback;
  if (!v->is_boolean()) throw invalid_request(cat("字段 ", name, " 应是 true 或 false"), name);
  return v->get<bool>();
}

// 文本内容：字符串，或 [{"type": "text", "text": "..."}] 片段数组（拼接）
std::string text_content(const json& v, const std::string& param) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array()) throw invalid_request(cat("字段 ", param, " 应是字符串或文本片段数组"), param);
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    const json& part = v[i];
    const std::string p = cat(param, "[", i, "]");
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
      throw invalid_request(cat("字段 ", p, " 应是 {\"type\": \"text\", \"text\": 字符串}（本服务只接受文本）"), p);
    out += part["text"].get<std::string>();
  }
  return out;
}

// 两个接口共有的字段
void parse_common(const json& j, ApiRequest& r) {
  if (const json* n = field(j, "n"); n && !(n->is_number_integer() && n->get<int64_t>() == 1))
    throw invalid_request("本服务只支持 n = 1", "n");
  r.max_tokens = integer(j, "max_tokens", 1);
  if (const auto m = integer(j, "max_completion_tokens", 1)) r.max_tokens = m;
  r.sampling.temperature = number(j, "temperature", 0, 2, 1.0);
  r.sampling.top_p = number(j, "top_p", 0, 1, 1.0);
  if (r.sampling.top_p == 0) throw invalid_request("字段 top_p 应 > 0", "top_p");
  r.sampling.top_k = integer(j, "top_k", 0).value_or(0);
  if (const json* s = field(j, "seed")) {
    if (!s->is_number_integer()) throw invalid_request("字段 seed 应是整数", "seed");
    r.sampling.seed = s->is_number_unsigned() ? s->get<uint64_t>() : uint64_t(s->get<int64_t>());
    r.seed_given = true;
  }
  if (const json* s = field(j, "stop")) {
    if (s->is_string()) {
      r.stop.push_back(s->get<std::string>());
    } else if (s->is_array() && s->size() <= 4) {
      for (const json& x : *s) {
        if (!x.is_string()) throw invalid_request("字段 stop 的元素应是字符串", "stop");
        r.stop.push_back(x.get<std::string>());
      }
    } else {
      throw invalid_request("字段 stop 应是字符串或至多 4 个字符串的数组", "stop");
    }
    std::erase_if(r.stop, [](const std::string& x) { return x.empty(); });
  }
  r.stream = boolean(j, "stream", false);
  if (const json* o = field(j, "stream_options")) {
    if (!o->is_object()) throw invalid_request("字段 stream_options 应是对象", "stream_options");
    r.include_usage = boolean(*o, "include_usage", false);
  }
  r.ignore_eos = boolean(j, "ignore_eos", false);
  if (const json* s = field(j, "separate_reasoning")) {
    if (!s->is_boolean()) throw invalid_request("字段 separate_reasoning 应是 true 或 false", "separate_reasoning");
    r.separate_reasoning = s->get<bool>();
  }
}

}  // namespace

ApiRequest parse_chat_request(std::string_view body) {
  const json j = parse_body(body);
  ApiRequest r;
  r.chat = true;
  const json* messages = field(j, "messages");
  if (!messages || !messages->is_array() || messages->empty())
    throw invalid_request("字段 messages 应是非空数组", "messages");
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    const std::string p = cat("messages[", i, "]");
    if (!m.is_object()) throw invalid_request(cat("字段 ", p, " 应是对象"), p);
    const json* role = field(m, "role");
    static const char* kRoles[] = {"system", "developer", "user", "assistant", "tool"};
    if (!role || !role->is_string() ||
        std::none_of(std::begin(kRoles), std::end(kRoles), [&](const char* k) { return *role == k; }))
      throw invalid_request(cat("字段 ", p, ".role 应是 system / developer / user / assistant / tool 之一"),
                            p + ".role");
    ChatMessage msg;
    msg.role = role->get<std::string>() == "developer" ? "system" : role->get<std::string>();
    if (const json* c = field(m, "content")) msg.content = text_content(*c, p + ".content");
    if (const json* calls = field(m, "tool_calls")) {
      if (!calls->is_array()) throw invalid_request(cat("字段 ", p, ".tool_calls 应是数组"), p + ".tool_calls");
      for (const json& c : *calls) {
        const json* fn = c.is_object() ? field(c, "function") : nullptr;
        if (!fn || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string() ||
            !fn->contains("arguments") || !(*fn)["arguments"].is_string())
          throw invalid_request(cat("字段 ", p, ".tool_calls 的元素应有 function.name 与 function.arguments（字符串）"),
                                p + ".tool_calls");
        msg.tool_calls.push_back({"function", (*fn)["name"].get<std::string>(), (*fn)["arguments"].get<std::string>()});
      }
    }
    if (!msg.content && msg.tool_calls.empty()) throw invalid_request(cat("字段 ", p, ".content 缺失"), p + ".content");
    r.messages.push_back(std::move(msg));
  }
  parse_common(j, r);
  return r;
}

ApiRequest parse_completion_request(std::string_view body) {
  const json j = parse_body(body);
  ApiRequest r;
  const json* prompt = field(j, "prompt");
  if (!prompt) throw invalid_request("缺少字段 prompt", "prompt");
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
    r.prompt = (*prompt)[0].get<std::string>();
  } else if (prompt->is_string()) {
    r.prompt = prompt->get<std::string>();
  } else {
    throw invalid_request("字段 prompt 应是字符串（或只含一个字符串的数组）", "prompt");
  }
  if (r.prompt.empty()) throw invalid_request("字段 prompt 为空", "prompt");
  parse_common(j, r);
  return r;
}

}  // namespace dsinfer::server
