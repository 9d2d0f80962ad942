#include "formats/json_text.h"

namespace dsinfer {

nlohmann::json parse_json(std::string_view text, ErrorCode code, const std::string& context) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(code, cat(context, "不是合法的 JSON（", e.what(), "）"));
  }
}

}  // namespace dsinfer
