#include "model/tiered_expert_store.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "model/resident_expert_store.h"

namespace dsinfer {

namespace {

constexpr const char* kProjNames[3] = {"gate_proj", "up_proj", "down_proj"};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// 一个专家的各张量在检查点中的位置：gate、up、down，FP8 时其后是三者的缩放因子
std::vector<const TensorInfo*> expert_tensors(const Checkpoint& ckpt, const ModelConfig& c, int64_t layer,
                                              int64_t expert) {
  const int64_t D = c.hidden_size, I = c.moe_intermediate_size;
  const std::string p = expert_prefix(layer, expert);
  std::vector<const TensorInfo*> data, scales;
  for (int k = 0; k < 3; ++k) {
    const auto src = ckpt.weight_source(p + "." + kProjNames[k] + ".weight", k == 2 ? D : I, k == 2 ? I : D);
    data.push_back(src.data);
    if (src.scale_inv) scales.push_back(src.scale_inv);
  }
  data.insert(data.end(), scales.begin(), scales.end());
  return data;
}

size_t part_span(size_t nbytes) {
  // 任意起始偏移的区间按对齐读取，最多多出一个对齐块
  return (nbytes + UncachedFile::kAlign - 1) / UncachedFile::kAlign * UncachedFile::kAlign + UncachedFile::kAlign;
}

}  // namespace

size_t TieredExpertStore::slot_bytes(const Checkpoint& ckpt, const ModelConfig& config, int64_t layer) {
  size_t n = 0;
  for (const TensorInfo* t : expert_tensors(ckpt, config, layer, 0)) n += part_span(t->nbytes);
  return n;
}

TieredExpertStore::TieredExpertStore(const ModelConfig& config, const Checkpoint& ckpt,
                                     const TieredExpertStoreOptions& options)
    : config_(config), ckpt_(ckpt), options_(options) {
  if (options_.slots_per_layer < 1)
    throw Error(ErrorCode::kConfig, cat("专家存储每层至少需要 1 个槽位（当前 ", options_.slots_per_layer, "）"));
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) workers_.emplace_back([this] { io_worker(); });
}

TieredExpertStore::~TieredExpertStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void TieredExpertStore::add_layer(int64_t layer) {
  Layer L;
  const int64_t E = config_.n_routed_experts;
  std::vector<const TensorInfo*> first;
  for (int64_t e = 0; e < E; ++e) {
    const auto tensors = expert_tensors(ckpt_, config_, layer, e);
    if (e == 0) first = tensors;
    std::vector<Part> parts;
    size_t offset = 0;
    for (size_t k = 0; k < tensors.size(); ++k) {
      const TensorInfo* t = tensors[k];
      // 同层各专家共用槽位，所以张量布局必须一致（FP8 与非 FP8 混用、dtype 不同都在这里拒绝）
      if (tensors.size() != first.size() || t->dtype != first[k]->dtype || t->nbytes != first[k]->nbytes)
        throw Error(ErrorCode::kFormat, cat("张量 ", t->name, " 的 dtype 或大小与同层专家 0 的 ", first[k]->name,
                                            " 不一致（文件 ", *t->file, "）"));
      auto& file = files_[*t->file];
      if (!file) file = std::make_unique<UncachedFile>(*t->file);
      parts.push_back({file.get(), t, offset});
      offset += part_span(t->nbytes);
    }
    L.slot_size = offset;
    L.parts.push_back(std::move(parts));
  }
  for (const TensorInfo* t : first) L.expert_bytes += t->nbytes;
  const int64_t S = std::min<int64_t>(options_.slots_per_layer, E);
  L.slots.resize(size_t(S));
  L.slot_of.assign(size_t(E), -1);

  std::unique_lock<std::mutex> lock(mu_);
  Layer& stored = layers_[layer] = std::move(L);
  if (options_.policy != ExpertCachePolicy::kFrequency) return;
  auto it = options_.expert_counts.find(layer);
  if (it == options_.expert_counts.end() || int64_t(it->second.size()) != E)
    throw Error(ErrorCode::kConfig, cat("moe.cache_policy = frequency 需要第 ", layer,
                                        " 层的专家统计（moe.expert_stats，每层 ", E, " 个计数）"));
  // 最热的专家优先（计数相同取编号小的），读入后钉住
  std::vector<int32_t> order(static_cast<size_t>(E));
  std::iota(order.begin(), order.end(), 0);
  const auto& counts = it->second;
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return counts[size_t(a)] > counts[size_t(b)]; });
  const int64_t pinned = pinned_per_layer();
  ++clock_;
  std::vector<int32_t> loading;
  for (int64_t i = 0; i < std::min<int64_t>(pinned, S); ++i) {
    const int32_t s = start_load(stored, order[size_t(i)], true);
    if (s < 0) throw Error(ErrorCode::kInternal, cat("第 ", layer, " 层没有空槽位可钉住专家"));
    stored.slots[size_t(s)].pinned = true;
    loading.push_back(s);
  }
  for (int32_t s : loading) wait_ready(lock, stored, s);
}

