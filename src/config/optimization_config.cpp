#include "config/optimization_config.h"

#include <toml++/toml.h>
#include <map>
#include <sstream>

#include "core/error.h"

namespace dsinfer {

std::string mla_mode_name(MlaMode m) {
  return m == MlaMode::kLatent ? "latent" : "expanded";
}

namespace {

using Key = OptimizationConfig::Key;
using Kind = OptimizationConfig::Kind;

[[noreturn]] void bad_value(const std::string& key, const std::string& value, const std::string& expect) {
  throw Error(ErrorCode::kConfig, cat("配置项 ", key, " 的取值 '", value, "' 非法（", expect, "）"));
}

int64_t parse_int_value(const std::string& key, const std::string& v, int64_t lo, int64_t hi) {
  size_t used = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    bad_value(key, v, cat("应为整数 ", lo, "…", hi));
  }
  if (used != v.size() || x < lo || x > hi) bad_value(key, v, cat("应为整数 ", lo, "…", hi));
  return x;
}

bool parse_bool_value(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "on") return true;
  if (v == "false" || v == "0" || v == "off") return false;
  bad_value(key, v, "应为 true 或 false");
}

std::string bool_str(bool b) {
  return b ? "true" : "false";
}

std::vector<Key> make_keys() {
  using C = OptimizationConfig;
  return {
      {"mla_mode", Kind::kEnum,
       "MLA 缓存方式：latent（缓存压缩潜向量，吸收解码）| expanded（缓存每头 K/V，标准注意力基线）",
       [](C& c, const std::string& v) {
         if (v == "latent")
           c.mla_mode = MlaMode::kLatent;
         else if (v == "expanded")
           c.mla_mode = MlaMode::kExpanded;
         else
           bad_value("mla_mode", v, "可选：latent、expanded");
       },
       [](const C& c) { return mla_mode_name(c.mla_mode); }},
      {"kv_dtype", Kind::kEnum, "KV 缓存元素类型：f32 | bf16",
       [](C& c, const std::string& v) {
         if (v == "f32")
           c.kv_dtype = DType::kF32;
         else if (v == "bf16")
           c.kv_dtype = DType::kBF16;
         else
           bad_value("kv_dtype", v, "可选：f32、bf16");
       },
       [](const C& c) { return std::string(c.kv_dtype == DType::kF32 ? "f32" : "bf16"); }},
      {"threads", Kind::kInt, "计算线程数（0 = 全部 CPU 核）",
       [](C& c, const std::string& v) { c.threads = parse_int_value("threads", v, 0, 1024); },
       [](const C& c) { return std::to_string(c.threads); }},
      {"max_batch", Kind::kInt, "一次前向中并行的最多序列数",
       [](C& c, const std::string& v) { c.max_batch = parse_int_value("max_batch", v, 1, 4096); },
       [](const C& c) { return std::to_string(c.max_batch); }},
      {"kv_block_size", Kind::kInt, "KV 缓存每块的 token 数（缓存按块增长）",
       [](C& c, const std::string& v) { c.kv_block_size = parse_int_value("kv_block_size", v, 1, 65536); },
       [](const C& c) { return std::to_string(c.kv_block_size); }},
      {"prefix_cache", Kind::kBool,
       "前缀缓存：新序列共享已算过的相同提示前缀（整块）的 KV，只算其余部分（启用 MTP 时不生效）",
       [](C& c, const std::string& v) { c.prefix_cache = parse_bool_value("prefix_cache", v); },
       [](const C& c) { return bool_str(c.prefix_cache); }},
      {"load_mode", Kind::kEnum, "权重加载：mmap（按需映射）| read（读入匿名内存，避免文件页被回收）",
       [](C& c, const std::string& v) {
         if (v == "mmap")
           c.load_mode = LoadMode::kMmap;
         else if (v == "read")
           c.load_mode = LoadMode::kRead;
         else
           bad_value("load_mode", v, "可选：mmap、read");
       },
       [](const C& c) { return std::string(c.load_mode == LoadMode::kMmap ? "mmap" : "read"); }},
      {"isa", Kind::kEnum, "CPU 内核路径：auto | scalar | avx2 | avx512",
       [](C& c, const std::string& v) {
         if (v != "auto" && v != "scalar" && v != "avx2" && v != "avx512")
           bad_value("isa", v, "可选：auto、scalar、avx2、avx512");
         c.isa = v;
       },
       [](const C& c) { return c.isa; }, "DSINFER_ISA"},
      {"matmul_precision", Kind::kEnum,
       "BF16 权重矩阵乘的激活精度：f32（与参考实现一致）| bf16（激活舍入成 BF16：AVX2 "
       "路径上解码的点积少读一半激活，预填充在有 AVX512_BF16 时用其点积，logits 有 1e-2 量级偏差）",
       [](C& c, const std::string& v) {
         if (v == "f32")
           c.bf16_matmul = false;
         else if (v == "bf16")
           c.bf16_matmul = true;
         else
           bad_value("matmul_precision", v, "可选：f32、bf16");
       },
       [](const C& c) { return std::string(c.bf16_matmul ? "bf16" : "f32"); }},
      {"prefetch_bytes", Kind::kInt,
       "单 token GEMV 的软件预取提前量（字节，0…65536；0 = 按 CPU 微架构查表：Zen 3 / Zen 4 取 1024，其余 "
       "3072），只影响速度",
       [](C& c, const std::string& v) { c.prefetch_bytes = parse_int_value("prefetch_bytes", v, 0, 65536); },
       [](const C& c) { return std::to_string(c.prefetch_bytes); }, "DSINFER_PREFETCH_BYTES"},
      {"max_context", Kind::kInt,
       "上下文上限：每条序列提示 + 生成的 token 数（0 = 模型的 max_position_embeddings；不得超过它）",
       [](C& c, const std::string& v) { c.max_context = parse_int_value("max_context", v, 0, int64_t(1) << 31); },
       [](const C& c) { return std::to_string(c.max_context); }},
      {"memory.budget_bytes", Kind::kSize,
       "内存预算（字节，可写 12G；0 = 不限）：设了以后路由专家留在磁盘、按需读入有限个槽位，"
       "常驻权重 + 专家槽位 + KV 缓存 + 暂存不超过它；简写 --mem-budget",
       [](C& c, const std::string& v) { c.memory.budget_bytes = parse_byte_size(v, "memory.budget_bytes"); },
       [](const C& c) { return std::to_string(c.memory.budget_bytes); }},
      {"moe.cache_policy", Kind::kEnum,
       "专家槽位的替换策略：lru（逐出最久未用）| frequency（按 moe.expert_stats 钉住每层最热的专家，其余 LRU）",
       [](C& c, const std::string& v) {
         if (v != "lru" && v != "frequency") bad_value("moe.cache_policy", v, "可选：lru、frequency");
         c.moe.cache_policy = v;
       },
       [](const C& c) { return c.moe.cache_policy; }},
      {"moe.prefetch", Kind::kEnum,
       "专家预取：off | next-layer（用下一层的路由器在本层输入上预测下一层的专家，本层计算时读入）",
       [](C& c, const std::string& v) {
         if (v != "off" && v != "next-layer") bad_value("moe.prefetch", v, "可选：off、next-layer");
         c.moe.prefetch = v;
       },
       [](const C& c) { return c.moe.prefetch; }},
      {"moe.expert_stats", Kind::kPath, "专家统计文件（dsinfer profile-experts 的输出），frequency 策略据此钉住热专家",
       [](C& c, const std::string& v) { c.moe.expert_stats = v; }, [](const C& c) { return c.moe.expert_stats; }},
      {"mtp.enabled", Kind::kBool, "启用 MTP 自推测解码",
       [](C& c, const std::string& v) { c.mtp.enabled = parse_bool_value("mtp.enabled", v); },
       [](const C& c) { return bool_str(c.mtp.enabled); }},
      {"mtp.draft_tokens", Kind::kInt, "MTP 每步起草的 token 数（1…8）",
       [](C& c, const std::string& v) { c.mtp.draft_tokens = parse_int_value("mtp.draft_tokens", v, 1, 8); },
       [](const C& c) { return std::to_string(c.mtp.draft_tokens); }},
      {"mtp.adaptive", Kind::kBool, "按实测接受率与验证代价自适应选择每步起草数（可为 0）",
       [](C& c, const std::string& v) { c.mtp.adaptive = parse_bool_value("mtp.adaptive", v); },
       [](const C& c) { return bool_str(c.mtp.adaptive); }},
      {"mtp.draft_vocab", Kind::kInt, "起草时只算前 N 个 token 的 logits（BPE 词表大致按频率排列；0 = 全词表）",
       [](C& c, const std::string& v) {
         c.mtp.draft_vocab = parse_int_value("mtp.draft_vocab", v, 0, int64_t(1) << 31);
       },
       [](const C& c) { return std::to_string(c.mtp.draft_vocab); }},
  };
}

