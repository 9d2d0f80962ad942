// ApiError：返回给 HTTP 客户端的错误，按 OpenAI 的错误格式：
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "messages", "code": null}}
// status 是 HTTP 状态码（400 请求不合法、401 未授权、404 路径或模型不存在、413 请求体过大、
// 429 / 503 排队已满或正在关闭、500 内部错误）。
#pragma once

#include <stdexcept>
#include <string>

namespace dsinfer::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, const std::string& message, std::string param = "")
      : std::runtime_error(message), status_(status), type_(std::move(type)), param_(std::move(param)) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }
  const std::string& param() const { return param_; }

 private:
  int status_;
  std::string type_, param_;
};

// 400：请求体或字段不合法（param 为字段名）
ApiError invalid_request(const std::string& message, const std::string& param = "");
// OpenAI 错误格式的 JSON 文本
std::string error_body(const ApiError& e);

}  // namespace dsinfer::server
