#pragma once
#include <string_view>

#include "flopwise/kernels/isa.hpp"

namespace flopwise::kernels {

// Throws flopwise::Error when a caller asks `kernel` for a path this CPU cannot execute, instead of
// letting it die on an illegal instruction.
void require_supported(Isa isa, std::string_view kernel);

}  // namespace flopwise::kernels
