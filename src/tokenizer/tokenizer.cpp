// Tokenizer 的组装与编码流水线（对齐 tokenizers 的 encode_single_sequence）：
// added tokens（原文）→ normalizer → added tokens（normalize 后）→ pre_tokenizer → BPE → post_processor。
#include "tokenizer/tokenizer.h"

#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/decoder.h"
#include "tokenizer/json_field.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer_config.h"
#include "tokenizer/unicode.h"

namespace dsinfer {

struct Tokenizer::Impl {
  Impl(const JsonField& root, const std::optional<TokenizerConfig>& config, const std::string& config_name)
      : normalizer(make_normalizer(root.optional("normalizer"))),
        added(root.optional("added_tokens"), normalizer.get()),
        pre_tokenizer(make_pre_tokenizer(root.optional("pre_tokenizer"), &byte_level_tail)),
        model(root["model"], byte_level_tail),
        decoder(make_decoder(root.optional("decoder"))),
        post_processor(make_post_processor(root.optional("post_processor"))) {
    const auto resolve = [&](const std::optional<std::string>& token, const char* key) {
      std::optional<int32_t> id;
      if (!token) return id;
      id = token_to_id(*token);
      if (!id) throw Error(ErrorCode::kConfig, cat(config_name, ": ", key, " '", *token, "' 不在词表中"));
      return id;
    };
    if (config) {
      bos = resolve(config->bos_token, "bos_token");
      eos = resolve(config->eos_token, "eos_token");
    }
    if (!bos && post_processor) bos = post_processor->leading_token();
  }

  static std::unique_ptr<Impl> create(std::string_view json_text, const std::string& json_name,
                                      std::optional<std::string_view> config_text, const std::string& config_name) {
    std::optional<TokenizerConfig> config;
    if (config_text) config = parse_tokenizer_config(*config_text, config_name);
    const nlohmann::json json = parse_json_text(json_text, json_name);
    const JsonField root(json, json_name, "");
    if (!json.is_object()) root.fail(cat("应为对象，实际为 ", json.type_name()));
    return std::make_unique<Impl>(root, config, config_name);
  }

  std::optional<int32_t> token_to_id(std::string_view token) const {
    if (const AddedToken* t = added.find(token)) return t->id;
    return model.token_to_id(token);
  }

  // 普通文本段：预分词后逐片段交给 BPE。
  void encode_plain(std::string_view text, std::vector<int32_t>& ids) const {
    thread_local PieceBuffer buf;
    buf.reset(text);
    if (pre_tokenizer) pre_tokenizer->pre_tokenize(buf);
    for (const std::string_view piece : buf.pieces) model.tokenize(piece, ids);
  }

  // 原文上切出 normalized=false 的 added token 后，对剩余的段做 normalize 再切 normalized=true 的。
  void encode_segment(std::string_view text, std::vector<int32_t>& ids) const {
    std::string normalized;
    std::string_view view = text;
    if (normalizer) {
      normalized.assign(text);
      normalizer->normalize(normalized);
      view = normalized;
    }
    std::vector<TextSegment> segments;
    added.split(view, true, segments);
    for (const TextSegment& s : segments) {
      if (s.id >= 0)
        ids.push_back(s.id);
      else
        encode_plain(s.text, ids);
    }
  }

  std::unique_ptr<Normalizer> normalizer;
  AddedVocabulary added;
  bool byte_level_tail = false;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  BpeModel model;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<PostProcessor> post_processor;
  std::optional<int32_t> bos, eos;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::string& path_or_dir) {
  const TokenizerPaths paths = resolve_tokenizer_paths(path_or_dir);
  const std::string json_text = read_text_file(paths.tokenizer_json);
  std::optional<std::string> config_text;
  std::error_code ec;
  if (std::filesystem::exists(paths.tokenizer_config, ec)) config_text = read_text_file(paths.tokenizer_config);
  return Tokenizer(Impl::create(json_text, paths.tokenizer_json, config_text, paths.tokenizer_config));
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json, std::string_view config_json) {
  std::optional<std::string_view> config;
  if (!config_json.empty()) config = config_json;
  return Tokenizer(Impl::create(tokenizer_json, "tokenizer.json", config, "tokenizer_config.json"));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos) const {
  if (const size_t bad = unicode::find_invalid_utf8(text); bad != unicode::kValid)
    throw Error(ErrorCode::kInvalidArgument, cat("输入文本不是合法的 UTF-8（字节偏移 ", bad, "）"));
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<TextSegment> segments;
  impl_->added.split(text, false, segments);
  for (const TextSegment& s : segments) {
    if (s.id >= 0)
      ids.push_back(s.id);
    else
      impl_->encode_segment(s.text, ids);
  }
  if (add_bos) {
    if (impl_->post_processor && impl_->post_processor->adds_tokens()) {
      impl_->post_processor->add_special_tokens(ids);
    } else if (impl_->bos) {
      ids.insert(ids.begin(), *impl_->bos);
    } else {
      throw Error(ErrorCode::kConfig,
                  "无法确定 BOS token：tokenizer_config.json 没有 bos_token，"
                  "tokenizer.json 的 post_processor 也不是 TemplateProcessing");
    }
  }
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (const AddedToken* t = impl_->added.find(id)) {
      if (!(skip_special && t->special)) tokens.push_back(t->content);
    } else if (const std::string* s = impl_->model.id_to_token(id)) {
      tokens.push_back(*s);
    }
  }
  if (!impl_->decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::optional<int32_t> Tokenizer::bos_id() const {
  return impl_->bos;
}
std::optional<int32_t> Tokenizer::eos_id() const {
  return impl_->eos;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  return impl_->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (const AddedToken* t = impl_->added.find(id)) return t->content;
  if (const std::string* s = impl_->model.id_to_token(id)) return *s;
  return std::nullopt;
}

bool Tokenizer::is_special(int32_t id) const {
  const AddedToken* t = impl_->added.find(id);
  return t && t->special;
}

size_t Tokenizer::vocab_size() const {
  return size_t(std::max(impl_->model.max_id(), impl_->added.max_id()) + 1);
}

}  // namespace dsinfer