const Key* find_key(const std::string& name) {
  for (const auto& k : OptimizationConfig::keys())
    if (k.name == name) return &k;
  return nullptr;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kEnum:
      return "字符串";
    case Kind::kInt:
      return "整数";
    case Kind::kBool:
      return "布尔值";
    case Kind::kSize:
      return "字节数（整数，或带 K/M/G/T 后缀的字符串）";
    case Kind::kPath:
      return "路径字符串";
  }
  return "?";
}

}  // namespace

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  uint64_t mult = 1;
  if (used > 0 && used + 1 == text.size()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        mult = uint64_t(1) << 10;
        break;
      case 'M':
      case 'm':
        mult = uint64_t(1) << 20;
        break;
      case 'G':
      case 'g':
        mult = uint64_t(1) << 30;
        break;
      case 'T':
      case 't':
        mult = uint64_t(1) << 40;
        break;
      default:
        used = 0;
    }
  } else if (used != text.size()) {
    used = 0;
  }
  if (used == 0 || text[0] == '-' || v > (uint64_t(1) << 50) / mult)
    throw Error(ErrorCode::kConfig,
                cat("配置项 ", what, " 的取值 '", text, "' 非法（应为字节数，可带 K/M/G/T 后缀，如 12G）"));
  return uint64_t(v) * mult;
}

