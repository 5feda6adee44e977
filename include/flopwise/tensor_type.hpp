#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flopwise {

// GGML tensor element types, with the numeric ids the GGUF format stores.
enum class TensorType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    BF16 = 30,
};

struct TensorTypeTraits {
    std::string_view name;
    uint32_t block_elements;  // elements per quantization block (1 for plain float types)
    uint32_t block_bytes;     // bytes one block occupies in the file
};

// nullopt for ids this build cannot read (the caller reports which tensor has it).
std::optional<TensorType> tensor_type_from_id(uint32_t id);
// Inverse of name(): "Q4_K" -> TensorType::Q4_K; nullopt for names this build cannot read.
std::optional<TensorType> tensor_type_from_name(std::string_view type_name);
// Name of any GGML type id, also ones this build cannot read ("IQ2_XS"), for error messages.
std::string tensor_type_id_name(uint32_t id);
const TensorTypeTraits& traits(TensorType type);
inline std::string_view name(TensorType type) { return traits(type).name; }

// Bytes of a row of `elements` values; throws Error when elements is not a whole number of blocks.
uint64_t row_bytes(TensorType type, uint64_t elements);

// Scalar reference: decodes `elements` values (a whole number of blocks) from `src` into `dst`.
// It defines the value of every quantized weight; fast kernels must reproduce it bit for bit.
void dequantize_row_reference(TensorType type, const void* src, float* dst, int64_t elements);

float fp16_to_fp32(uint16_t h);
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);

}  // namespace flopwise
