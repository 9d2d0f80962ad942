#include "e2e/cli.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dsinfer::testing_support {

ScratchDir::ScratchDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dsinfer-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp 失败");
  path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

namespace {
// 子进程中执行 dsinfer（不返回；exec 失败时以 127 退出）
[[noreturn]] void exec_dsinfer(const std::vector<std::string>& args) {
  std::string binary = DSINFER_BINARY;
  std::vector<std::string> copy = args;
  std::vector<char*> argv{binary.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(binary.c_str(), argv.data());
  ::_exit(127);
}
}  // namespace

CliResult run_cli(const std::vector<std::string>& args, const std::string& input) {
  ScratchDir d;
  write_text(d.file("in"), input);
  const int out_fd = ::open(d.file("out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = ::open(d.file("err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in_fd = ::open(d.file("in").c_str(), O_RDONLY);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    exec_dsinfer(args);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out_fd);
  ::close(err_fd);
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(d.file("out"));
  r.err = read_file(d.file("err"));
  return r;
}

CliResult run_cli_on_terminal(const std::vector<std::string>& args) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) throw std::runtime_error("forkpty 失败");
  if (pid == 0) {
    exec_dsinfer(args);
  }
  CliResult r;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) r.out.append(buf, size_t(n));  // 子进程退出后 EIO
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

CliResult run_cli(const std::string& args) {
  std::istringstream in(args);
  std::vector<std::string> v;
  for (std::string a; in >> a;) v.push_back(a);
  return run_cli(v);
}

}  // namespace dsinfer::testing_support
