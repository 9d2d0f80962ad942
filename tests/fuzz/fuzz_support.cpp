#include "fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "core/error.h"

namespace dsinfer::fuzz {

void run_parser(const uint8_t* data, size_t size, void (*body)(std::string_view input)) {
  try {
    body(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: 解析器抛出了 dsinfer::Error 以外的异常 %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: 解析器抛出了非 std::exception 的异常\n");
    std::abort();
  }
}

void violated(const char* what) {
  std::fprintf(stderr, "fuzz: 不变量被破坏: %s\n", what);
  std::abort();
}

std::pair<std::string_view, std::string_view> split_at_nul(std::string_view input) {
  const size_t nul = input.find('\0');
  if (nul == std::string_view::npos) return {input, {}};
  return {input.substr(0, nul), input.substr(nul + 1)};
}

}  // namespace dsinfer::fuzz
