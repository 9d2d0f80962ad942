// 命令行参数表：每个子命令把自己的参数声明一次（名字、目标变量、说明），
// 解析、校验与帮助文本都由这一张表生成（参考 gemma.cpp 的 ArgsBase 思路）。
// 错误（未知参数、缺值、数字不合法、缺少必填参数）抛出 Error(kInvalidArgument) 并点名参数。
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dsinfer {

class FlagSet {
 public:
  explicit FlagSet(std::string command, std::string summary);

  // names 形如 "-m,--model"；required 的参数缺失时 parse 报错。
  void add_string(const std::string& names, std::string* target, const std::string& help, bool required = false);
  void add_int(const std::string& names, int64_t* target, const std::string& help, bool required = false);
  void add_float(const std::string& names, double* target, const std::string& help);
  void add_bool(const std::string& names, bool* target, const std::string& help);
  // 自定义处理器：value 为参数值（原样字符串），由 handler 校验并抛出带参数名的错误。
  void add_custom(const std::string& names, const std::string& metavar, const std::string& help,
                  std::function<void(const std::string& flag, const std::string& value)> handler);

  // 解析 argv[begin..argc)；遇到 -h/--help 时返回 false（调用者打印 help()）。
  bool parse(int argc, char** argv, int begin);
  // 某参数是否在命令行上出现过（按主名，即最长的名字）。
  bool seen(const std::string& name) const;
  std::string help() const;

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string metavar, help;
    bool takes_value = true, required = false, seen = false;
    std::function<void(const std::string& flag, const std::string& value)> set;
  };
  Flag& add(const std::string& names, const std::string& metavar, const std::string& help);
  Flag* find(const std::string& name);

  std::string command_, summary_;
  std::vector<Flag> flags_;
};

// "1,2,3" → {1,2,3}；不合法时抛出 Error 并点名 flag。
std::vector<int32_t> parse_id_list(const std::string& flag, const std::string& text);
int64_t parse_int(const std::string& flag, const std::string& text);
double parse_float(const std::string& flag, const std::string& text);

}  // namespace dsinfer
