#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "flopwise/model_config.hpp"

namespace flopwise::engine {

// A copy of a sequence's keys and values that a forward pass keeps in another memory (a GPU's):
// its first `length` positions equal the host rows. The host rows stay the reference that every
// other operation (prefix copies) works on.
struct KvMirror {
    virtual ~KvMirror() = default;
    int32_t length = 0;
};

// Keys and values of one sequence, float32, per layer [position][n_head_kv * head_dim].
class KvSequence {
public:
    explicit KvSequence(const ModelConfig& config);

    int32_t length() const { return length_; }
    int64_t row_size() const { return row_size_; }
    // Makes room for `extra` more positions (keeps the stored ones).
    void reserve_more(int32_t extra);
    // Positions [length, length + n) become valid; their rows are written by the caller.
    void extend(int32_t n);
    // This sequence becomes a copy of the first n positions of `other`.
    void assign_prefix(const KvSequence& other, int32_t n);

    float* keys(int32_t layer) { return keys_[static_cast<size_t>(layer)].data(); }
    float* values(int32_t layer) { return values_[static_cast<size_t>(layer)].data(); }
    // The device copy, created by the forward pass that uses one; null until then.
    KvMirror* mirror() const { return mirror_.get(); }
    void set_mirror(std::unique_ptr<KvMirror> mirror) { mirror_ = std::move(mirror); }

private:
    int64_t row_size_;
    int32_t length_ = 0;
    int32_t capacity_ = 0;
    std::vector<std::vector<float>> keys_;
    std::vector<std::vector<float>> values_;
    std::unique_ptr<KvMirror> mirror_;
};

}  // namespace flopwise::engine
