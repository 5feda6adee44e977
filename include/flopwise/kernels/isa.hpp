#pragma once
#include <string_view>
#include <vector>

namespace flopwise::kernels {

// Instruction-set paths of the CPU kernels. Every kernel family has a scalar reference and may
// have faster paths; which one runs is decided once per process so that results never depend on
// problem sizes.
enum class Isa { scalar, avx2, avx512 };

std::string_view name(Isa isa);
// Paths this CPU can run, scalar first.
std::vector<Isa> supported_isas();
// The path kernels use by default: the best supported one, or the one named by the environment
// variable FLOPWISE_ISA=scalar|avx2|avx512 (an unknown or unsupported name throws flopwise::Error).
Isa active_isa();

}  // namespace flopwise::kernels
