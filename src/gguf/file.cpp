#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <numeric>

#include "byte_reader.hpp"
#include "flopwise/gguf.hpp"

namespace flopwise::gguf {
namespace {

constexpr uint32_t kMaxDims = 4;
// Real files nest at most an array of arrays; the cap keeps a crafted file from exhausting the stack.
constexpr int kMaxArrayNesting = 8;
// Smallest encodings, used to reject counts that cannot fit in the bytes left.
constexpr uint64_t kMinMetadataEntryBytes = 8 + 4 + 1;        // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, n_dims, one dim, type, offset

uint64_t fixed_value_bytes(ValueType type) {
    switch (type) {
        case ValueType::UINT8:
        case ValueType::INT8:
        case ValueType::BOOL: return 1;
        case ValueType::UINT16:
        case ValueType::INT16: return 2;
        case ValueType::UINT32:
        case ValueType::INT32:
        case ValueType::FLOAT32: return 4;
        case ValueType::UINT64:
        case ValueType::INT64:
        case ValueType::FLOAT64: return 8;
        case ValueType::STRING: return 8;       // the length field alone
        case ValueType::ARRAY: return 4 + 8;    // element type and count
    }
    return 1;
}

bool is_known_value_type(uint32_t id) { return id <= static_cast<uint32_t>(ValueType::FLOAT64); }

ValueType read_value_type(ByteReader& reader, std::string_view field) {
    const uint64_t at = reader.position();
    const auto id = reader.read<uint32_t>(field);
    if (!is_known_value_type(id)) reader.fail(at, "unknown value type id " + std::to_string(id));
    return static_cast<ValueType>(id);
}

Value read_value(ByteReader& reader, ValueType type, int nesting);

Array read_array(ByteReader& reader, int nesting) {
    const uint64_t at = reader.position();
    if (nesting >= kMaxArrayNesting)
        reader.fail(at, "arrays nested deeper than " + std::to_string(kMaxArrayNesting) + " levels");
    Array array;
    array.element_type = read_value_type(reader, "array element type");
    const uint64_t count_at = reader.position();
    const auto count = reader.read<uint64_t>("array length");
    reader.require_items(count_at, count, fixed_value_bytes(array.element_type),
                         "array of " + std::string(name(array.element_type)) + " length");
    array.items.reserve(count);
    for (uint64_t i = 0; i < count; ++i) array.items.push_back(read_value(reader, array.element_type, nesting + 1));
    return array;
}

Value read_value(ByteReader& reader, ValueType type, int nesting) {
    Value value;
    value.type = type;
    switch (type) {
        case ValueType::UINT8: value.data = uint64_t{reader.read<uint8_t>("UINT8 value")}; break;
        case ValueType::INT8: value.data = int64_t{reader.read<int8_t>("INT8 value")}; break;
        case ValueType::UINT16: value.data = uint64_t{reader.read<uint16_t>("UINT16 value")}; break;
        case ValueType::INT16: value.data = int64_t{reader.read<int16_t>("INT16 value")}; break;
        case ValueType::UINT32: value.data = uint64_t{reader.read<uint32_t>("UINT32 value")}; break;
        case ValueType::INT32: value.data = int64_t{reader.read<int32_t>("INT32 value")}; break;
        case ValueType::UINT64: value.data = reader.read<uint64_t>("UINT64 value"); break;
        case ValueType::INT64: value.data = reader.read<int64_t>("INT64 value"); break;
        case ValueType::FLOAT32: value.data = double{reader.read<float>("FLOAT32 value")}; break;
        case ValueType::FLOAT64: value.data = reader.read<double>("FLOAT64 value"); break;
        case ValueType::BOOL: {
            const uint64_t at = reader.position();
            const auto byte = reader.read<uint8_t>("BOOL value");
            if (byte > 1) reader.fail(at, "BOOL value " + std::to_string(byte) + " is neither 0 nor 1");
            value.data = byte == 1;
            break;
        }
        case ValueType::STRING: value.data = reader.read_string(); break;
        case ValueType::ARRAY: value.data = read_array(reader, nesting); break;
    }
    return value;
}

// Shape, type, byte size and (still relative) data offset of one tensor-info entry, after its name.
void read_tensor_layout(ByteReader& reader, TensorInfo& tensor) {
    const uint64_t dims_at = reader.position();
    const auto n_dims = reader.read<uint32_t>("dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
        reader.fail(dims_at, "dimension count " + std::to_string(n_dims) + " is not between 1 and " +
                                 std::to_string(kMaxDims));
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t dim_at = reader.position();
        const auto dim = reader.read<uint64_t>("dimension");
        if (dim == 0) reader.fail(dim_at, "dimension " + std::to_string(d) + " is 0");
        if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / elements)
            reader.fail(dim_at, "element count overflows 63 bits at dimension " + std::to_string(d));
        elements *= dim;
        tensor.shape.push_back(dim);
    }