const std::vector<Key>& OptimizationConfig::keys() {
  static const std::vector<Key> k = make_keys();
  return k;
}

std::string OptimizationConfig::flag_name(const std::string& key) {
  std::string f = "--" + key;
  for (char& c : f)
    if (c == '_' || c == '.') c = '-';
  return f;
}

void OptimizationConfig::set(const std::string& key, const std::string& value) {
  const Key* k = find_key(key);
  if (!k) throw Error(ErrorCode::kConfig, cat("未知配置项 '", key, "'"));
  k->set(*this, value);
}

void OptimizationConfig::load_toml_file(const std::string& path) {
  load_toml_text(read_text_file(path), path);
}

void OptimizationConfig::load_toml_text(const std::string& text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw Error(ErrorCode::kConfig, cat("配置文件 ", source, " 不是合法的 TOML（第 ", e.source().begin.line, " 行：",
                                        e.description(), "）"));
  }
  // 展平为 "小节.键" → 节点
  std::map<std::string, const toml::node*> flat;
  for (const auto& [k, v] : root) {
    if (const toml::table* sub = v.as_table()) {
      for (const auto& [k2, v2] : *sub) flat[std::string(k.str()) + "." + std::string(k2.str())] = &v2;
    } else {
      flat[std::string(k.str())] = &v;
    }
  }
  for (const auto& [name, node] : flat) {
    const Key* k = find_key(name);
    if (!k) throw Error(ErrorCode::kConfig, cat("配置文件 ", source, ": 未知配置项 '", name, "'"));
    std::string value;
    const bool ok = (k->kind == Kind::kInt && node->is_integer()) || (k->kind == Kind::kBool && node->is_boolean()) ||
                    (k->kind == Kind::kEnum && node->is_string()) || (k->kind == Kind::kPath && node->is_string()) ||
                    (k->kind == Kind::kSize && (node->is_integer() || node->is_string()));
    if (!ok) throw Error(ErrorCode::kConfig, cat("配置文件 ", source, ": 配置项 ", name, " 应为", kind_name(k->kind)));
    if (node->is_integer())
      value = std::to_string(node->as_integer()->get());
    else if (node->is_boolean())
      value = node->as_boolean()->get() ? "true" : "false";
    else
      value = node->as_string()->get();
    try {
      k->set(*this, value);
    } catch (const Error& e) {
      throw Error(ErrorCode::kConfig, cat("配置文件 ", source, ": ", e.what()));
    }
  }
}

void OptimizationConfig::load_environment(const EnvLookup& lookup) {
  for (const auto& k : keys()) {
    if (k.env.empty()) continue;
    const char* value = lookup(k.env.c_str());
    if (!value) continue;
    try {
      k.set(*this, value);
    } catch (const Error& e) {
      throw Error(ErrorCode::kConfig, cat("环境变量 ", k.env, ": ", e.what()));
    }
  }
}

std::string OptimizationConfig::to_toml() const {
  // 无小节的键在前，其后每个小节（按 keys() 中首次出现的顺序）一段
  std::ostringstream top;
  std::vector<std::pair<std::string, std::ostringstream>> sections;
  for (const auto& k : keys()) {
    std::string v = k.get(*this);
    if (k.kind == Kind::kEnum || k.kind == Kind::kPath) v = "\"" + v + "\"";
    const size_t dot = k.name.find('.');
    if (dot == std::string::npos) {
      top << k.name << " = " << v << "\n";
      continue;
    }
    const std::string section = k.name.substr(0, dot);
    if (sections.empty() || sections.back().first != section) sections.emplace_back(section, std::ostringstream());
    sections.back().second << k.name.substr(dot + 1) << " = " << v << "\n";
  }
  std::string out = top.str();
  for (const auto& [name, body] : sections) out += "\n[" + name + "]\n" + body.str();
  return out;
}

}  // namespace dsinfer
