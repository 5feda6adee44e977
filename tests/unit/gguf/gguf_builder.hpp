#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Writes GGUF files byte by byte for the reader's tests, including deliberately broken ones: every
// field the reader validates can be given any value here.
namespace flopwise::test {

class ByteWriter {
public:
    template <typename T>
    ByteWriter& put(T value) {
        const auto* p = reinterpret_cast<const uint8_t*>(&value);
        bytes.insert(bytes.end(), p, p + sizeof(T));
        return *this;
    }
    ByteWriter& put_string(std::string_view text) {
        put<uint64_t>(text.size());
        bytes.insert(bytes.end(), text.begin(), text.end());
        return *this;
    }
    ByteWriter& append(const std::vector<uint8_t>& more) {
        bytes.insert(bytes.end(), more.begin(), more.end());
        return *this;
    }
    std::vector<uint8_t> bytes;
};

// GGUF value type ids.
enum GgufType : uint32_t {
    kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6,
    kBool = 7, kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

struct TensorSpec {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type_id = 0;
    std::vector<uint8_t> data;
    std::optional<uint64_t> offset;  // relative to the data section; laid out in order when unset
};

class GgufBuilder {
public:
    uint32_t version = 3;
    uint64_t alignment = 32;  // used for layout; written only through a general.alignment entry
    std::optional<uint64_t> tensor_count_override;
    std::optional<uint64_t> metadata_count_override;

    // `value` is the encoded payload that follows the type id.
    GgufBuilder& add(std::string_view key, uint32_t type, const ByteWriter& value) {
        ByteWriter entry;
        entry.put_string(key).put<uint32_t>(type).append(value.bytes);
        return add_raw(entry);
    }
    // A whole metadata entry as given, malformed or not.
    GgufBuilder& add_raw(const ByteWriter& entry) {
        metadata_.push_back(entry.bytes);
        ++metadata_count_;
        return *this;
    }
    template <typename T>
    GgufBuilder& add_scalar(std::string_view key, uint32_t type, T value) {
        return add(key, type, ByteWriter().put<T>(value));
    }
    GgufBuilder& add_string(std::string_view key, std::string_view value) {
        return add(key, kString, ByteWriter().put_string(value));
    }
    GgufBuilder& add_alignment(uint32_t value) {
        alignment = value;
        return add_scalar<uint32_t>("general.alignment", kU32, value);
    }
    GgufBuilder& add_tensor(TensorSpec spec) {
        tensors_.push_back(std::move(spec));
        return *this;
    }

    std::vector<uint8_t> build() const {
        ByteWriter out;
        out.put<uint32_t>(0x46554747u);  // "GGUF"
        out.put<uint32_t>(version);
        out.put<uint64_t>(tensor_count_override.value_or(tensors_.size()));
        out.put<uint64_t>(metadata_count_override.value_or(metadata_count_));
        for (const auto& entry : metadata_) out.append(entry);

        std::vector<uint64_t> offsets;
        uint64_t next = 0;
        for (const TensorSpec& t : tensors_) {
            const uint64_t offset = t.offset.value_or(next);
            offsets.push_back(offset);
            next = align(offset + t.data.size());
        }
        for (size_t i = 0; i < tensors_.size(); ++i) {
            const TensorSpec& t = tensors_[i];
            out.put_string(t.name).put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
            for (uint64_t d : t.dims) out.put<uint64_t>(d);
            out.put<uint32_t>(t.type_id).put<uint64_t>(offsets[i]);
        }
        out.bytes.resize(align(out.bytes.size()), 0);
        const size_t data_start = out.bytes.size();
        for (size_t i = 0; i < tensors_.size(); ++i) {
            if (tensors_[i].data.empty() || offsets[i] > kMaxPlacedOffset) continue;  // nothing to place
            const size_t at = data_start + offsets[i];
            if (out.bytes.size() < at + tensors_[i].data.size()) out.bytes.resize(at + tensors_[i].data.size(), 0);
            std::memcpy(out.bytes.data() + at, tensors_[i].data.data(), tensors_[i].data.size());
        }
        return out.bytes;
    }

private:
    static constexpr uint64_t kMaxPlacedOffset = uint64_t{1} << 24;
    uint64_t align(uint64_t n) const { return (n + alignment - 1) / alignment * alignment; }

    std::vector<std::vector<uint8_t>> metadata_;
    uint64_t metadata_count_ = 0;
    std::vector<TensorSpec> tensors_;
};

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small valid file: every value type (nested arrays included), alignment 64, and tensors of
// several types with recognisable data, for tests that need tensors without a real model.
inline GgufBuilder sample_gguf() {
    GgufBuilder b;
    b.add_string("general.architecture", "testarch");
    b.add_alignment(64);
    b.add_scalar<uint8_t>("test.u8", kU8, 200);
    b.add_scalar<int8_t>("test.i8", kI8, -100);
    b.add_scalar<uint16_t>("test.u16", kU16, 60000);
    b.add_scalar<int16_t>("test.i16", kI16, -30000);
    b.add_scalar<uint32_t>("test.u32", kU32, 4000000000u);
    b.add_scalar<int32_t>("test.i32", kI32, -2000000000);
    b.add_scalar<float>("test.f32", kF32, 0.1f);
    b.add_scalar<uint8_t>("test.bool", kBool, 1);
    b.add_scalar<uint64_t>("test.u64", kU64, 18000000000000000000ull);
    b.add_scalar<int64_t>("test.i64", kI64, -9000000000000000000ll);
    b.add_scalar<double>("test.f64", kF64, 2.5e-300);
    b.add("test.strings", kArray, ByteWriter().put<uint32_t>(kString).put<uint64_t>(3).put_string("a").put_string("").put_string("héllo"));
    b.add("test.floats", kArray, ByteWriter().put<uint32_t>(kF32).put<uint64_t>(2).put<float>(1.5f).put<float>(-2.0f));
    b.add("test.ints", kArray, ByteWriter().put<uint32_t>(kI32).put<uint64_t>(3).put<int32_t>(-1).put<int32_t>(0).put<int32_t>(7));
    ByteWriter nested;
    nested.put<uint32_t>(kArray).put<uint64_t>(2);
    nested.put<uint32_t>(kU16).put<uint64_t>(2).put<uint16_t>(1).put<uint16_t>(2);
    nested.put<uint32_t>(kString).put<uint64_t>(1).put_string("x");
    b.add("test.nested", kArray, nested);

    auto pattern = [](size_t n, uint8_t seed) {
        std::vector<uint8_t> data(n);
        for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(seed + i * 7);
        return data;
    };
    b.add_tensor({"tok.weight", {8, 3}, 0 /*F32*/, pattern(8 * 3 * 4, 1), std::nullopt});
    b.add_tensor({"blk.0.q4k.weight", {256, 2}, 12 /*Q4_K*/, pattern(2 * 144, 2), std::nullopt});
    b.add_tensor({"blk.0.q8.weight", {64}, 8 /*Q8_0*/, pattern(2 * 34, 3), std::nullopt});
    b.add_tensor({"blk.0.f16.weight", {4, 2, 2, 1}, 1 /*F16*/, pattern(16 * 2, 4), std::nullopt});
    return b;
}

}  // namespace flopwise::test
