#!/usr/bin/env bash
# 在全新的 Debian 12 上安装构建与测试 dsinfer 所需的全部系统包（需要 root 或 sudo）。
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config make git
  nlohmann-json3-dev libtomlplusplus-dev libpcre2-dev libutf8proc-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev gcovr clang-format
  clang libclang-rt-dev
)
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
# 服务端的端到端测试用官方 openai 客户端（npm 包，版本锁定在 tests/server/package-lock.json）
if ! command -v npm > /dev/null; then
  $sudo apt-get install -y -qq --no-install-recommends nodejs npm
fi
(cd "$(dirname "$0")/../tests/server" && npm ci --no-audit --no-fund --loglevel=error)