    const uint64_t type_at = reader.position();
    const auto type_id = reader.read<uint32_t>("type id");
    const auto type = tensor_type_from_id(type_id);
    if (!type)
        reader.fail(type_at, "type id " + std::to_string(type_id) + " (" + tensor_type_id_name(type_id) +
                                 ") is not supported");
    tensor.type = *type;
    const TensorTypeTraits& type_traits = traits(tensor.type);
    if (tensor.shape[0] % type_traits.block_elements != 0)
        reader.fail(dims_at, "row length " + std::to_string(tensor.shape[0]) + " is not a multiple of the " +
                                 std::string(type_traits.name) + " block size " +
                                 std::to_string(type_traits.block_elements));
    const uint64_t blocks = elements / type_traits.block_elements;
    if (blocks > std::numeric_limits<uint64_t>::max() / type_traits.block_bytes)
        reader.fail(dims_at, "data size of " + std::to_string(elements) + " " + std::string(type_traits.name) +
                                 " elements overflows 64 bits");
    tensor.size_bytes = blocks * type_traits.block_bytes;
    tensor.offset = reader.read<uint64_t>("data offset");  // relative until the data section is known
}

std::string absolute_offset_text(uint64_t data_start, uint64_t relative) {
    if (relative > std::numeric_limits<uint64_t>::max() - data_start)
        return std::to_string(data_start) + " + " + std::to_string(relative);
    return std::to_string(data_start + relative);
}

}  // namespace

std::string_view name(ValueType type) {
    switch (type) {
        case ValueType::UINT8: return "UINT8";
        case ValueType::INT8: return "INT8";
        case ValueType::UINT16: return "UINT16";
        case ValueType::INT16: return "INT16";
        case ValueType::UINT32: return "UINT32";
        case ValueType::INT32: return "INT32";
        case ValueType::FLOAT32: return "FLOAT32";
        case ValueType::BOOL: return "BOOL";
        case ValueType::STRING: return "STRING";
        case ValueType::ARRAY: return "ARRAY";
        case ValueType::UINT64: return "UINT64";
        case ValueType::INT64: return "INT64";
        case ValueType::FLOAT64: return "FLOAT64";
    }
    return "unknown";
}

uint64_t TensorInfo::elements() const {
    return std::accumulate(shape.begin(), shape.end(), uint64_t{1}, std::multiplies<>());
}

uint64_t TensorInfo::rows() const {
    if (shape.empty()) return 1;
    return std::accumulate(shape.begin() + 1, shape.end(), uint64_t{1}, std::multiplies<>());
}

std::shared_ptr<File> File::open(const std::string& path) {
    std::shared_ptr<File> file(new File());
    file->path_ = path;
    file->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file->fd_ < 0) throw Error(file->describe(std::string("cannot open: ") + std::strerror(errno)));
    struct stat info {};
    if (fstat(file->fd_, &info) != 0) throw Error(file->describe(std::string("cannot stat: ") + std::strerror(errno)));
    if (!S_ISREG(info.st_mode)) throw Error(file->describe("not a regular file"));
    if (info.st_size == 0) throw Error(file->describe("file is empty"));
    void* mapped = mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ, MAP_PRIVATE, file->fd_, 0);
    if (mapped == MAP_FAILED) throw Error(file->describe(std::string("cannot map: ") + std::strerror(errno)));
    file->base_ = static_cast<const uint8_t*>(mapped);
    file->size_ = static_cast<uint64_t>(info.st_size);
    file->parse();
    return file;
}

File::~File() {
    if (base_) munmap(const_cast<uint8_t*>(base_), size_);
    if (fd_ >= 0) ::close(fd_);
}

std::string File::describe(std::string_view what) const { return path_ + ": " + std::string(what); }

