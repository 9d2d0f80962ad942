#include "monitor/expert_cache_stats.h"

namespace dsinfer {

int64_t ExpertCacheStats::hits() const {
  int64_t n = 0;
  for (const auto& l : layers) n += l.hits;
  return n;
}

int64_t ExpertCacheStats::misses() const {
  int64_t n = 0;
  for (const auto& l : layers) n += l.misses;
  return n;
}

double ExpertCacheStats::prefetch_precision() const {
  return prefetch_issued ? double(prefetch_used) / double(prefetch_issued) : 0;
}

double ExpertCacheStats::prefetch_recall() const {
  const int64_t m = misses();
  return prefetch_used + m ? double(prefetch_used) / double(prefetch_used + m) : 0;
}

void ExpertCacheStats::add_layer(int64_t layer, int64_t h, int64_t m) {
  if (layer < 0) return;
  if (size_t(layer) >= layers.size()) layers.resize(size_t(layer) + 1);
  layers[size_t(layer)].hits += h;
  layers[size_t(layer)].misses += m;
}

ExpertCacheStats ExpertCacheStats::delta(const ExpertCacheStats& after, const ExpertCacheStats& before) {
  ExpertCacheStats d = after;
  for (size_t l = 0; l < d.layers.size() && l < before.layers.size(); ++l) {
    d.layers[l].hits -= before.layers[l].hits;
    d.layers[l].misses -= before.layers[l].misses;
  }
  d.prefetch_issued -= before.prefetch_issued;
  d.prefetch_used -= before.prefetch_used;
  d.pins_released -= before.pins_released;
  d.bytes_read -= before.bytes_read;
  d.stall_seconds -= before.stall_seconds;
  d.io_seconds -= before.io_seconds;
  return d;
}

}  // namespace dsinfer
