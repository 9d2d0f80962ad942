#include "app/flags.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "core/error.h"

namespace dsinfer {

namespace {
std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  std::stringstream ss(names);
  std::string n;
  while (std::getline(ss, n, ',')) out.push_back(n);
  return out;
}
}  // namespace

int64_t parse_int(const std::string& flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw Error(ErrorCode::kInvalidArgument, cat("参数 ", flag, " 的取值 '", text, "' 不是整数"));
  return v;
}

double parse_float(const std::string& flag, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw Error(ErrorCode::kInvalidArgument, cat("参数 ", flag, " 的取值 '", text, "' 不是数字"));
  return v;
}

std::vector<int32_t> parse_id_list(const std::string& flag, const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    const int64_t v = parse_int(flag, item);
    if (v < 0 || v > INT32_MAX)
      throw Error(ErrorCode::kInvalidArgument, cat("参数 ", flag, " 中的 token id ", v, " 超出范围"));
    ids.push_back(int32_t(v));
  }
  if (ids.empty()) throw Error(ErrorCode::kInvalidArgument, cat("参数 ", flag, " 不能为空"));
  return ids;
}

FlagSet::FlagSet(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

FlagSet::Flag& FlagSet::add(const std::string& names, const std::string& metavar, const std::string& help) {
  Flag f;
  f.names = split_names(names);
  f.metavar = metavar;
  f.help = help;
  flags_.push_back(std::move(f));
  return flags_.back();
}

void FlagSet::add_string(const std::string& names, std::string* target, const std::string& help, bool required) {
  Flag& f = add(names, "S", help);
  f.required = required;
  f.set = [target](const std::string&, const std::string& v) { *target = v; };
}

void FlagSet::add_int(const std::string& names, int64_t* target, const std::string& help, bool required) {
  Flag& f = add(names, "N", help);
  f.required = required;
  f.set = [target](const std::string& flag, const std::string& v) { *target = parse_int(flag, v); };
}

void FlagSet::add_float(const std::string& names, double* target, const std::string& help) {
  Flag& f = add(names, "X", help);
  f.set = [target](const std::string& flag, const std::string& v) { *target = parse_float(flag, v); };
}

void FlagSet::add_bool(const std::string& names, bool* target, const std::string& help) {
  Flag& f = add(names, "", help);
  f.takes_value = false;
  f.set = [target](const std::string&, const std::string&) { *target = true; };
}

void FlagSet::add_custom(const std::string& names, const std::string& metavar, const std::string& help,
                         std::function<void(const std::string&, const std::string&)> handler) {
  Flag& f = add(names, metavar, help);
  f.set = std::move(handler);
}

FlagSet::Flag* FlagSet::find(const std::string& name) {
  for (auto& f : flags_)
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) return &f;
  return nullptr;
}

bool FlagSet::parse(int argc, char** argv, int begin) {
  for (int i = begin; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return false;
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      const size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    }
    Flag* f = find(arg);
    if (!f)
      throw Error(ErrorCode::kInvalidArgument,
                  cat("未知参数 '", arg, "'（dsinfer ", command_, " --help 查看可用参数）"));
    if (f->takes_value && !has_inline) {
      if (i + 1 >= argc) throw Error(ErrorCode::kInvalidArgument, cat("参数 ", arg, " 缺少取值"));
      value = argv[++i];
    } else if (!f->takes_value && has_inline) {
      throw Error(ErrorCode::kInvalidArgument, cat("参数 ", arg, " 不接受取值"));
    }
    f->set(arg, value);
    f->seen = true;
  }
  for (const auto& f : flags_)
    if (f.required && !f.seen)
      throw Error(ErrorCode::kInvalidArgument,
                  cat("缺少必填参数 ", f.names.back(), "（dsinfer ", command_, " --help）"));
  return true;
}

bool FlagSet::seen(const std::string& name) const {
  for (const auto& f : flags_)
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end()) return f.seen;
  return false;
}

std::string FlagSet::help() const {
  std::ostringstream os;
  os << "用法: dsinfer " << command_ << " [参数]\n" << summary_ << "\n\n参数:\n";
  for (const auto& f : flags_) {
    std::string n;
    for (size_t i = 0; i < f.names.size(); ++i) n += (i ? ", " : "") + f.names[i];
    if (f.takes_value) n += " " + f.metavar;
    os << "  " << n;
    if (n.size() < 28)
      os << std::string(28 - n.size(), ' ');
    else
      os << "\n" << std::string(30, ' ');
    os << f.help << (f.required ? "（必填）" : "") << "\n";
  }
  return os.str();
}

}  // namespace dsinfer
