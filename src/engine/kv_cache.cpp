#include "kv_cache.hpp"

#include <algorithm>
#include <cstring>

namespace flopwise::engine {

KvSequence::KvSequence(const ModelConfig& config)
    : row_size_(static_cast<int64_t>(config.n_head_kv) * config.head_dim),
      keys_(static_cast<size_t>(config.n_layer)),
      values_(static_cast<size_t>(config.n_layer)) {}

void KvSequence::reserve_more(int32_t extra) {
    const int32_t needed = length_ + extra;
    if (needed <= capacity_) return;
    const int32_t capacity = std::max(needed, capacity_ + capacity_ / 2);
    for (auto* buffers : {&keys_, &values_})
        for (auto& buffer : *buffers) buffer.resize(static_cast<size_t>(capacity) * static_cast<size_t>(row_size_));
    capacity_ = capacity;
}

void KvSequence::extend(int32_t n) {
    reserve_more(n);
    length_ += n;
}

void KvSequence::assign_prefix(const KvSequence& other, int32_t n) {
    length_ = 0;
    if (mirror_) mirror_->length = 0;  // its rows were another sequence's
    reserve_more(n);
    const size_t count = static_cast<size_t>(n) * static_cast<size_t>(row_size_);
    for (size_t layer = 0; layer < keys_.size(); ++layer) {
        std::memcpy(keys_[layer].data(), other.keys_[layer].data(), count * sizeof(float));
        std::memcpy(values_[layer].data(), other.values_[layer].data(), count * sizeof(float));
    }
    length_ = n;
}

}  // namespace flopwise::engine
