#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "flopwise/error.hpp"
#include "flopwise/gguf.hpp"

namespace flopwise::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is read by copying little-endian bytes");

// Sequential reader over the mapped file. Every read is bounds-checked first; a failure names the
// file, what was being read (the context: a key or a tensor) and the byte position.
class ByteReader {
public:
    ByteReader(const File& file, const uint8_t* bytes, uint64_t size) : file_(file), bytes_(bytes), size_(size) {}

    uint64_t position() const { return position_; }
    uint64_t remaining() const { return size_ - position_; }
    void set_context(std::string context) { context_ = std::move(context); }

    [[noreturn]] void fail(uint64_t at, std::string_view what) const {
        throw Error(file_.describe(context_ + " at byte " + std::to_string(at) + ": " + std::string(what)));
    }

    // Fails unless `count` items of at least `min_item_bytes` each can still fit in the file; run
    // before reserving memory for them so that a corrupt count cannot trigger a huge allocation.
    void require_items(uint64_t at, uint64_t count, uint64_t min_item_bytes, std::string_view what) const {
        if (count > remaining() / min_item_bytes)
            fail(at, std::string(what) + " " + std::to_string(count) + " needs at least " +
                         std::to_string(min_item_bytes) + " bytes each but only " + std::to_string(remaining()) +
                         " bytes are left");
    }

    template <typename T>
    T read(std::string_view field) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (remaining() < sizeof(T))
            fail(position_, std::string(field) + " (" + std::to_string(sizeof(T)) + " bytes) runs past the end of the file (" +
                                std::to_string(remaining()) + " bytes left)");
        T value;
        std::memcpy(&value, bytes_ + position_, sizeof(T));
        position_ += sizeof(T);
        return value;
    }

    std::string read_string() {
        const uint64_t at = position_;
        const auto length = read<uint64_t>("string length");
        if (length > remaining())
            fail(at, "string length " + std::to_string(length) + " exceeds the " + std::to_string(remaining()) +
                         " bytes left");
        std::string text(reinterpret_cast<const char*>(bytes_ + position_), length);
        position_ += length;
        return text;
    }

private:
    const File& file_;
    const uint8_t* bytes_;
    uint64_t size_;
    uint64_t position_ = 0;
    std::string context_ = "header";
};

}  // namespace flopwise::gguf
