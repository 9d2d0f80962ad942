// OptimizationConfig：选择优化策略的唯一地方（MLA 模式、KV dtype、线程、批大小、权重加载方式、
// 指令集路径、MTP 推测解码…）。来源优先级：默认值 < TOML 文件（--config）< 环境变量 < 命令行参数
// （环境变量只对声明了 env 的配置项，见 load_environment；顺序由调用方 app/engine_flags.cpp 实现）。
// 每个配置项只在 keys() 表中声明一次：名字、类型、说明、校验、读写；TOML 解析、命令行参数
// （键名中的 '_' 与 '.' 换成 '-'，如 mtp.draft_tokens → --mtp-draft-tokens）与 dsinfer info 的
// 打印都由这张表生成。未知配置项与非法取值抛出 Error(kConfig)，消息点名配置项。
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/mla_mode.h"

namespace dsinfer {

struct OptimizationConfig {
  MlaMode mla_mode = MlaMode::kLatent;
  DType kv_dtype = DType::kF32;
  int64_t threads = 0;         // 0：使用全部 CPU 核
  int64_t max_batch = 16;      // 一次前向中并行的最多序列数
  int64_t kv_block_size = 64;  // KV 缓存每块的 token 数
  LoadMode load_mode = LoadMode::kMmap;
  std::string isa = "auto";  // auto | scalar | avx2 | avx512
  bool bf16_matmul = false;  // matmul_precision = "bf16"：BF16 权重的矩阵乘用 BF16 激活（解码与预填充）
  int64_t prefetch_bytes = 0;  // 单 token GEMV 的软件预取提前量（字节）；0：按 CPU 微架构查表取默认值
  int64_t max_context = 0;  // 每条序列提示 + 生成的 token 数上限；0：模型的 max_position_embeddings
  bool prefix_cache = true;  // 新序列共享已算过的相同提示前缀的 KV 块（多轮对话只算新的一轮）
  // 内存预算（> 0 时启用专家存储：路由专家留在磁盘，只有有限个槽位常驻，见 docs/moe.md）
  struct Memory {
    uint64_t budget_bytes = 0;
  } memory;
  struct Moe {
    std::string cache_policy = "lru";  // lru | frequency
    std::string prefetch = "off";      // off | next-layer
    std::string expert_stats;          // profile-experts 写出的专家统计文件（frequency 策略用）
  } moe;
  struct Mtp {
    bool enabled = false;
    int64_t draft_tokens = 1;  // 每步起草的 token 数 k（1…8）
    bool adaptive = false;     // 按实测接受率与验证代价逐步选择 k（可为 0）
    int64_t draft_vocab = 0;   // > 0：起草时只算前 N 个 token 的 logits（0 = 全词表）
  } mtp;

  enum class Kind { kEnum, kInt, kBool, kSize, kPath };  // kSize：整数或带 K/M/G/T 后缀的字符串
  struct Key {
    std::string name;  // TOML 键（小节用点号，如 "mtp.enabled"）
    Kind kind;
    std::string help;
    std::function<void(OptimizationConfig&, const std::string&)> set;  // 校验失败时抛出
    std::function<std::string(const OptimizationConfig&)> get;
    std::string env = {};  // 非空：同名环境变量覆盖此项（见 load_environment）
  };
  static const std::vector<Key>& keys();
  static std::string flag_name(const std::string& key);  // "mtp.draft_tokens" → "--mtp-draft-tokens"

  // 按键名设置（命令行或测试）；未知键或非法值抛出 Error(kConfig)。
  void set(const std::string& key, const std::string& value);
  // 读取 TOML 文件并覆盖对应项；文件中的未知键、类型错误都点名文件与键。
  void load_toml_file(const std::string& path);
  void load_toml_text(const std::string& text, const std::string& source);
  // 声明了 env 的配置项：环境变量存在时按同样的校验设置，非法取值抛出 Error(kConfig) 并点名环境变量。
  // lookup 取环境变量的值（不存在时返回 nullptr），测试可替换。
  using EnvLookup = std::function<const char*(const char*)>;
  void load_environment(const EnvLookup& lookup = std::getenv);
  // 生效配置的 TOML 文本
  std::string to_toml() const;
};

std::string mla_mode_name(MlaMode m);

// "12G" / "512M" / "1048576" → 字节（K/M/G/T 为 2 的幂：1G = 2^30）；非法时抛出 Error(kConfig)，消息点名 what
uint64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace dsinfer