void File::parse() {
    ByteReader reader(*this, base_, size_);

    const auto magic = reader.read<uint32_t>("magic");
    if (std::memcmp(&magic, "GGUF", 4) != 0) reader.fail(0, "not a GGUF file (it does not start with 'GGUF')");
    version_ = reader.read<uint32_t>("version");
    if (version_ == 1) reader.fail(4, "GGUF version 1 is not supported (only versions 2 and 3)");
    if (version_ != 2 && version_ != 3) {
        if (version_ > 0xFFFF && (version_ & 0xFFFF) == 0)
            reader.fail(4, "big-endian GGUF files are not supported");
        reader.fail(4, "unknown GGUF version " + std::to_string(version_) + " (only versions 2 and 3 are supported)");
    }
    const uint64_t tensor_count_at = reader.position();
    const auto tensor_count = reader.read<uint64_t>("tensor count");
    const uint64_t metadata_count_at = reader.position();
    const auto metadata_count = reader.read<uint64_t>("metadata count");

    reader.require_items(metadata_count_at, metadata_count, kMinMetadataEntryBytes, "metadata count");
    metadata_.reserve(metadata_count);
    for (uint64_t i = 0; i < metadata_count; ++i) {
        reader.set_context("metadata entry " + std::to_string(i));
        const uint64_t key_at = reader.position();
        std::string key = reader.read_string();
        reader.set_context("metadata key '" + key + "'");
        if (metadata_index_.count(key)) reader.fail(key_at, "duplicate metadata key");
        const ValueType type = read_value_type(reader, "value type");
        Value value = read_value(reader, type, 0);
        metadata_index_.emplace(key, metadata_.size());
        metadata_.emplace_back(std::move(key), std::move(value));
    }

    if (has("general.alignment")) {
        alignment_ = get_uint("general.alignment");
        if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0 || alignment_ > (uint64_t{1} << 30))
            throw Error(describe("metadata key 'general.alignment': " + std::to_string(alignment_) +
                                 " is not a power of two up to 2^30"));
    }

    reader.set_context("header");
    reader.require_items(tensor_count_at, tensor_count, kMinTensorInfoBytes, "tensor count");
    tensors_.reserve(tensor_count);
    for (uint64_t i = 0; i < tensor_count; ++i) {
        reader.set_context("tensor info " + std::to_string(i));
        const uint64_t name_at = reader.position();
        TensorInfo tensor;
        tensor.name = reader.read_string();
        reader.set_context("tensor '" + tensor.name + "'");
        if (tensor_index_.count(tensor.name)) reader.fail(name_at, "duplicate tensor name");

        read_tensor_layout(reader, tensor);
        tensor_index_.emplace(tensor.name, tensors_.size());
        tensors_.push_back(std::move(tensor));
    }

    const uint64_t table_end = reader.position();
    const uint64_t data_start = table_end + (alignment_ - table_end % alignment_) % alignment_;
    for (TensorInfo& tensor : tensors_) {
        const std::string what = "tensor '" + tensor.name + "': ";
        if (tensor.offset % alignment_ != 0)
            throw Error(describe(what + "data offset " + std::to_string(tensor.offset) +
                                 " is not a multiple of the alignment " + std::to_string(alignment_)));
        const uint64_t available = size_ > data_start ? size_ - data_start : 0;
        if (tensor.offset > available || tensor.size_bytes > available - tensor.offset)
            throw Error(describe(what + "data [offset " + absolute_offset_text(data_start, tensor.offset) + ", " +
                                 std::to_string(tensor.size_bytes) +
                                 " bytes] runs past the end of the file (" + std::to_string(size_) + " bytes)"));
        tensor.offset += data_start;
        tensor.data = base_ + tensor.offset;
    }

    std::vector<const TensorInfo*> by_offset;
    by_offset.reserve(tensors_.size());
    for (const TensorInfo& tensor : tensors_) by_offset.push_back(&tensor);
    std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        const TensorInfo& previous = *by_offset[i - 1];
        if (previous.offset + previous.size_bytes > by_offset[i]->offset)
            throw Error(describe("tensor '" + by_offset[i]->name + "': data at offset " +
                                 std::to_string(by_offset[i]->offset) + " overlaps tensor '" + previous.name +
                                 "' [offset " + std::to_string(previous.offset) + ", " +
                                 std::to_string(previous.size_bytes) + " bytes]"));
    }
}

const TensorInfo* File::find_tensor(std::string_view tensor_name) const {
    auto it = tensor_index_.find(std::string(tensor_name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& File::tensor(std::string_view tensor_name) const {
    if (const TensorInfo* found = find_tensor(tensor_name)) return *found;
    throw Error(describe("no tensor named '" + std::string(tensor_name) + "'"));
}

}  // namespace flopwise::gguf
