#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "flopwise/tensor_type.hpp"

namespace flopwise::gguf {

enum class ValueType : uint32_t {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
    BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view name(ValueType type);

struct Value;
struct Array {
    ValueType element_type = ValueType::UINT8;
    std::vector<Value> items;
};

// One metadata value. Integers keep their sign class; the stored GGUF type is kept in `type`.
struct Value {
    ValueType type = ValueType::UINT8;
    std::variant<uint64_t, int64_t, double, bool, std::string, Array> data;
};

struct TensorInfo {
    std::string name;
    std::vector<uint64_t> shape;  // GGML order: shape[0] is the row length (contiguous)
    TensorType type = TensorType::F32;
    uint64_t offset = 0;          // absolute byte offset of the data in the file
    uint64_t size_bytes = 0;
    const uint8_t* data = nullptr;  // into the memory map; valid while the GgufFile lives

    uint64_t elements() const;
    uint64_t rows() const;  // product of shape[1..]
};

// A GGUF v2/v3 file opened on a read-only memory map. Every count, length, offset and dimension
// is checked against the file before use; any inconsistency throws flopwise::Error naming the
// file, the key or tensor, and the problem.
class File {
public:
    static std::shared_ptr<File> open(const std::string& path);
    ~File();
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    const std::string& path() const { return path_; }
    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t file_size() const { return size_; }
    const uint8_t* bytes() const { return base_; }

    // Metadata in file order.
    const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
    const Value* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // Typed accessors: throw Error naming the key when it is missing or of an incompatible type.
    uint64_t get_uint(std::string_view key) const;
    int64_t get_int(std::string_view key) const;
    double get_float(std::string_view key) const;
    bool get_bool(std::string_view key) const;
    const std::string& get_string(std::string_view key) const;
    const Array& get_array(std::string_view key) const;
    std::vector<std::string> get_string_array(std::string_view key) const;
    std::vector<double> get_float_array(std::string_view key) const;
    std::vector<int64_t> get_int_array(std::string_view key) const;
    // Same, with a default when the key is absent (a present key of the wrong type still throws).
    uint64_t get_uint(std::string_view key, uint64_t fallback) const;
    double get_float(std::string_view key, double fallback) const;
    bool get_bool(std::string_view key, bool fallback) const;
    std::string get_string(std::string_view key, const std::string& fallback) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find_tensor(std::string_view name) const;
    const TensorInfo& tensor(std::string_view name) const;  // throws Error naming the tensor

    // Builds the message "PATH: WHAT" used by every error about this file.
    std::string describe(std::string_view what) const;

private:
    File() = default;
    void parse();

    std::string path_;
    int fd_ = -1;
    const uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    std::vector<std::pair<std::string, Value>> metadata_;
    std::unordered_map<std::string, size_t> metadata_index_;
    std::vector<TensorInfo> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;
};

// The quantization mix a file was made with, from `general.file_type` (e.g. "Q4_K_M" for 15);
// nullopt when the key is absent, "type N" for a number this table does not know.
std::optional<std::string> file_type_name(const File& file);

}  // namespace flopwise::gguf
