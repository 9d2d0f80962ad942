// dsinfer 分词器的编码吞吐：与 hf_bench.mjs 读同一份语料（每行 {"text"}）、逐段编码，报告多轮中位数 MB/s。
// 用法：tokenizer_bench MODEL_DIR_OR_TOKENIZER_JSON CORPUS.jsonl [轮数]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "用法: tokenizer_bench MODEL_DIR CORPUS.jsonl [轮数]\n");
    return 2;
  }
  const auto tok = dsinfer::Tokenizer::load(argv[1]);
  std::vector<std::string> texts;
  size_t bytes = 0;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    bytes += texts.back().size();
  }
  const int rounds = argc > 3 ? std::stoi(argv[3]) : 5;
  std::vector<double> rates;
  size_t tokens = 0;
  for (int r = 0; r < rounds; ++r) {
    tokens = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& t : texts) tokens += tok.encode(t).size();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(double(bytes) / 1e6 / s);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("dsinfer: %.2f MB, %zu tokens, median %.2f MB/s (runs:", double(bytes) / 1e6, tokens,
              rates[rates.size() / 2]);
  for (double x : rates) std::printf(" %.2f", x);
  std::printf(")\n");
  return 0;
}
