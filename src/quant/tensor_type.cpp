#include "flopwise/tensor_type.hpp"

#include <array>
#include <limits>
#include <string>

#include "flopwise/error.hpp"

namespace flopwise {
namespace {

struct TypeEntry {
    TensorType type;
    TensorTypeTraits traits;
};

// Block layouts (bytes) as GGUF stores them; the dequantizers document each field.
constexpr std::array<TypeEntry, 15> kTypes{{
    {TensorType::F32, {"F32", 1, 4}},
    {TensorType::F16, {"F16", 1, 2}},
    {TensorType::Q4_0, {"Q4_0", 32, 2 + 16}},
    {TensorType::Q4_1, {"Q4_1", 32, 2 + 2 + 16}},
    {TensorType::Q5_0, {"Q5_0", 32, 2 + 4 + 16}},
    {TensorType::Q5_1, {"Q5_1", 32, 2 + 2 + 4 + 16}},
    {TensorType::Q8_0, {"Q8_0", 32, 2 + 32}},
    {TensorType::Q8_1, {"Q8_1", 32, 2 + 2 + 32}},
    {TensorType::Q2_K, {"Q2_K", 256, 16 + 64 + 2 + 2}},
    {TensorType::Q3_K, {"Q3_K", 256, 32 + 64 + 12 + 2}},
    {TensorType::Q4_K, {"Q4_K", 256, 2 + 2 + 12 + 128}},
    {TensorType::Q5_K, {"Q5_K", 256, 2 + 2 + 12 + 32 + 128}},
    {TensorType::Q6_K, {"Q6_K", 256, 128 + 64 + 16 + 2}},
    {TensorType::Q8_K, {"Q8_K", 256, 4 + 256 + 16 * 2}},
    {TensorType::BF16, {"BF16", 1, 2}},
}};

const TypeEntry* find_entry(uint32_t id) {
    for (const auto& entry : kTypes)
        if (static_cast<uint32_t>(entry.type) == id) return &entry;
    return nullptr;
}

// Names of the GGML ids this build cannot decode, so that an error can say what a file holds.
std::string_view unsupported_id_name(uint32_t id) {
    switch (id) {
        case 16: return "IQ2_XXS";
        case 17: return "IQ2_XS";
        case 18: return "IQ3_XXS";
        case 19: return "IQ1_S";
        case 20: return "IQ4_NL";
        case 21: return "IQ3_S";
        case 22: return "IQ2_S";
        case 23: return "IQ4_XS";
        case 24: return "I8";
        case 25: return "I16";
        case 26: return "I32";
        case 27: return "I64";
        case 28: return "F64";
        case 29: return "IQ1_M";
        case 34: return "TQ1_0";
        case 35: return "TQ2_0";
        case 39: return "MXFP4";
        case 40: return "NVFP4";
        case 41: return "Q1_0";
        default: return {};
    }
}

}  // namespace

std::optional<TensorType> tensor_type_from_id(uint32_t id) {
    if (const TypeEntry* entry = find_entry(id)) return entry->type;
    return std::nullopt;
}

std::optional<TensorType> tensor_type_from_name(std::string_view type_name) {
    for (const auto& entry : kTypes)
        if (entry.traits.name == type_name) return entry.type;
    return std::nullopt;
}

std::string tensor_type_id_name(uint32_t id) {
    if (const TypeEntry* entry = find_entry(id)) return std::string(entry->traits.name);
    if (std::string_view known = unsupported_id_name(id); !known.empty()) return std::string(known);
    return "unknown type id " + std::to_string(id);
}

const TensorTypeTraits& traits(TensorType type) {
    if (const TypeEntry* entry = find_entry(static_cast<uint32_t>(type))) return entry->traits;
    throw Error("tensor type id " + std::to_string(static_cast<uint32_t>(type)) + " is not supported");
}

uint64_t row_bytes(TensorType type, uint64_t elements) {
    const TensorTypeTraits& t = traits(type);
    if (elements % t.block_elements != 0)
        throw Error("a row of " + std::to_string(elements) + " elements is not a whole number of " +
                    std::string(t.name) + " blocks (" + std::to_string(t.block_elements) + " elements each)");
    const uint64_t blocks = elements / t.block_elements;
    if (blocks > std::numeric_limits<uint64_t>::max() / t.block_bytes)
        throw Error("a row of " + std::to_string(elements) + " " + std::string(t.name) +
                    " elements does not fit in 64-bit byte counts");
    return blocks * t.block_bytes;
}

}  // namespace flopwise
