#include "runtime/oracle_draft_source.h"

#include <algorithm>

namespace dsinfer {

void OracleDraftSource::expect(SequenceId id, std::vector<int32_t> continuation) {
  known_[id].continuation = std::move(continuation);
}

void OracleDraftSource::add_sequence(SequenceId id, const std::vector<int32_t>& prompt, const float* hidden,
                                     int32_t next_token) {
  MtpDraftSource::add_sequence(id, prompt, hidden, next_token);
  const auto it = known_.find(id);
  if (it != known_.end()) it->second.prompt_len = int64_t(prompt.size());
}

void OracleDraftSource::remove_sequence(SequenceId id) {
  MtpDraftSource::remove_sequence(id);
  known_.erase(id);
}

int32_t OracleDraftSource::propose(SequenceId id, int64_t position, const float* logits, int64_t vocab_limit,
                                   Sampler& sampler, float* q) {
  const auto it = known_.find(id);
  const int64_t j = it == known_.end() ? -1 : position - it->second.prompt_len;
  if (j < 0 || j >= int64_t(it->second.continuation.size()))
    return MtpDraftSource::propose(id, position, logits, vocab_limit, sampler, q);
  const int32_t token = it->second.continuation[size_t(j)];
  if (q) {
    std::fill(q, q + vocab(), 0.0f);
    q[token] = 1.0f;
  }
  return token;
}

}  // namespace dsinfer
