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
