#pragma once
#include <optional>
#include <string_view>

namespace flopwise {

// Where the reference engine computes: the CPU kernels (kernels/cpu) or the CUDA ones (kernels/cuda).
enum class ComputeDevice { cpu, cuda };

inline std::string_view name(ComputeDevice device) { return device == ComputeDevice::cuda ? "cuda" : "cpu"; }
inline std::optional<ComputeDevice> compute_device_from_name(std::string_view text) {
    if (text == "cpu") return ComputeDevice::cpu;
    if (text == "cuda") return ComputeDevice::cuda;
    return std::nullopt;
}

}  // namespace flopwise