int64_t TieredExpertStore::pinned_per_layer() const {
  if (options_.policy != ExpertCachePolicy::kFrequency) return 0;
  // 轮换槽位至少留 top-k 个给本 token 的按需读入；开了预取再留 top-k 个给预测的专家，
  // 否则预取与按需读互相挤出，上一 token 用过的专家一个也留不住。
  const int64_t S = std::min<int64_t>(options_.slots_per_layer, config_.n_routed_experts);
  const int64_t rotating = config_.num_experts_per_tok * (options_.prefetch_next_layer ? 2 : 1);
  return std::clamp<int64_t>(S - rotating, 0, S - 1);
}

bool TieredExpertStore::direct_io() const {
  for (const auto& [path, f] : files_)
    if (!f->direct()) return false;
  return !files_.empty();
}

TieredExpertStore::Layer& TieredExpertStore::layer_state(int64_t layer) {
  auto it = layers_.find(layer);
  if (it == layers_.end()) throw Error(ErrorCode::kInternal, cat("专家存储中没有第 ", layer, " 层"));
  return it->second;
}

size_t TieredExpertStore::expert_bytes(int64_t layer) const {
  auto it = layers_.find(layer);
  if (it == layers_.end()) throw Error(ErrorCode::kInternal, cat("专家存储中没有第 ", layer, " 层"));
  return it->second.expert_bytes;
}

int32_t TieredExpertStore::start_load(Layer& L, int32_t expert, bool urgent) {
  // 选槽位：空槽优先，否则最久未用；跳过正在加载的、钉住的、本次调用已占用的槽位
  int32_t victim = -1;
  for (int32_t s = 0; s < int32_t(L.slots.size()); ++s) {
    const Slot& slot = L.slots[size_t(s)];
    if (slot.state == Slot::State::kLoading || slot.pinned || slot.reserved == clock_) continue;
    if (slot.state == Slot::State::kEmpty) {
      victim = s;
      break;
    }
    if (victim < 0 || slot.last_use < L.slots[size_t(victim)].last_use) victim = s;
  }
  if (victim < 0) return -1;
  Slot& slot = L.slots[size_t(victim)];
  if (slot.expert >= 0) L.slot_of[size_t(slot.expert)] = -1;
  if (!slot.buf) slot.buf = allocate_aligned(L.slot_size);
  slot.expert = expert;
  slot.state = Slot::State::kLoading;
  slot.prefetched = !urgent;
  slot.deferred = false;
  slot.reserved = clock_;
  slot.error.clear();
  L.slot_of[size_t(expert)] = victim;
  const auto& parts = L.parts[size_t(expert)];
  slot.pending = int(parts.size());
  for (size_t k = 0; k < parts.size(); ++k) (urgent ? urgent_ : background_).push_back({&L, victim, k});
  work_cv_.notify_all();
  return victim;
}

void TieredExpertStore::io_worker() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stopping_ || !urgent_.empty() || !background_.empty(); });
    if (stopping_) return;
    auto& queue = urgent_.empty() ? background_ : urgent_;
    const ReadJob job = queue.front();
    queue.pop_front();
    Slot& slot = job.layer->slots[size_t(job.slot)];
    const Part& part = job.layer->parts[size_t(slot.expert)][job.part];
    uint8_t* dst = slot.buf.get() + part.slot_offset;
    if (in_flight_++ == 0) io_start_ = Clock::now();
    std::string error;
    size_t head = 0;
    lock.unlock();
    try {
      head = part.file->read(part.tensor->offset, part.tensor->nbytes, dst, cat("张量 ", part.tensor->name));
    } catch (const Error& e) {
      error = e.what();
    }
    lock.lock();
    if (--in_flight_ == 0) io_busy_ += seconds_since(io_start_);
    if (!error.empty()) slot.error = error;
    // 数据张量在前（gate、up、down），缩放因子在后
    const uint8_t* data = dst + head;
    const int64_t D = config_.hidden_size, I = config_.moe_intermediate_size;
    const size_t k = job.part % 3;
    Weight& w = k == 0 ? slot.weights.gate : k == 1 ? slot.weights.up : slot.weights.down;
    if (job.part < 3) {
      w.dtype = part.tensor->dtype;
      w.rows = k == 2 ? D : I;
      w.cols = k == 2 ? I : D;
      w.data = data;
    } else {
      w.scale_inv = reinterpret_cast<const float*>(data);
    }
    if (--slot.pending == 0) {
      slot.state = Slot::State::kReady;
      done_cv_.notify_all();
    }
  }
}

void TieredExpertStore::wait_ready(std::unique_lock<std::mutex>& lock, Layer& L, int32_t s) {
  Slot& slot = L.slots[size_t(s)];
  done_cv_.wait(lock, [&] { return slot.state == Slot::State::kReady; });
  if (!slot.error.empty()) {
    const std::string error = slot.error;
    L.slot_of[size_t(slot.expert)] = -1;
    slot.expert = -1;
    slot.state = Slot::State::kEmpty;
    slot.pinned = false;
    slot.error.clear();
    throw Error(ErrorCode::kIo, error);
  }
}

