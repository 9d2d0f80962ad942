#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace dsinfer::server {

ApiError invalid_request(const std::string& message, const std::string& param) {
  return ApiError(400, "invalid_request_error", message, param);
}

std::string error_body(const ApiError& e) {
  nlohmann::json err = {{"message", e.what()}, {"type", e.type()}, {"code", nullptr}};
  err["param"] = e.param().empty() ? nlohmann::json(nullptr) : nlohmann::json(e.param());
  return nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dsinfer::server