void TieredExpertStore::report_io(PerformanceMonitor* monitor) {
  if (!monitor) return;
  ExpertCacheStats& st = monitor->expert_cache();
  st.io_seconds += io_busy_ - io_reported_;
  io_reported_ = io_busy_;
}

int64_t TieredExpertStore::acquire(int64_t layer, int32_t* experts, int64_t n, const ExpertWeights** out,
                                   PerformanceMonitor* monitor) {
  std::unique_lock<std::mutex> lock(mu_);
  Layer& L = layer_state(layer);
  ++clock_;
  // 已驻留（或正在预取）的排在前面：它们不占新的槽位
  std::stable_partition(experts, experts + n, [&](int32_t e) { return L.slot_of[size_t(e)] >= 0; });
  std::vector<int32_t> slots;
  int64_t hits = 0, misses = 0, used = 0;
  uint64_t bytes = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t e = experts[i];
    int32_t s = L.slot_of[size_t(e)];
    if (s >= 0) {
      Slot& slot = L.slots[size_t(s)];
      slot.reserved = clock_;
      if (slot.deferred) {
        slot.deferred = false;  // 上一次 acquire 已经计过
      } else {
        ++slot.window_hits;
        ++hits;
        if (slot.prefetched) {
          ++used;
          slot.prefetched = false;
        }
      }
    } else {
      s = start_load(L, e, true);
      if (s < 0) break;  // 槽位都被本批占用：余下的留给下一批
      ++misses;
      bytes += L.expert_bytes;
    }
    slots.push_back(s);
  }
  // 已就绪的排在前面先返回；还在读的留给下一次 acquire（调用者先算这一波）
  int64_t m = int64_t(slots.size());
  const auto ready = [&](int32_t s) { return L.slots[size_t(s)].state == Slot::State::kReady; };
  const int64_t n_ready = std::count_if(slots.begin(), slots.end(), ready);
  if (n_ready > 0 && n_ready < m) {
    std::vector<std::pair<int32_t, int32_t>> pairs;  // (专家, 槽位)
    for (int64_t i = 0; i < m; ++i) pairs.emplace_back(experts[i], slots[size_t(i)]);
    std::stable_partition(pairs.begin(), pairs.end(), [&](const auto& p) { return ready(p.second); });
    for (int64_t i = 0; i < m; ++i) {
      experts[i] = pairs[size_t(i)].first;
      slots[size_t(i)] = pairs[size_t(i)].second;
      if (i >= n_ready) L.slots[size_t(slots[size_t(i)])].deferred = true;
    }
    m = n_ready;
    slots.resize(size_t(m));
  }
  const auto t0 = Clock::now();
  for (int32_t s : slots) wait_ready(lock, L, s);
  for (int64_t i = 0; i < m; ++i) {
    Slot& slot = L.slots[size_t(slots[size_t(i)])];
    slot.last_use = clock_;
    out[i] = &slot.weights;
  }
  L.window += hits + misses;
  const int64_t released = L.window >= kReviewWindow * config_.num_experts_per_tok ? review_pins(L) : 0;
  if (monitor) {
    ExpertCacheStats& st = monitor->expert_cache();
    st.add_layer(layer, hits, misses);
    st.prefetch_used += used;
    st.bytes_read += bytes;
    st.stall_seconds += seconds_since(t0);
    st.pins_released += released;
    report_io(monitor);
  }
  return m;
}

int64_t TieredExpertStore::review_pins(Layer& L) {
  int64_t rotating = 0, rotating_hits = 0;
  for (const Slot& slot : L.slots)
    if (!slot.pinned) {
      ++rotating;
      rotating_hits += slot.window_hits;
    }
  int64_t released = 0;
  // 比较 hits < 平均值，即 hits × 轮换槽位数 < 轮换命中总数（整数，不受舍入影响）
  for (Slot& slot : L.slots)
    if (slot.pinned && slot.window_hits * rotating < rotating_hits) {
      slot.pinned = false;
      ++released;
    }
  for (Slot& slot : L.slots) slot.window_hits = 0;
  L.window = 0;
  return released;
}

void TieredExpertStore::prefetch(int64_t layer, const int32_t* experts, int64_t n, PerformanceMonitor* monitor) {
  std::lock_guard<std::mutex> lock(mu_);
  Layer& L = layer_state(layer);
  ++clock_;
  int64_t issued = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t e = experts[i];
    const int32_t s = L.slot_of[size_t(e)];
    if (s >= 0) {
      L.slots[size_t(s)].reserved = clock_;  // 预测会用到：本次不逐出它
      continue;
    }
    if (start_load(L, e, false) < 0) break;
    ++issued;
  }
  if (monitor) {
    ExpertCacheStats& st = monitor->expert_cache();
    st.prefetch_issued += issued;
    st.bytes_read += uint64_t(issued) * L.expert_bytes;
  }
}

}  // namespace dsinfer
